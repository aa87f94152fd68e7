"""`renkei edit`: the secretariat fixes a draft (pin, drop, override, reorder, editorial).

Edits are stored as inputs of the draft, then the issue is recompiled: every change
yields a new content hash, so an approval given before the edit no longer applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from renkei.core.audit import audit
from renkei.core.errors import ApprovalError
from renkei.core.settings import Settings
from renkei.newsletter.compose import Period
from renkei.newsletter.draft import DraftReport, draft, select_items
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query

JST = ZoneInfo("Asia/Tokyo")
SECTION_KEYS = ("collaboration", "events", "calls", "spotlight", "news")


def edit_issue(
    settings: Settings,
    issue_id: str,
    *,
    by: str,
    drop: Iterable[str] = (),
    pin: Iterable[str] = (),
    undo: Iterable[str] = (),
    titles: Mapping[str, str] | None = None,
    summaries: Mapping[str, str] | None = None,
    order: Iterable[str] | None = None,
    editorial: str | None = None,
    as_of: date | None = None,
) -> DraftReport:
    """Store the edits and recompile the draft for sending on ``as_of`` (default: the send
    date the draft was made for, else today, JST). A pinned activity is included whatever
    the selection rules say (a stale one with a warning in the report), unless the
    secretariat hid it."""
    order = tuple(order) if order is not None else None
    if order is not None and (unknown := set(order) - set(SECTION_KEYS)):
        raise ApprovalError(f"--order: unknown section(s) {', '.join(sorted(unknown))}; "
                            f"use {', '.join(SECTION_KEYS)}")  # fmt: skip
    changes: list[tuple[str, str, str | None]] = [
        *((a, "drop", None) for a in drop),
        *((a, "pin", None) for a in pin),
        *((a, "title", t) for a, t in (titles or {}).items()),
        *((a, "summary", t) for a, t in (summaries or {}).items()),
    ]
    if order is not None:
        changes.append(("", "order", ",".join(order)))
    now = datetime.now(UTC)
    with open_warehouse(settings.warehouse, stage="edit") as con:
        issue = run_query(con, "issue_by_id", {"issue_id": issue_id})
        if issue.is_empty():
            raise ApprovalError(f"issue {issue_id}: no such issue (run `renkei draft` first)")
        if issue["status"][0] == "sent":
            raise ApprovalError(f"issue {issue_id}: already sent; it can no longer be edited")
        as_of = as_of or issue["selected_as_of"][0]
        known = set(run_query(con, "issue_activity_ids", {"issue_id": issue_id})["activity_id"])
        missing = sorted({a for a, _, _ in changes if a} | set(undo))
        missing = [a for a in missing if a not in known]
        if missing:
            raise ApprovalError(f"issue {issue_id}: unknown activity id(s) {', '.join(missing)}")
        for activity_id in undo:
            execute(
                con, "delete_issue_edits_for", {"issue_id": issue_id, "activity_id": activity_id}
            )
        for activity_id, action, value in changes:
            execute(con, "upsert_issue_edit", {
                "issue_id": issue_id, "activity_id": activity_id, "action": action,
                "value": value, "by": by, "now": now,
            })  # fmt: skip
        audit(con, by, "edit", issue_id, changes=changes, undo=list(undo), editorial=editorial)
    return draft(settings, issue_id, editorial=editorial, as_of=as_of)


def move_item(
    settings: Settings,
    issue_id: str,
    activity_id: str,
    direction: Literal["up", "down"],
    *,
    by: str,
    as_of: date | None = None,
) -> DraftReport:
    """Move one item of the draft a place up or down within its section, and recompile
    for ``as_of`` (default: the send date the draft was made for).

    The section's shown order is what the compile would show now (its selection, made
    again); the item swaps places with its neighbour and every item of the section gets
    a ``rank`` edit (0, 1, ...), so the order survives recompiles (see compose._ranked)."""
    if direction not in ("up", "down"):
        raise ApprovalError(f"move {activity_id}: direction must be up or down, not {direction!r}")
    now = datetime.now(UTC)
    with open_warehouse(settings.warehouse, stage="edit") as con:
        frame = run_query(con, "issue_by_id", {"issue_id": issue_id})
        if frame.is_empty():
            raise ApprovalError(f"issue {issue_id}: no such issue (run `renkei draft` first)")
        issue = frame.row(0, named=True)
        if issue["status"] == "sent":
            raise ApprovalError(f"issue {issue_id}: already sent; it can no longer be edited")
        as_of = as_of or issue["selected_as_of"] or datetime.now(JST).date()
        selection = select_items(con, settings, Period.parse(issue_id), as_of).selection
        section = next((s for a, s in selection.shown if a == activity_id), None)
        if section is None:
            raise ApprovalError(f"issue {issue_id}: {activity_id} is not in the draft")
        order = [a for a, s in selection.shown if s == section]
        at = order.index(activity_id)
        to = at - 1 if direction == "up" else at + 1
        if not 0 <= to < len(order):
            where = "first" if direction == "up" else "last"
            raise ApprovalError(f"issue {issue_id}: {activity_id} is already {where} in {section}")
        order[at], order[to] = order[to], order[at]
        for rank, moved in enumerate(order):
            execute(con, "upsert_issue_edit", {
                "issue_id": issue_id, "activity_id": moved, "action": "rank",
                "value": str(rank), "by": by, "now": now,
            })  # fmt: skip
        audit(con, by, "edit", issue_id, move=activity_id, direction=direction,
              section=section, order=order)  # fmt: skip
    return draft(settings, issue_id, as_of=as_of)
