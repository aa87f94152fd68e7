"""Bounces and complaints in the warehouse: recording each message once, the suppression
rules, restoring an address, and what the CLI, the status page and the console show.

The rules (``[bounces]``): a **hard** bounce (5.x.x) suppresses the address at once
(``contacts.status = 'bounced'``); a **soft** bounce (4.x.x) suppresses it when
``soft_threshold`` of the contact's last ``soft_window`` deliveries bounced (soft or hard);
a **complaint** unsubscribes it (``status = 'unsubscribed'``). The reason (kind, status,
the server's words, the issue; in Japanese: the console shows it) is kept in
``contacts.suppressed_reason``. Only subscribed
contacts are changed; delayed warnings, autoreplies and unknown messages are recorded and
never acted on. Everything here runs inside the caller's transaction, so an event and the
suppression it causes land together — and a message recorded before is skipped whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.settings import BounceSettings, Settings
from renkei.delivery.bounce_parse import Classified
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction


class BounceError(RenkeiError):
    """A bounces command that cannot be done (unknown address, nothing to restore)."""


@dataclass(frozen=True)
class Incoming:
    """One message read from the bounce mailbox, classified."""

    key: str  # its Message-ID, else sha256 of its bytes
    uid: str | None
    found: Classified


@dataclass(frozen=True)
class Recorded:
    key: str
    kind: str
    recipient: str | None
    issue_id: str | None
    matched_by: str
    action: str | None  # suppressed | unsubscribed | None


def _match(
    con: duckdb.DuckDBPyConnection, secret: bytes, found: Classified, cache: dict[str, list[str]]
) -> tuple[str | None, str | None, str]:
    """(recipient, issue_id, matched_by): the delivery this message answers."""
    token = found.token
    if token is not None:
        if token.issue_id not in cache:
            rows = run_query(con, "bounce_issue_recipients", {"issue_id": token.issue_id})
            cache[token.issue_id] = rows["recipient"].to_list()
        who = token.recipient(secret, cache[token.issue_id])
        if who is not None:
            return who, token.issue_id, "verp"
    if found.original_id:
        rows = run_query(con, "bounce_delivery_by_message_id", {"message_id": found.original_id})
        if rows.height:
            return rows["recipient"][0], rows["issue_id"][0], "message-id"
    if found.recipient and found.kind != "autoreply":
        rows = run_query(con, "bounce_latest_delivery", {"email": found.recipient})
        if rows.height:
            return rows["email"][0], rows["issue_id"][0], "address"
    return found.recipient, None, "none"


# The reason is shown to the secretariat (the console's contacts page, the audit log), so
# it is written in Japanese; the server's own words (diagnostic) are kept as received.
KIND_JA = {"hard": "恒久的な不達", "soft": "一時的な不達", "complaint": "苦情"}


def reason_ja(found: Classified, issue_id: str | None) -> str:
    """Why an address was suppressed, e.g. "恒久的な不達（5.1.1・2026-11号）：550 user unknown"."""
    detail = "・".join(p for p in (found.status, f"{issue_id}号" if issue_id else None) if p)
    head = KIND_JA.get(found.kind, found.kind) + (f"（{detail}）" if detail else "")
    return f"{head}：{found.diagnostic}" if found.diagnostic else head


def _apply(
    con: duckdb.DuckDBPyConnection,
    rules: BounceSettings,
    found: Classified,
    email: str | None,
    issue_id: str | None,
    now: datetime,
) -> str | None:
    if email is None:
        return None
    status = None
    if found.kind == "hard":
        status = "bounced"
    elif found.kind == "complaint":
        status = "unsubscribed"
    elif found.kind == "soft" and issue_id is not None:
        window = run_query(con, "bounce_soft_window", {"email": email, "window": rules.soft_window})
        if int(window["bounced"][0]) >= rules.soft_threshold:
            status = "bounced"
    if status is None:
        return None
    reason = reason_ja(found, issue_id)
    if found.kind == "soft":
        reason = f"直近{rules.soft_window}通のうち{rules.soft_threshold}通が届かず：{reason}"
    params = {"email": email, "status": status, "reason": reason[:1000], "now": now}
    changed = run_query(con, "contact_suppress", params)
    if not changed.height:
        return None
    audit(con, "renkei", f"bounce_{found.kind}", email, status=status, reason=reason[:500])
    return "suppressed" if status == "bounced" else "unsubscribed"


def record(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    secret: bytes,
    batch: Sequence[Incoming],
    now: datetime | None = None,
) -> list[Recorded]:
    """Record a batch of classified messages and apply the rules, in the caller's
    transaction; messages recorded before (same key) are skipped and not returned."""
    now = now or datetime.now(UTC)
    unique = {item.key: item for item in batch}  # one row per key even within a batch
    keys = list(unique)
    known = set(run_query(con, "bounce_event_known", {"keys": keys})["event_key"].to_list())
    cache: dict[str, list[str]] = {}
    done = []
    for key in keys:
        if key in known:
            continue
        item = unique[key]
        found = item.found
        email, issue_id, matched_by = _match(con, secret, found, cache)
        # Insert first: the soft rule counts this event among the contact's deliveries.
        row = {
            "event_key": key,
            "imap_uid": item.uid,
            "kind": found.kind,
            "recipient": email,
            "issue_id": issue_id,
            "matched_by": matched_by,
            "status_code": found.status,
            "diagnostic": found.diagnostic,
            "subject": found.subject,
            "received_at": found.date or now,
            "recorded_at": now,
            "action": None,
        }
        execute(con, "bounce_event_insert", row)
        action = _apply(con, settings.bounces, found, email, issue_id, now)
        if action is not None:
            execute(con, "bounce_event_action", {"action": action, "key": key})
        done.append(Recorded(key, found.kind, email, issue_id, matched_by, action))
    return done


def restore(settings: Settings, email: str, by: str) -> str:
    """A bounced address receives the bulletin again (audited). A complaint is not undone
    here: the person asked to stop; `renkei subscribers add` records a new opt-in."""
    email = email.strip().lower()
    now = datetime.now(UTC)
    with open_warehouse(settings.warehouse) as con, transaction(con):
        rows = run_query(con, "bounce_contact", {"email": email})
        if not rows.height:
            raise BounceError(f"bounces restore: {email}: no such contact")
        status, reason = rows["status"][0], rows["suppressed_reason"][0]
        if status != "bounced":
            why = " after a complaint" if reason else ""
            raise BounceError(
                f"bounces restore: {email} is {status}{why}, not bounced; nothing restored"
                + (" (a new opt-in: `renkei subscribers add`)" if status != "subscribed" else "")
            )
        params = {"email": email, "source": f"restored by {by}", "now": now}
        run_query(con, "contact_restore", params)
        audit(con, by, "bounce_restore", email, previous_reason=reason)
    return f"restored {email} (was bounced: {reason or 'bounced at RCPT'})"


def suppressed_contacts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Contacts skipped because of a bounce or complaint: email, member_id, member_name,
    suppression (bounced | complaint), reason, since. For the console's contacts page."""
    return run_query(con, "bounces_suppressed")


def list_suppressed(settings: Settings) -> pl.DataFrame:
    """``suppressed_contacts`` with its own read-only warehouse connection."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return suppressed_contacts(con)


def unreachable_members(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Members whose every contact is suppressed (member_id, name, contacts, why)."""
    return run_query(con, "bounce_members_unreachable")


def suppressed_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many addresses a send skips, per reason (bounced, complaint)."""
    rows = run_query(con, "delivery_suppressed")
    return {r["suppression"]: int(r["n"]) for r in rows.iter_rows(named=True)}


def issue_events(con: duckdb.DuckDBPyConnection, issue_id: str) -> pl.DataFrame:
    """Bounces and complaints answering one issue (kind, recipient, status, diagnostic…)."""
    return run_query(con, "bounce_issue_events", {"issue_id": issue_id})
