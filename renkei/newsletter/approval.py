"""The approval gate: a named person approves exactly the draft they saw, or rejects it.

The record lives in the warehouse (reviewer, time, content hash, comment), so approval
works from the shell with no Prefect server. When a ``compile_newsletter`` flow run is
waiting (paused for an ``Approval`` input), approving or rejecting from the shell also
resumes that run; approving in the Prefect UI reaches the same functions from the flow.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from renkei.core.audit import audit
from renkei.core.errors import ApprovalError
from renkei.core.events import emit
from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query

if TYPE_CHECKING:
    from renkei.newsletter.approval_input import Approval


def _now() -> datetime:
    return datetime.now(UTC)


def _issue(con, issue_id: str) -> dict:
    frame = run_query(con, "issue_by_id", {"issue_id": issue_id})
    if frame.is_empty():
        raise ApprovalError(f"issue {issue_id}: no such issue (run `renkei draft` first)")
    return frame.row(0, named=True)


def approve(
    settings: Settings,
    issue_id: str,
    *,
    by: str,
    content_sha256: str | None = None,
    comment: str | None = None,
) -> str:
    """Record approval of the current draft; approving the same content again is a no-op."""
    if not by.strip():
        raise ApprovalError("--by: the approver's name is required")
    with open_warehouse(settings.warehouse, stage="approve") as con:
        row = _issue(con, issue_id)
        digest = row["content_sha256"]
        if content_sha256 and not digest.startswith(content_sha256):
            raise ApprovalError(
                f"issue {issue_id}: the draft changed since you saw it "
                f"(now {digest[:12]}, you approved {content_sha256[:12]}); review it again"
            )
        if row["status"] == "approved" and row["approved_sha256"] == digest:
            return digest
        if row["status"] != "draft":
            raise ApprovalError(f"issue {issue_id}: already {row['status']}")
        execute(con, "approve_issue", {
            "issue_id": issue_id, "by": by, "now": _now(), "content_sha256": digest,
            "comment": comment,
        })  # fmt: skip
        audit(con, by, "approve", issue_id, content_sha256=digest, comment=comment)
    return digest


def reject(settings: Settings, issue_id: str, *, by: str, reason: str) -> None:
    """Return the issue to draft; the reason is kept in the audit log."""
    if not by.strip() or not reason.strip():
        raise ApprovalError("--by and --reason are required to reject an issue")
    with open_warehouse(settings.warehouse, stage="approve") as con:
        row = _issue(con, issue_id)
        if row["status"] == "sent":
            raise ApprovalError(f"issue {issue_id}: already sent; it cannot be rejected")
        execute(con, "reject_issue", {"issue_id": issue_id, "now": _now()})
        audit(con, by, "reject", issue_id, content_sha256=row["content_sha256"], reason=reason)


def ensure_fresh(settings: Settings, issue_id: str, *, now: datetime | None = None) -> None:
    """Refuse to send on a stale approval: too old, listed events began since, or listed
    activities were withdrawn since (a corrected resubmission dropped them)."""
    now = now or _now()
    with open_warehouse(settings.warehouse, read_only=True) as con:
        row = _issue(con, issue_id)
        if row["status"] != "approved":
            return  # the send step explains unapproved issues itself
        begun = run_query(con, "events_begun_since_approval", {"issue_id": issue_id, "now": now})
        withdrawn = run_query(con, "items_withdrawn_since_approval", {"issue_id": issue_id})
    valid = timedelta(hours=settings.newsletter.approval_valid_hours)
    if row["approved_at"] and now - row["approved_at"] > valid:
        raise ApprovalError(
            f"issue {issue_id}: approved {row['approved_at']:%Y-%m-%d %H:%M} and not sent within "
            f"{settings.newsletter.approval_valid_hours} hours; review and approve it again"
        )
    if not begun.is_empty():
        raise ApprovalError(
            f"issue {issue_id}: {begun.height} listed event(s) began after approval "
            f"(first: {begun['title'][0]}); recompile, review and approve it again"
        )
    if not withdrawn.is_empty():
        raise ApprovalError(
            f"issue {issue_id}: {withdrawn.height} listed item(s) were withdrawn by their "
            f"member after approval (first: {withdrawn['activity_id'][0]}); recompile, "
            "review and approve it again"
        )


# ------------------------------------------------------------------ Prefect side


def set_waiting_run(settings: Settings, issue_id: str, flow_run_id: str | None) -> None:
    with open_warehouse(settings.warehouse, stage="compile_newsletter") as con:
        execute(con, "set_waiting_run", {"issue_id": issue_id, "flow_run_id": flow_run_id})


def resume_waiting_run(settings: Settings, issue_id: str, answer: Approval) -> str | None:
    """Resume the compile flow run waiting on this issue, if any; return a note."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        run_id = _issue(con, issue_id)["waiting_flow_run_id"]
    if not run_id:
        return None
    from prefect.flow_runs import resume_flow_run

    try:
        resume_flow_run(UUID(run_id), run_input=answer.model_dump())
    except Exception as exc:  # the API may be down: the warehouse record still stands
        return f"recorded, but the waiting Prefect flow run {run_id} was not resumed: {exc}"
    set_waiting_run(settings, issue_id, None)
    return f"resumed the waiting Prefect flow run {run_id}"


APPROVED_EVENT = "renkei.newsletter.approved"


def announce_approval(issue_id: str) -> str:
    """Emit ``renkei.newsletter.approved`` (the on-approval deployment then sends the issue).

    Works with or without a Prefect API: without one, nothing is emitted and the note
    says so, because then nobody but the secretariat (`renkei send`) will send it.
    """
    try:
        event_id = emit(
            APPROVED_EVENT,
            resource={"prefect.resource.id": f"renkei.newsletter.{issue_id}"},
            payload={"issue_id": issue_id},
        )
    except Exception as exc:  # the API may be down: the approval itself is recorded
        return (
            f"approval recorded, but the event {APPROVED_EVENT} was not sent ({exc}); "
            f"send it with `renkei send {issue_id}`"
        )
    if event_id is None:
        return (
            f"no Prefect API configured (PREFECT_API_URL): no {APPROVED_EVENT} event emitted; "
            f"send the issue with `renkei send {issue_id}`"
        )
    return f"emitted {APPROVED_EVENT} for {issue_id}: the on-approval deployment sends it"


def approval_request(
    issue_id: str,
    summary: str,
    preview: str,
    digest: str,
    sections: dict[str, tuple[int, int]] | None = None,
) -> str:
    """The markdown shown above the approval form in the Prefect UI (and as an artifact)."""
    table = "".join(
        f"| {title} | {shown} | {cut} |\n" for title, (shown, cut) in (sections or {}).items()
    )
    return (
        f"### メルマガ {issue_id} の承認\n\n{summary}\n\n"
        f"| セクション | 掲載 | 上限で省略 |\n|---|---|---|\n{table}\n"
        f"- プレビュー: `{preview}`\n- 内容ハッシュ: `{digest}`\n\n"
        "内容を確認し、承認する場合は approved にチェックを入れ、氏名を入力してください。"
    )
