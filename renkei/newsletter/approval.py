"""The approval gate: a named person approves exactly the draft they saw, or rejects it.

The record lives in the warehouse (reviewer, time, content hash, comment), so approval
works from the shell with no Prefect server. When a ``compile_newsletter`` flow run is
waiting (paused for an ``Approval`` input), approving or rejecting from the shell also
resumes that run; approving in the Prefect UI reaches the same functions from the flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from renkei.core.audit import audit
from renkei.core.errors import ApprovalError
from renkei.core.events import emit
from renkei.core.settings import Settings
from renkei.newsletter.selection import EXCLUDED_MARK, WARNING_MARK
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
    four_eyes: bool = False,
) -> str:
    """Record approval of the current draft; approving the same content again is a no-op.

    ``four_eyes`` (``[newsletter] four_eyes``): refuse the approval of the person who last
    edited the draft (the newest ``edit`` entry of the audit log for this issue)."""
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
        if four_eyes and (editor := last_editor(con, issue_id)) == by.strip():
            raise ApprovalError(
                f"最後に編集した人（{editor}）は承認できません。"
                "別の承認者に依頼してください（四つの目の原則）"
            )
        _record_approval(con, issue_id, digest, by=by, comment=comment)
    return digest


def last_editor(con, issue_id: str) -> str | None:
    """Who last edited the issue's draft (None: nobody has edited it)."""
    frame = run_query(con, "issue_last_editor", {"issue_id": issue_id})
    return None if frame.is_empty() else str(frame["actor"][0]).strip()


def _record_approval(con, issue_id: str, digest: str, *, by: str, comment: str | None) -> None:
    execute(con, "approve_issue", {
        "issue_id": issue_id, "by": by, "now": _now(), "content_sha256": digest,
        "comment": comment,
    })  # fmt: skip
    audit(con, by, "approve", issue_id, content_sha256=digest, comment=comment)


def _record_rejection(con, issue_id: str, digest: str, *, by: str, reason: str) -> None:
    execute(con, "reject_issue", {"issue_id": issue_id, "now": _now()})
    audit(con, by, "reject", issue_id, content_sha256=digest, reason=reason)


def reject(settings: Settings, issue_id: str, *, by: str, reason: str) -> str:
    """Return the issue to draft; the reason is kept in the audit log. Returns the content
    hash of the draft rejected."""
    if not by.strip() or not reason.strip():
        raise ApprovalError("--by and --reason are required to reject an issue")
    with open_warehouse(settings.warehouse, stage="approve") as con:
        row = _issue(con, issue_id)
        if row["status"] == "sent":
            raise ApprovalError(f"issue {issue_id}: already sent; it cannot be rejected")
        _record_rejection(con, issue_id, row["content_sha256"], by=by, reason=reason)
    return str(row["content_sha256"])


@dataclass(frozen=True)
class ApprovalResult:
    """What approving or rejecting did: the draft's content hash, and one line per step
    (recorded, the waiting flow run resumed, the approval announced) as `renkei approve`
    and `renkei reject` print them and the console shows them."""

    digest: str
    notes: list[str]


def approve_and_release(
    settings: Settings,
    issue_id: str,
    *,
    by: str,
    content_sha256: str | None = None,
    comment: str | None = None,
    four_eyes: bool = False,
) -> ApprovalResult:
    """Approve (see :func:`approve`), resume the compile flow run waiting on the issue, then
    announce the approval (the on-approval deployment sends it). The CLI and the console
    both call this; they pass ``four_eyes=settings.newsletter.four_eyes``."""
    from renkei.newsletter.approval_input import answer

    digest = approve(
        settings, issue_id, by=by, content_sha256=content_sha256, comment=comment,
        four_eyes=four_eyes,
    )  # fmt: skip
    notes = [f"issue {issue_id} approved by {by} (content sha256 {digest[:12]})"]
    # the waiting run first: once announced, the send may take the warehouse for a while
    recorded = answer(approved=True, reviewer=by, comment=comment or "")
    if note := resume_waiting_run(settings, issue_id, recorded):
        notes.append(note)
    notes.append(announce_approval(issue_id))
    return ApprovalResult(digest, notes)


def reject_and_release(
    settings: Settings, issue_id: str, *, by: str, reason: str
) -> ApprovalResult:
    """Reject (see :func:`reject`) and resume the compile flow run waiting on the issue."""
    from renkei.newsletter.approval_input import answer

    digest = reject(settings, issue_id, by=by, reason=reason)
    notes = [f"issue {issue_id} returned to draft by {by}: {reason}"]
    recorded = answer(approved=False, reviewer=by, comment=reason)
    if note := resume_waiting_run(settings, issue_id, recorded):
        notes.append(note)
    return ApprovalResult(digest, notes)


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
    """Resume the compile flow run waiting on this issue, if any; return a note.

    ``answer`` has been recorded in the warehouse by the caller: the run is told so beside
    the form (see renkei.newsletter.approval_input), so it does not record it again."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        run_id = _issue(con, issue_id)["waiting_flow_run_id"]
    if not run_id:
        return None
    from renkei.newsletter.approval_input import resume_recorded

    try:
        resume_recorded(UUID(run_id), answer)
    except Exception as exc:  # the API may be down: the warehouse record still stands
        return f"recorded, but the waiting Prefect flow run {run_id} was not resumed: {exc}"
    set_waiting_run(settings, issue_id, None)
    return f"resumed the waiting Prefect flow run {run_id}"


@dataclass(frozen=True)
class FormOutcome:
    """What became of an answer given in the Prefect UI's form.

    ``pause``: nothing recorded; ``message`` says why, in Japanese, for the next form.
    ``recorded``: the answer is in the warehouse. ``decided``: the issue is no longer a
    draft (answered elsewhere); nothing recorded. ``content_sha256``: the draft's hash now."""

    kind: Literal["pause", "recorded", "decided"]
    message: str
    content_sha256: str


NOT_RECORDED = "**前回の回答は記録していません。**"


def answer_from_form(
    settings: Settings,
    issue_id: str,
    *,
    seen_sha256: str,
    approved: bool,
    reviewer: str,
    comment: str,
) -> FormOutcome:
    """Record a form answer for the draft the form showed (``seen_sha256``), or say why not.

    Read, check and record on one connection, so a draft recompiled in between cannot be
    approved unseen. An empty name, a rejection without a reason or a changed draft record
    nothing and keep the run waiting; the wait is cleared once the answer is recorded."""
    name, text = reviewer.strip(), comment.strip()
    with open_warehouse(settings.warehouse, stage="approve") as con:
        row = _issue(con, issue_id)
        digest = row["content_sha256"]
        if row["status"] != "draft":
            execute(con, "set_waiting_run", {"issue_id": issue_id, "flow_run_id": None})
            by = f" by {row['approved_by']}" if row["approved_by"] else ""
            note = f"already {row['status']}{by}; the answer in the form was not recorded"
            return FormOutcome("decided", note, digest)
        reason = None
        if not name:
            reason = "確認者の氏名が空欄でした。氏名を入力して、もう一度回答してください。"
        elif digest != seen_sha256:
            reason = (
                f"フォームを表示した後に原稿が変更されました（表示していた内容ハッシュ "
                f"{seen_sha256[:12]}、現在 {digest[:12]}）。新しいプレビューで内容を確認してから、"
                "もう一度回答してください。"
            )
        elif not approved and not text:
            reason = (
                "差し戻す理由がコメント欄にありませんでした。"
                "理由を書いて、もう一度回答してください。"
            )
        if reason:
            return FormOutcome("pause", f"{NOT_RECORDED} {reason}", digest)
        if approved:
            _record_approval(con, issue_id, digest, by=name, comment=text or None)
            verdict = f"approved by {name}"
        else:
            _record_rejection(con, issue_id, digest, by=name, reason=text)
            verdict = f"rejected by {name}: {text}"
        execute(con, "set_waiting_run", {"issue_id": issue_id, "flow_run_id": None})
    return FormOutcome("recorded", verdict, digest)


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


def preview_link(page: Path) -> str:
    """The preview as a link a reviewer can click (markdown). There is no web console yet:
    a ``file://`` link, which works where the browser runs on the server's file system, and
    the path itself for everyone else. The console's URL goes here once it exists."""
    absolute = page.resolve()
    return f"[プレビューを開く]({absolute.as_uri()})（サーバー上のファイル：`{absolute}`）"


def _summary_markdown(summary: str) -> str:
    """The draft's summary with its detail lines as lists: the candidates left out (with
    their reasons) under 載せなかった候補, pinned stale items under 固定表示の注意."""
    if not summary:
        return ""
    first, *details = summary.split("\n")
    lines = [d.strip() for d in details if d.strip()]
    left = [d.removeprefix(EXCLUDED_MARK) for d in lines if d.startswith(EXCLUDED_MARK)]
    pinned = [d.removeprefix(WARNING_MARK) for d in lines if d.startswith(WARNING_MARK)]
    other = [d for d in lines if not d.startswith((EXCLUDED_MARK, WARNING_MARK))]
    text = f"{first}\n\n" + "".join(f"- {d}\n" for d in other) + ("\n" if other else "")
    if pinned:
        text += "#### 固定表示の注意\n\n" + "".join(f"- {d}\n" for d in pinned) + "\n"
    if left:
        text += f"#### 載せなかった候補（{len(left)}件）\n\n"
        text += "".join(f"- {d}\n" for d in left) + "\n"
    return text


def approval_request(
    issue_id: str,
    summary: str,
    preview: Path,
    digest: str,
    sections: dict[str, tuple[int, int]] | None = None,
    reason: str | None = None,
) -> str:
    """The markdown shown above the approval form in the Prefect UI (and as an artifact).

    ``reason``: why the previous answer was not recorded (the run asks again)."""
    warning = f"> {reason}\n\n" if reason else ""
    intro = _summary_markdown(summary)
    table = ""
    if sections:
        rows = "".join(
            f"| {title} | {shown} | {cut} |\n" for title, (shown, cut) in sections.items()
        )
        table = f"| セクション | 掲載 | 上限で省略 |\n|---|---|---|\n{rows}\n"
    short = digest[:12]
    return (
        f"### メルマガ {issue_id} の承認\n\n{warning}{intro}{table}"
        f"- プレビュー：{preview_link(preview)}\n"
        f"- 内容ハッシュ：`{short}`（`renkei approve {issue_id} --sha {short}` と同じ値）\n\n"
        "プレビューで内容を確認し、下のフォームで「判断」を選んで氏名を入力し、送信してください。"
        "差し戻す場合は理由をコメントに書いてください。"
    )
