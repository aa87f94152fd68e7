"""Deciding a delivery's state outside the SMTP conversation: which issue may be sent, that
its content is the approved one, and what a killed run's leftover rows mean (the rule is in
``renkei.delivery.send``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from renkei.core.audit import audit
from renkei.core.errors import ApprovalError
from renkei.core.mail_transport import OutboxTransport, Reply
from renkei.core.settings import Settings
from renkei.delivery.message import Bulletin
from warehouse.queries import execute, run_query


def _now() -> datetime:
    return datetime.now(UTC)


def count_unknown(con: duckdb.DuckDBPyConnection, issue_id: str) -> int:
    report = run_query(con, "delivery_report", {"issue_id": issue_id})
    return int((report["status"] == "unknown").sum())


def approved_issue(
    con: duckdb.DuckDBPyConnection, issue_id: str, resend_unknown: bool = False
) -> dict[str, Any] | None:
    """The issue row if it may be sent; None if it was sent already (unless the unknown
    outcomes of a sent issue are to be resent)."""
    issue = run_query(con, "issue_by_id", {"issue_id": issue_id})
    if not issue.height:
        raise ApprovalError(f"issue {issue_id}: no such issue")
    row = issue.row(0, named=True)
    if row["status"] == "sent":
        return row if resend_unknown else None
    if row["status"] != "approved" or row["approved_sha256"] != row["content_sha256"]:
        raise ApprovalError(
            f"issue {issue_id}: not approved (status {row['status']}); "
            f"run `renkei approve {issue_id} --by NAME` after reviewing the draft"
        )
    return row


def finish(
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


def check_content(bulletin: Bulletin, row: dict[str, Any]) -> None:
    """Refuse to send anything but the approved content: hash what is about to be sent."""
    digest = bulletin.content_sha256()
    if digest != row["approved_sha256"]:
        approved = (row["approved_sha256"] or "-")[:12]
        raise ApprovalError(
            f"issue {bulletin.issue_id}: the content about to be sent (sha256 {digest[:12]}) "
            f"is not the approved content (sha256 {approved}); nothing sent — "
            f"review the draft and approve it again"
        )


def resolve_interrupted(
    con: duckdb.DuckDBPyConnection, settings: Settings, issue_id: str
) -> tuple[list[str], int]:
    """Decide the rows a killed run left in ``sending``: return (the rows decided, each as
    "recipient: what is known", and how many are to be sent again)."""
    outbox = OutboxTransport(settings.mail.outbox)
    decided: list[str] = []
    again = unknown = 0
    for row in run_query(con, "delivery_interrupted", {"issue_id": issue_id}).to_dicts():
        email = row["recipient"]
        if row["transport"] == "outbox" and outbox.delivered(issue_id, email):
            finish(con, issue_id, email, "sent", Reply(0, "resolved after restart: .eml exists"))
            decided.append(f"{email}: sent (the .eml exists)")
        elif row["transport"] != "outbox" and row["phase"] == "handed_over":
            last = Reply(row["smtp_code"] or 0, row["smtp_reply"] or "")
            why = (
                "the process ended after the message was handed over, before the reply; "
                f"the server last said {f'{last.code} {last.text}'!r}"
            )
            finish(con, issue_id, email, "unknown", last, why)
            decided.append(f"{email}: unknown ({why})")
            unknown += 1
        else:
            again += 1
    if decided or again:
        audit(
            con, "renkei", "send_resolve", issue_id,
            counted_sent=len(decided) - unknown, unknown=unknown, sent_again=again,
        )  # fmt: skip
    return decided, again
