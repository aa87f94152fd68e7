"""Helpers for the delivery tests: a scriptable SMTP server on loopback and an approved issue."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.newsletter.render import RECIPIENT_MARKER, UNSUBSCRIBE_MARKER
from warehouse.connection import open_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "delivery"
ISSUE_ID = "2026-11"
SUBJECT = "中国地域産学官連携通信 第1号（2026年11月）"
HTML = (
    f"<html><body><p>{RECIPIENT_MARKER} ご担当者様</p><p>産学連携セミナーのご案内</p>"
    f'<a href="{UNSUBSCRIBE_MARKER}">配信停止</a></body></html>'
)
TEXT = f"{RECIPIENT_MARKER} ご担当者様\n産学連携セミナーのご案内\n配信停止：{UNSUBSCRIBE_MARKER}\n"


def free_port() -> int:
    with socket.socket() as sock:  # aiosmtpd's Controller fails with port=0
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScriptedServer:
    """Records every accepted message; answers RCPT from a per-address script.

    ``rcpt_script[address]`` is a list of replies given to successive RCPTs for that
    address (e.g. ``["451 4.7.1 Try again later"]``); when it runs out, 250.
    ``on_data(count)`` runs when a message's DATA is complete, before the 250 is sent.
    """

    def __init__(self, password: str | None = None, **controller: object) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.rcpt_script: dict[str, list[str]] = {}
        self.rcpt_seen: list[str] = []
        self.sessions: list[int] = []  # id of the SMTP session of each RCPT (connection reuse)
        self.tls_seen: list[bool] = []  # per accepted message: did it arrive over TLS?
        self.on_data: Callable[[int], None] | None = None
        self.on_rcpt: Callable[[str], None] | None = None
        self.logins: list[tuple[str, str]] = []  # (user, password) of accepted AUTHs
        self.port = free_port()
        auth: dict[str, object] = {}
        if password is not None:  # AUTH PLAIN/LOGIN offered without TLS (loopback only)

            def check(server, session, envelope, mechanism, data) -> AuthResult:
                user, given = data.login.decode(), data.password.decode()
                if given != password:
                    return AuthResult(success=False, handled=False)
                self.logins.append((user, given))
                return AuthResult(success=True)

            auth = {"authenticator": check, "auth_require_tls": False}
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, **auth, **controller
        )

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen.append(address)
        self.sessions.append(id(session))
        if self.on_rcpt is not None:
            self.on_rcpt(address)
        script = self.rcpt_script.get(address)
        if script:
            return script.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        self.tls_seen.append(server.transport.get_extra_info("ssl_object") is not None)
        if self.on_data is not None:
            self.on_data(len(self.messages))
        return f"250 2.0.0 queued as {len(self.messages)}"

    def parsed(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default) for _, raw in self.messages]

    def __enter__(self) -> ScriptedServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def smtp_env(port: int) -> dict[str, str]:
    """The environment that points a `renkei` process at the loopback server."""
    return {
        "RENKEI_MAIL__TRANSPORT": "smtp",
        "RENKEI_MAIL__SMTP_HOST": "127.0.0.1",
        "RENKEI_MAIL__SMTP_PORT": str(port),
        "RENKEI_MAIL__SMTP_SECURITY": "none",
        "RENKEI_MAIL__RATE_PER_SECOND": "1000",
        "RENKEI_MAIL__RETRY_BACKOFF": "0.01",
    }


def with_smtp(settings: Settings, port: int, **mail: object) -> Settings:
    updates = {
        "transport": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "rate_per_second": 1000.0,
        "retry_backoff": 0.01,
        **mail,
    }
    return settings.model_copy(update={"mail": settings.mail.model_copy(update=updates)})


def registry_rows(count: int) -> list[str]:
    """``count`` members, one contact each, plus a second contact for the first member."""
    rows = []
    for i in range(count):
        extra = ";tanaka@member00.example.jp" if i == 0 else ""
        rows.append(
            f"aca-{i:02d},会員大学{i:02d},academia,学,広島県,prefecture,,"
            f"renkei@member{i:02d}.example.jp{extra}"
        )
    return rows


def approve_issue(settings: Settings, issue_id: str = ISSUE_ID) -> None:
    """Load the registry and store an approved issue (as draft + approve would)."""
    pipeline.sync_registry(settings)
    digest = hashlib.sha256((SUBJECT + "\x1f" + HTML + "\x1f" + TEXT).encode()).hexdigest()
    now = datetime.now(UTC)
    with open_warehouse(settings.warehouse) as con:
        con.execute(
            "INSERT INTO newsletter_issues (issue_id, number, period_start, period_end, status,"
            " subject, html, text, content_sha256, item_count, created_at, updated_at,"
            " approved_at, approved_by, approved_sha256)"
            " VALUES ($id, 1, $start, $end, 'approved', $subject, $html, $text, $digest, 1,"
            " $now, $now, $now, '山田', $digest)",
            {
                "id": issue_id,
                "start": date(2026, 11, 1),
                "end": date(2026, 11, 30),
                "subject": SUBJECT,
                "html": HTML,
                "text": TEXT,
                "digest": digest,
                "now": now,
            },
        )


def delivery_rows(settings: Settings, issue_id: str = ISSUE_ID) -> dict[str, str]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT recipient, status FROM deliveries WHERE issue_id = $id", {"id": issue_id}
        ).fetchall()
    return dict(rows)
