"""Send an approved issue: every subscribed address gets it exactly once, even across a crash.

Per (issue, recipient) each state change is appended to the send journal first
(``renkei.delivery.journal``: one ``write()``, survives the process being killed) and reaches
the ``deliveries`` table in short batched transactions:

1. ``sending`` (phase NULL) — before the SMTP transaction starts;
2. phase ``handed_over`` — when the whole body is on the wire and only the final ``.``
   that completes DATA remains to be written;
3. ``sent`` with the server's reply — right after the server's 250 (or ``failed`` with the
   reply text: 5xx at once, 4xx after ``mail.retry_limit`` retries with backoff).

Progress is never recorded when recipients are fetched, only after the server answered.

**The rule for a restarted run** (after replaying the journal, rows still ``sending``):

* outbox transport: sent if and only if the ``.eml`` exists (it is renamed into place
  atomically, so a file is always a complete message);
* SMTP, phase ``handed_over``: counted as sent, never sent again (at most once). The server
  had everything but the final ``.``; if the process died before writing it the server
  discards the transaction and that one recipient misses the issue — a window of one
  ``send()`` of three bytes — while resending would give a second copy whenever the
  server had accepted. A duplicate is the worse mistake for a bulletin; the row says
  ``resolved after restart`` so the secretariat can see and check these few;
* SMTP, phase NULL: the server never saw the end of DATA, so it did not accept the
  message: sent again, with the same ``Message-ID``.

So a process killed anywhere while waiting for the server (including between the 250 and
the ``sent`` record) delivers each message exactly once over the two runs: that is what
``tests/test_delivery_crash.py`` checks with SIGKILL at several points.

**The windows, precisely.** Killed process: exactly once, except one message if the kill
lands between the ``handed_over`` record and the server reading the final ``.`` (a
three-byte write): that message is counted sent but was not accepted (at most once). Power
cut or kernel crash: the journal is written, not fsynced, so its last few seconds of
records may be lost; a message the server accepted in them is then sent again (at least
once for those). No intent is written ahead for later messages: every record is one
``write()`` of its own, so nothing is counted before it happened. The ``deliveries`` table
is brought up to date from the journal every ``FLUSH_SECONDS`` and at the end, outside the
SMTP transaction (no other process can open the warehouse during a send anyway).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from renkei.core.audit import audit
from renkei.core.errors import ApprovalError, RenkeiError
from renkei.core.mail_transport import (
    ConnectionFailure,
    OutboxTransport,
    PermanentFailure,
    Reply,
    TemporaryFailure,
    Transport,
    make_transport,
)
from renkei.core.settings import Settings
from renkei.delivery.journal import SendJournal
from renkei.delivery.message import Bulletin, DkimSigner, MessageFactory, Recipient, message_id
from renkei.delivery.unsubscribe import apply_pending, load_secret, make_token
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query

# Replies to RCPT that say the address does not exist: the contact is marked bounced.
ADDRESS_GONE = (550, 551, 553)


class DeliveryPaused(RenkeiError):
    """The SMTP server could not be reached several times in a row; nothing is lost."""

    exit_code = 75


@dataclass
class SendReport:
    issue_id: str
    sent: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    already_sent: bool = False
    resolved: int = 0  # unknown outcomes of a killed run, decided by the rule above
    variants: int = 0  # orderings of the items prepared (interests first; one when none)

    def summary(self) -> str:
        if self.already_sent:
            return f"issue {self.issue_id}: already sent; nothing sent again"
        return (
            f"issue {self.issue_id}: {self.sent} sent, {self.skipped} already had it, "
            f"{len(self.failed)} failed"
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _approved_issue(con: duckdb.DuckDBPyConnection, issue_id: str) -> dict[str, Any] | None:
    """The issue row if it may be sent; None if it was sent already."""
    issue = run_query(con, "issue_by_id", {"issue_id": issue_id})
    if not issue.height:
        raise ApprovalError(f"issue {issue_id}: no such issue")
    row = issue.row(0, named=True)
    if row["status"] == "sent":
        return None
    if row["status"] != "approved" or row["approved_sha256"] != row["content_sha256"]:
        raise ApprovalError(
            f"issue {issue_id}: not approved (status {row['status']}); "
            f"run `renkei approve {issue_id} --by NAME` after reviewing the draft"
        )
    return row


def _finish(
    con: duckdb.DuckDBPyConnection,
    issue_id: str,
    recipient: str,
    status: str,
    reply: Reply | None,
    error: str | None = None,
) -> None:
    execute(
        con,
        "delivery_finish",
        {
            "issue_id": issue_id,
            "recipient": recipient,
            "status": status,
            "sent_at": _now() if status == "sent" else None,
            "code": reply.code if reply and reply.code > 0 else None,
            "reply": reply.text if reply else None,
            "error": error,
        },
    )


def resolve_interrupted(
    con: duckdb.DuckDBPyConnection, settings: Settings, issue_id: str
) -> tuple[int, int]:
    """Decide the rows a killed run left in ``sending``; return (counted sent, to resend)."""
    outbox = OutboxTransport(settings.mail.outbox)
    counted = again = 0
    for row in run_query(con, "delivery_interrupted", {"issue_id": issue_id}).to_dicts():
        if row["transport"] == "outbox":
            delivered = outbox.delivered(issue_id, row["recipient"])
            why = "resolved after restart: the .eml exists"
        else:
            delivered = row["phase"] == "handed_over"
            why = "resolved after restart: handed over before the process ended (at most once)"
        if delivered:
            _finish(con, issue_id, row["recipient"], "sent", Reply(0, why))
            counted += 1
        else:
            again += 1
    if counted or again:
        audit(con, "renkei", "send_resolve", issue_id, counted_sent=counted, sent_again=again)
    return counted, again


@dataclass
class _Run:
    con: duckdb.DuckDBPyConnection
    settings: Settings
    transport: Transport
    factory: MessageFactory
    secret: bytes
    signer: DkimSigner | None
    report: SendReport
    journal: SendJournal
    sleep: Callable[[float], None]
    connection_failures: int = 0
    retryable: int = 0
    ahead: tuple[Recipient, bytes] | None = None  # the next message, built in advance

    def message_bytes(self, recipient: Recipient) -> bytes:
        token = make_token(self.secret, self.factory.bulletin.issue_id, recipient.email)
        data = self.factory.build(recipient, now=_now(), token=token)
        return self.signer.sign(data) if self.signer else data

    def prepare(self, upcoming: Recipient | None) -> None:
        """Build the next message while the server digests this one (no side effects: if
        building fails, it is built again, and fails, when its turn comes)."""
        if upcoming is None or self.ahead is not None:
            return
        try:
            self.ahead = (upcoming, self.message_bytes(upcoming))
        except Exception:
            self.ahead = None

    def _bytes_for(self, recipient: Recipient) -> bytes:
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] is recipient:
            return ahead[1]
        return self.message_bytes(recipient)

    def deliver(
        self, recipient: Recipient, attempts: int, upcoming: Recipient | None = None
    ) -> None:
        issue_id, email, mail = self.factory.bulletin.issue_id, recipient.email, self.settings.mail
        data = self._bytes_for(recipient)
        state: dict[str, Any] = {
            "issue_id": issue_id,
            "recipient": email,
            "member_id": recipient.member_id,
            "message_id": message_id(issue_id, email, self.settings.issuer),
            "transport": self.transport.name,
        }

        def record(**changes: Any) -> None:
            state.update(changes)
            self.journal.record(dict(state))

        def finish(status: str, reply: Reply | None, error: str | None = None) -> None:
            record(
                status=status,
                sent_at=_now() if status == "sent" else None,
                smtp_code=reply.code if reply and reply.code > 0 else None,
                smtp_reply=reply.text if reply else None,
                error=error,
            )

        temporary = 0
        while True:
            attempts += 1
            record(status="sending", phase=None, attempted_at=_now(), attempts=attempts)
            handed: list[bool] = []

            def handed_over(handed: list[bool] = handed) -> None:
                record(phase="handed_over")
                handed.append(True)

            try:
                reply = self.transport.deliver(
                    data,
                    sender=str(self.settings.issuer.contact_email),
                    recipient=email,
                    issue_id=issue_id,
                    handed_over=handed_over,
                    while_waiting=lambda: self.prepare(upcoming),
                )
            except TemporaryFailure as exc:
                temporary += 1
                if temporary > mail.retry_limit:
                    finish("failed", exc.reply, str(exc))
                    self.report.failed.append(f"{email}: {exc} (after {temporary} tries)")
                    self.retryable += 1
                    return
                self.sleep(mail.retry_backoff * 2 ** (temporary - 1))
                continue
            except PermanentFailure as exc:
                finish("failed", exc.reply, str(exc))
                self.report.failed.append(f"{email}: {exc}")
                if exc.stage == "rcpt" and exc.reply.code in ADDRESS_GONE:
                    execute(
                        self.con,
                        "contact_set_status",
                        {"email": email, "status": "bounced", "source": str(exc), "now": _now()},
                    )
                return
            except ConnectionFailure as exc:
                if handed:  # the body was handed over; the reply was lost: at most once
                    why = f"no reply after hand-over ({exc}); counted as sent (at most once)"
                    finish("sent", Reply(0, why))
                    self.report.sent += 1
                    self.connection_failures = 0
                    return
                self.connection_failures += 1
                if self.connection_failures >= mail.max_connection_failures:
                    finish("failed", exc.reply, str(exc))
                    raise DeliveryPaused(
                        f"send {issue_id}: {self.connection_failures} connection failures in a "
                        f"row ({exc}); paused after {self.report.sent} sent — nothing is lost, "
                        f"run `renkei send {issue_id}` again"
                    ) from None
                self.sleep(mail.retry_backoff * 2 ** (self.connection_failures - 1))
                continue
            finish("sent", reply)
            self.report.sent += 1
            self.connection_failures = 0
            return


def send_issue(
    settings: Settings, issue_id: str, *, sleep: Callable[[float], None] = time.sleep
) -> SendReport:
    """Send ``issue_id`` to every subscribed address that does not have it yet."""
    report = SendReport(issue_id)
    secret = load_secret(settings.mail)
    signer = DkimSigner.from_settings(settings.mail, settings.issuer)
    transport = make_transport(settings.mail)
    journal = SendJournal(settings.warehouse, issue_id)
    try:
        with open_warehouse(settings.warehouse, stage="send_newsletter") as con:
            apply_pending(settings, con)
            journal.replay(con)  # a killed run's last states, before anything is decided
            row = _approved_issue(con, issue_id)
            if row is None:
                report.already_sent = True
                return report
            report.resolved, _ = resolve_interrupted(con, settings, issue_id)
            bulletin = Bulletin(issue_id, row["subject"], row["html"], row["text"])
            factory = MessageFactory(bulletin, settings.issuer)
            run = _Run(con, settings, transport, factory, secret, signer, report, journal, sleep)
            recipients = run_query(con, "delivery_recipients", {"issue_id": issue_id})
            todo: list[tuple[Recipient, int]] = []
            for r in recipients.iter_rows(named=True):
                status, code = r["delivery_status"], r["smtp_code"]
                if status == "sent":
                    report.skipped += 1
                    continue
                if status == "failed" and code is not None and code >= 500:
                    report.failed.append(f"{r['email']}: {code} (earlier run; not retried)")
                    continue
                interests = tuple(t for t in (r["interests"] or "").split(",") if t)
                recipient = Recipient(
                    r["email"], r["member_id"], r["member_name"], r["language"] or "ja", interests
                )
                todo.append((recipient, r["attempts"] or 0))
            try:
                for i, (recipient, attempts) in enumerate(todo):
                    upcoming = todo[i + 1][0] if i + 1 < len(todo) else None
                    run.deliver(recipient, attempts, upcoming)
                    journal.maybe_flush(con)  # between messages, never inside a transaction
            finally:
                report.variants = factory.variants
                journal.close(con)
                audit(
                    con,
                    "renkei",
                    "send",
                    issue_id,
                    sent=report.sent,
                    skipped=report.skipped,
                    failed=len(report.failed),
                    resolved=report.resolved,
                )
            if not run.retryable:  # everyone has it or was refused for good
                execute(con, "mark_issue_sent", {"issue_id": issue_id, "now": _now()})
    finally:
        transport.close()
    return report
