"""Unsubscribe tokens: HMAC-signed (issue, recipient) pairs, and applying one.

A token is ``<payload>.<signature>``, both base64url without padding: the payload is
``issue_id \\n email`` and the signature the first 16 bytes of HMAC-SHA256 over it with
the secret. Changing any character of either half makes verification fail.

The secret: the environment variable named by ``mail.unsubscribe_secret_env`` if set
(production: set it from the secret store); otherwise ``mail.unsubscribe_secret_file``,
which is created with 32 random bytes (mode 0600) the first time it is needed. The file
lives in the working folder next to the warehouse, never in the repository, so the demo
and tests need no setup and no secret is derivable from anything public. Losing the file
invalidates the links in mail already sent (the general unsubscribe page still works).

An unsubscribe arriving while a send holds the warehouse is not lost: it is appended to
``<warehouse>.unsubscribes`` (one JSON line, fsynced) and applied before the next send
selects its recipients.

Concurrent unsubscribes in one process (the endpoint's worker threads: one token posted many
times at once) take turns on a lock, and a DuckDB "Conflict on update" from another writer in
the process is retried a few times, then journalled like a busy warehouse: never an error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from renkei.core.errors import RenkeiError, WarehouseBusy
from renkei.core.settings import MailSettings, Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute
from warehouse.transaction import transaction

_CONTEXT = b"renkei-unsubscribe\x00"
_SIG_BYTES = 16
_WRITE_LOCK = threading.Lock()  # one unsubscribe write at a time in this process
_CONFLICT_RETRIES = 5
_JOURNAL_LOCK = threading.Lock()  # one append to the pending journal at a time
_LOCK_SECONDS = 10.0  # in-process writes take milliseconds; past this, journal it
_BUSY_MEMORY = 1.0  # the warehouse was just found busy: do not wait for it again at once
_last_busy: dict[Path, float] = {}  # warehouse -> when it was last found busy


class TokenError(RenkeiError):
    """An unsubscribe token that is malformed (HTTP 400)."""

    http_status = 400


class ForgedToken(TokenError):
    """A well-formed token whose signature does not match: altered or forged (HTTP 403)."""

    http_status = 403


@dataclass(frozen=True)
class Unsubscribe:
    issue_id: str
    email: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(mail: MailSettings) -> bytes:
    """The signing secret: from the environment, else the local key file (created once)."""
    value = os.environ.get(mail.unsubscribe_secret_env)
    if value:
        return value.encode("utf-8")
    path = Path(mail.unsubscribe_secret_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first; read theirs
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 32:
        raise TokenError(f"{path}: unsubscribe secret is shorter than 32 characters")
    return secret.encode("ascii")


def _signature(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).digest()[:_SIG_BYTES]


def make_token(secret: bytes, issue_id: str, email: str) -> str:
    payload = f"{issue_id}\n{email}".encode()
    return f"{_b64(payload)}.{_b64(_signature(secret, payload))}"


def verify_token(secret: bytes, token: str) -> Unsubscribe:
    """Return what the token says, or raise TokenError (malformed or bad signature)."""
    token = token.strip()
    head, dot, tail = token.partition(".")
    if not dot or not head or not tail or len(token) > 1024:
        raise TokenError("unsubscribe token: malformed (expected PAYLOAD.SIGNATURE)")
    try:
        payload, signature = _unb64(head), _unb64(tail)
    except (binascii.Error, ValueError):
        raise TokenError("unsubscribe token: malformed (not base64url)") from None
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise ForgedToken("unsubscribe token: signature does not match (altered or forged)")
    issue_id, newline, email = payload.decode("utf-8", "replace").partition("\n")
    if not newline or "@" not in email:
        raise TokenError("unsubscribe token: malformed payload")
    return Unsubscribe(issue_id, email)


# ------------------------------------------------------------------ applying


def pending_path(settings: Settings) -> Path:
    return settings.warehouse.with_name(settings.warehouse.name + ".unsubscribes")


def _record(con: duckdb.DuckDBPyConnection, item: Unsubscribe, via: str, at: datetime) -> None:
    with transaction(con):
        execute(con, "contact_unsubscribe", {"email": item.email, "via": via, "now": at})
        execute(
            con,
            "insert_audit",
            {
                "at": at,
                "actor": item.email,
                "action": "unsubscribe",
                "subject": item.issue_id,
                "detail": json.dumps({"via": via}, ensure_ascii=False),
            },
        )


def apply_pending(settings: Settings, con: duckdb.DuckDBPyConnection) -> int:
    """Apply unsubscribes journalled while the warehouse was busy; return how many."""
    path = pending_path(settings)
    if not path.exists():
        return 0
    claimed = path.with_name(path.name + ".applying")
    os.replace(path, claimed)
    count = 0
    for line in claimed.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        item = Unsubscribe(entry["issue_id"], entry["email"])
        _record(con, item, entry["via"], datetime.fromisoformat(entry["at"]))
        count += 1
    claimed.unlink()
    return count


def apply_unsubscribe(
    settings: Settings, token: str, *, via: str, wait_seconds: float = 2.0
) -> Unsubscribe:
    """Verify ``token`` and unsubscribe its address (journalled if the warehouse is busy)."""
    item = verify_token(load_secret(settings.mail), token)
    now = datetime.now(UTC)
    written = False
    if _WRITE_LOCK.acquire(timeout=_LOCK_SECONDS):
        try:
            written = _write(settings, item, via, now, wait_seconds)
        finally:
            _WRITE_LOCK.release()
    if not written:
        with _JOURNAL_LOCK:
            entry = {"issue_id": item.issue_id, "email": item.email, "via": via}
            with open(pending_path(settings), "a", encoding="utf-8") as journal:
                journal.write(json.dumps({**entry, "at": now.isoformat()}, ensure_ascii=False))
                journal.write("\n")
                journal.flush()
                os.fsync(journal.fileno())
    return item


def _write(
    settings: Settings, item: Unsubscribe, via: str, now: datetime, wait_seconds: float
) -> bool:
    """Record the unsubscribe in the warehouse; False when it is busy (another process
    holds it, or a writer in this process keeps conflicting): the caller journals it.
    Called under ``_WRITE_LOCK``; a request right after one that found the warehouse busy
    does not wait for it again, so a queue of requests never waits ``wait_seconds`` each."""
    if time.monotonic() - _last_busy.get(settings.warehouse, -_BUSY_MEMORY) < _BUSY_MEMORY:
        wait_seconds = 0.0
    for attempt in range(_CONFLICT_RETRIES):
        try:
            with open_warehouse(
                settings.warehouse, stage="unsubscribe", wait_seconds=wait_seconds
            ) as con:
                _record(con, item, via, now)
            return True
        except WarehouseBusy:
            _last_busy[settings.warehouse] = time.monotonic()
            return False
        except duckdb.TransactionException as exc:
            if "conflict" not in str(exc).lower():
                raise
            time.sleep(0.02 * 2**attempt)  # another writer in this process: its turn first
    return False
