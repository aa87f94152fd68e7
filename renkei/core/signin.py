"""Sign-in links of the member portal: a random token mailed to a registered contact,
bound to that address and its member, usable once, for a limited time.

Only the token's SHA-256 is kept, so the warehouse cannot be used to sign in. The link a
contact receives carries the token signed with the console key (itsdangerous), so a link
is refused before any lookup when it was altered. The same links can be put into receipts
and bulletins (``purpose``) for that contact.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.settings import ConsoleSettings, Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query

LINK_MINUTES = 30
RECEIPT_LINK_MINUTES = 72 * 60  # a receipt is often read a day or two later


def console_key(console: ConsoleSettings) -> str:
    """The web app's signing key (sessions, sign-in links): the environment variable, else
    the key file (made on first use, mode 0600)."""
    from_env = os.environ.get(console.secret_env, "").strip()
    if from_env:
        return from_env
    path = Path(console.secret_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


class LinkRefused(RenkeiError):
    """A sign-in link that cannot be used (message in Japanese, the same for every cause
    a stranger could probe: forged, unknown, used or expired)."""


@dataclass(frozen=True)
class Contact:
    email: str
    member_id: str
    member_name: str
    status: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def find_contact(settings: Settings, email: str) -> Contact | None:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        frame = run_query(con, "portal_contact", {"email": email.strip().lower()})
    if frame.is_empty():
        return None
    row = frame.row(0, named=True)
    return Contact(row["email"], row["member_id"], row["member_name"], row["status"])


def issue_link(
    settings: Settings, key: str, contact: Contact, *, purpose: str = "signin",
    minutes: int = LINK_MINUTES, now: datetime | None = None,
) -> str:  # fmt: skip
    """A new single-use token for ``contact`` (signed; put it in a URL as it is)."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    with open_warehouse(settings.warehouse, stage="portal") as con:
        execute(con, "portal_link_insert", {
            "token_sha256": _digest(token), "email": contact.email,
            "member_id": contact.member_id, "purpose": purpose, "now": now,
            "expires_at": now + timedelta(minutes=minutes),
        })  # fmt: skip
        audit(con, contact.email, "portal_link", contact.member_id, purpose=purpose)
    return URLSafeSerializer(key, salt="renkei-portal-link").dumps(token)


def peek_link(settings: Settings, key: str, signed: str, *, now: datetime | None = None) -> Contact:
    """The contact a link is for, if it can still be used (nothing is changed)."""
    return _check(settings, key, signed, now=now, use=False)


def redeem_link(
    settings: Settings, key: str, signed: str, *, now: datetime | None = None
) -> Contact:
    """Use the link (once): the contact it signs in, or LinkRefused."""
    return _check(settings, key, signed, now=now, use=True)


REFUSED = (
    "このリンクは使えません（使用済み・期限切れ・不正のいずれか）。"
    "お手数ですが、もう一度メールアドレスを入れてリンクを受け取ってください"
)


def _check(
    settings: Settings, key: str, signed: str, *, now: datetime | None, use: bool
) -> Contact:
    now = now or datetime.now(UTC)
    try:
        token = URLSafeSerializer(key, salt="renkei-portal-link").loads(signed)
    except BadSignature:
        raise LinkRefused(REFUSED) from None
    if not isinstance(token, str):
        raise LinkRefused(REFUSED)
    digest = _digest(token)
    stage = "portal" if use else "portal_peek"
    with open_warehouse(settings.warehouse, read_only=not use, stage=stage) as con:
        found = run_query(con, "portal_link_by_token", {"token_sha256": digest})
        if found.is_empty():
            raise LinkRefused(REFUSED)
        link = found.row(0, named=True)
        if link["used_at"] is not None or link["expires_at"] <= now:
            raise LinkRefused(REFUSED)
        contact_row = run_query(con, "portal_contact", {"email": link["email"]})
        if contact_row.is_empty() or contact_row["member_id"][0] != link["member_id"]:
            raise LinkRefused(REFUSED)  # the contact moved or left since the link was made
        if use:
            execute(con, "portal_link_use", {"token_sha256": digest, "now": now})
            audit(con, link["email"], "portal_signin", link["member_id"])
    row = contact_row.row(0, named=True)
    return Contact(row["email"], row["member_id"], row["member_name"], row["status"])


def portal_link(
    settings: Settings, contact: Contact, *, next_path: str, purpose: str
) -> str | None:
    """A sign-in URL for ``contact`` that opens ``next_path`` of the portal, when the
    portal's public address is configured (``[console] public_url``); else None."""
    base = settings.console.public_url
    if not base:
        return None
    signed = issue_link(settings, console_key(settings.console), contact, purpose=purpose,
                        minutes=RECEIPT_LINK_MINUTES)  # fmt: skip
    return f"{base.rstrip('/')}/portal/link/{signed}?next={next_path}"
