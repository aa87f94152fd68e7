"""What the console's issue page shows, read in one read-only open of the warehouse.

:func:`issue_workbench`: the stored draft (subject, HTML, text, hash, approval), its items
per section in the order the mail shows them — each with where it came from, the facts
its card shows and why it is in — the items the editor dropped, what the draft leaves
out (with reasons), the notes on facts read from text, and the issue's history.
:func:`list_issues`: every issue, newest first. Both only read; the CLI may call them too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from renkei.core.errors import ApprovalError
from renkei.core.settings import Settings
from renkei.newsletter.approval import last_editor
from renkei.newsletter.card_facts import card_facts, card_summary
from renkei.newsletter.compose import SECTION_TITLES, Edits, Period, edited_item
from renkei.newsletter.draft import select_items
from renkei.newsletter.model import CATEGORY_JA, Item
from renkei.newsletter.review import fact_notes_of
from renkei.newsletter.selection import Exclusion, place
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

JST = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class WorkbenchItem:
    activity_id: str
    position: int | None  # 0-based place in its section as the mail shows it; None: dropped
    title: str  # as shown (the editor's override, if any)
    summary: str  # as shown (override, if any), before the card takes its facts out
    card_summary: str  # what the card prints: the summary without the facts shown above it
    member_name: str  # the publishing member
    source_kind: Literal["feed", "report"] | None  # None: withdrawn since the compile
    source_ref: str | None  # the feed URL, or the report's file name
    url: str | None  # the item's own link (https only, as in the mail)
    category: str
    category_ja: str
    facts: list[tuple[str, str]]  # (label, value) lines of the card: 日時, 会場, 締切...
    why: str  # why it is in, in Japanese (「開催予定（12月2日）」「ピン留め」...)
    pinned: bool
    dropped: bool
    title_overridden: bool
    summary_overridden: bool
    reminder: bool  # 再掲: an upcoming event already shown in a sent issue


@dataclass(frozen=True)
class WorkbenchSection:
    key: str
    title: str  # Japanese heading (compose.SECTION_TITLES)
    items: list[WorkbenchItem]  # shown items in mail order, then the dropped ones


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str  # draft | edit | approve | reject | ...
    detail: dict[str, Any]  # the audit entry's JSON ({"text": ...} when it is not JSON)


@dataclass(frozen=True)
class Workbench:
    issue_id: str
    number: int
    status: str  # draft | approved | sent
    subject: str
    html: str
    text: str
    content_sha256: str
    selected_as_of: date | None  # the send date the draft was made for
    editorial: str | None
    approved_by: str | None
    approved_at: datetime | None
    approval_comment: str | None
    sent_at: datetime | None
    updated_at: datetime
    sections: list[WorkbenchSection]
    excluded: list[Exclusion]  # left out (and pinned stale items kept), with reasons
    fact_notes: tuple[tuple[str, str, str], ...]  # (activity_id, title, notes)
    history: list[HistoryEntry]  # newest first
    last_editor: str | None  # may not approve when [newsletter] four_eyes is on
    # False: the items the stored draft carries differ from what a recompile would select
    # now (activities changed since, or the renderer left an item out): recompile
    in_sync: bool
    # (title, why) of the items shown that have expired by ``today`` (a draft made for an
    # earlier send date: a call past its deadline, an event over); empty when sent
    expired: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class IssueSummary:
    issue_id: str
    number: int
    status: str
    subject: str
    item_count: int
    content_sha256: str
    approved_by: str | None
    approved_at: datetime | None
    sent_at: datetime | None
    updated_at: datetime


def list_issues(settings: Settings) -> list[IssueSummary]:
    """Every issue, newest period first."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        frame = run_query(con, "issue_list")
    return [IssueSummary(**row) for row in frame.to_dicts()]


def _md(moment: datetime) -> str:
    day = moment.astimezone(JST).date()
    return f"{day.month}月{day.day}日"


def why_in(item: Item, section: str, *, pinned: bool, warning: str | None = None) -> str:
    """Why an item is in the draft, from its section and card (the selection rules of
    renkei.newsletter.selection, said in a few words)."""
    if pinned:
        return f"ピン留め（{warning}）" if warning else "ピン留め"
    if item.category == "call":
        base = f"締切前の公募（{_md(item.deadline_at)}締切）" if item.deadline_at else (
            "期間内の公募（締切不明）"
        )  # fmt: skip
    elif item.starts_at is not None and section != "news":
        base = f"{'再掲・' if item.is_reminder else ''}開催予定（{_md(item.starts_at)}）"
    elif item.starts_at is not None:
        base = "期間内の開催報告"
    else:
        base = "期間内の新着"
    return f"機関・地域をまたぐ共催：{base}" if section == "collaboration" else base


def _card(
    item: Item,
    section: str,
    position: int | None,
    source: dict[str, Any],
    edits: Edits,
    warning: str | None,
) -> WorkbenchItem:
    pinned, dropped = item.activity_id in edits.pinned, position is None
    kind = source.get("source")
    return WorkbenchItem(
        activity_id=item.activity_id, position=position, title=item.title,
        summary=item.summary, card_summary=card_summary(item),
        member_name=item.organisers[0].name,
        source_kind=None if kind is None else "feed" if kind == "feed" else "report",
        source_ref=source.get("source_ref"), url=item.url, category=item.category,
        category_ja=CATEGORY_JA.get(item.category, item.category), facts=card_facts(item),
        why="編集で除外" if dropped else why_in(item, section, pinned=pinned, warning=warning),
        pinned=pinned, dropped=dropped,
        title_overridden=item.activity_id in edits.titles,
        summary_overridden=item.activity_id in edits.summaries, reminder=item.is_reminder,
    )  # fmt: skip


def _history(rows: list[dict]) -> list[HistoryEntry]:
    entries = []
    for row in rows:
        try:
            detail = json.loads(row["detail"]) if row["detail"] else {}
        except ValueError:
            detail = {"text": row["detail"]}
        if not isinstance(detail, dict):
            detail = {"value": detail}
        entries.append(HistoryEntry(row["at"], row["actor"], row["action"], detail))
    return entries


def issue_workbench(settings: Settings, issue_id: str, today: date | None = None) -> Workbench:
    """Everything the console's issue page shows, read in one read-only warehouse open.

    The items' order and why each is in come from the selection made again for the send
    date the draft was made for (a pure function of the warehouse, as the compile made
    it); which items are shown comes from the stored draft."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        frame = run_query(con, "issue_by_id", {"issue_id": issue_id})
        if frame.is_empty():
            raise ApprovalError(f"issue {issue_id}: no such issue (run `renkei draft` first)")
        row = frame.row(0, named=True)
        as_of = row.get("selected_as_of") or datetime.now(JST).date()
        period = Period(issue_id, row["period_start"], row["period_end"])
        selected = select_items(con, settings, period, as_of)
        stored = run_query(con, "issue_workbench_items", {"issue_id": issue_id}).to_dicts()
        excluded = run_query(con, "issue_exclusions", {"issue_id": issue_id}).to_dicts()
        notes = fact_notes_of(con, issue_id)
        history = run_query(con, "issue_history", {"issue_id": issue_id}).to_dicts()
        editor = last_editor(con, issue_id)
    edits, selection = selected.edits, selected.selection
    sources = {r["activity_id"]: r for r in stored}
    stored = [r for r in stored if r["section"] is not None]  # the rest: dropped
    warnings = {e.activity_id: e.reason for e in selection.warnings}
    by_key: dict[str, list[WorkbenchItem]] = {key: [] for key in SECTION_TITLES}
    for section in selection.sections:
        kept = {r["activity_id"] for r in stored}
        shown = [i for i in section.items if i.activity_id in kept]
        by_key[section.key] += [
            _card(i, section.key, n, sources[i.activity_id], edits, warnings.get(i.activity_id))
            for n, i in enumerate(shown)
        ]
    for candidate in selected.candidates.to_dicts():
        if candidate["activity_id"] not in edits.dropped:
            continue
        pinned = candidate["activity_id"] in edits.pinned
        where = place(candidate, start=period.start, end=period.end, as_of=as_of, pinned=pinned)
        if where.section is not None:
            item = edited_item(candidate, edits)
            source = sources.get(item.activity_id, {})
            by_key[where.section].append(_card(item, where.section, None, source, edits, None))
    expired = _expired(selected.candidates.to_dicts(), by_key, period, as_of, today)
    order = {key: n for n, key in enumerate(edits.order)}
    keys = sorted(SECTION_TITLES, key=lambda k: order.get(k, len(order)))
    return Workbench(
        issue_id=row["issue_id"], number=row["number"], status=row["status"],
        subject=row["subject"], html=row["html"], text=row["text"],
        content_sha256=row["content_sha256"], selected_as_of=row.get("selected_as_of"),
        editorial=row["editorial"], approved_by=row["approved_by"],
        approved_at=row["approved_at"], approval_comment=row.get("approval_comment"),
        sent_at=row["sent_at"], updated_at=row["updated_at"],
        sections=[WorkbenchSection(k, SECTION_TITLES[k], by_key[k]) for k in keys if by_key[k]],
        excluded=[Exclusion(**e) for e in excluded], fact_notes=notes,
        history=_history(history), last_editor=editor,
        in_sync={(r["activity_id"], r["section"]) for r in stored} == set(selection.shown),
        expired=[] if row["status"] == "sent" else expired,
    )  # fmt: skip


# The reasons selection gives an item whose date has passed (renkei.newsletter.selection).
_EXPIRED = ("締切済み", "終了済み")


def _expired(
    candidates: list[dict], shown: dict[str, list[WorkbenchItem]], period: Period,
    as_of: date, today: date | None,
) -> list[tuple[str, str]]:  # fmt: skip
    """(title, why) of each item shown that selection would leave out as of ``today`` for its
    date alone (the draft was made for ``as_of``, before it)."""
    if today is None or today <= as_of:
        return []
    rows = {c["activity_id"]: c for c in candidates}
    found = []
    for items in shown.values():
        for item in items:
            row = rows.get(item.activity_id)
            if item.dropped or row is None:
                continue
            later = place(row, start=period.start, end=period.end, as_of=today, pinned=False)
            if later.section is None and (later.reason or "").startswith(_EXPIRED):
                found.append((item.title, later.reason or ""))
    return found
