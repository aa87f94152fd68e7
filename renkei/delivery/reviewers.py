"""The saved reviewers: people who get a [TEST] copy of the current draft before approval.

The list lives in the ``reviewers`` table (migration 020); adding and removing are audited
(``reviewer_add`` / ``reviewer_remove``). :func:`send_test_to_reviewers` sends the draft as
a proof copy (``renkei.delivery.proof``) to everyone on it over one SMTP connection, goes on
past an address the server refuses, audits one ``send_test`` row with the addresses and
returns one Japanese line per address. A proof copy records no delivery.

The warehouse is opened only to read the list and the draft and to write the audit row,
never while mail is being sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.mail_transport import DeliveryError, make_transport
from renkei.core.settings import Settings
from renkei.delivery.proof import deliver_proof, normalised_address, proof_bulletin
from renkei.newsletter.review import load_draft
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query

SENT = "送信しました"
NOT_SENT = "送信できませんでした"


class ReviewerError(RenkeiError):
    """A reviewer address or name is not usable, or the list is empty."""

    exit_code = 2


@dataclass(frozen=True)
class Reviewer:
    email: str
    name: str
    added_by: str
    added_at: datetime


def _address(email: str) -> str:
    try:
        return normalised_address(email.strip())
    except ValueError as exc:
        raise ReviewerError(f"{email!r}: メールアドレスとして正しくありません（{exc}）") from None


def add_reviewer(settings: Settings, email: str, name: str, *, by: str) -> Reviewer:
    """Put an address on the list (or rename it there); audited as ``reviewer_add``."""
    address, name = _address(email), name.strip()
    if not name:
        raise ReviewerError(f"{address}: 名前を入力してください")
    now = datetime.now(UTC)
    with open_warehouse(settings.warehouse, stage="reviewers") as con:
        execute(con, "reviewer_upsert", {"email": address, "name": name, "by": by, "now": now})
        audit(con, by, "reviewer_add", address, name=name)
    return Reviewer(address, name, by, now)


def remove_reviewer(settings: Settings, email: str, *, by: str) -> bool:
    """Take an address off the list; False if it was not on it (nothing audited then)."""
    address = _address(email)
    with open_warehouse(settings.warehouse, stage="reviewers") as con:
        known = {r["email"] for r in run_query(con, "reviewers_list").iter_rows(named=True)}
        if address not in known:
            return False
        execute(con, "reviewer_delete", {"email": address})
        audit(con, by, "reviewer_remove", address)
    return True


def list_reviewers(settings: Settings) -> list[Reviewer]:
    """Everyone on the list, in the order they were added (read-only)."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = run_query(con, "reviewers_list").iter_rows(named=True)
        return [Reviewer(r["email"], r["name"], r["added_by"], r["added_at"]) for r in rows]


def _reason(exc: Exception) -> str:
    if isinstance(exc, DeliveryError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def send_test_to_reviewers(settings: Settings, issue_id: str, *, by: str) -> list[str]:
    """Send the current draft of ``issue_id`` as a [TEST] copy to every saved reviewer.

    Returns one line per address, ``"<address>: 送信しました"`` or
    ``"<address>: 送信できませんでした（<the server's reply or the error>）"``; one
    refused address does not stop the rest. Audits one ``send_test`` row (by ``by``) with
    the addresses sent to and those that failed. Raises ``ReviewerError`` if the list is
    empty and ``ApprovalError`` if there is no such issue."""
    reviewers = list_reviewers(settings)
    if not reviewers:
        raise ReviewerError("テスト送信先（レビュアー）が登録されていません")
    draft = load_draft(settings, issue_id)
    bulletin = proof_bulletin(draft)
    lines: list[str] = []
    sent: list[str] = []
    failed: dict[str, str] = {}
    transport = make_transport(settings.mail)
    try:
        for reviewer in reviewers:
            try:
                deliver_proof(transport, settings, bulletin, reviewer.email)
            except Exception as exc:  # one refused or broken address must not stop the list
                failed[reviewer.email] = _reason(exc)
                lines.append(f"{reviewer.email}: {NOT_SENT}（{failed[reviewer.email]}）")
            else:
                sent.append(reviewer.email)
                lines.append(f"{reviewer.email}: {SENT}")
    finally:
        transport.close()
    with open_warehouse(settings.warehouse, stage="send_test") as con:
        audit(
            con, by, "send_test", issue_id,
            to=[r.email for r in reviewers], sent=sent, failed=failed,
            content_sha256=draft.content_sha256, status=draft.status,
        )  # fmt: skip
    return lines
