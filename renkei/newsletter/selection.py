"""The selection rules: for each candidate row, the section it goes to or why it is left out.

A pure function of the rows (``issue_candidates.sql``), the period, the send date and the
secretariat's edits. Rules, in order:

- hidden by the secretariat (``activity_hidden``): left out, even when pinned — 非表示;
- dropped by the editor (``renkei edit --drop``): 編集で除外;
- pinned (``renkei edit --pin``): always included in its section, above the cap; when it
  is stale (ended, deadline passed, already sent) a warning says so;
- an event that ended before the send date is not upcoming: 終了済み — unless it is news
  (reported in the period, after it began, never sent): then it is a result (news section);
- a call whose deadline is before the send date: 締切済み; an open call (deadline on or
  after the send date) is a candidate whatever month it was published in;
- news, calls and success cases already in a sent issue: 第N号に掲載済み (upcoming events
  return as reminders);
- over the section cap: 上限超過;
- activities merged into a candidate (``activity_merges``): 重複.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
# how the draft's summary (CLI output, run summary) marks its lines; the approval request
# turns them back into lists
EXCLUDED_MARK = "excluded: "
WARNING_MARK = "warning: "


@dataclass(frozen=True)
class Exclusion:
    """A candidate left out of the draft (or, ``included``, kept with a warning)."""

    activity_id: str
    title: str
    member_name: str
    reason: str
    included: bool = False  # a pinned stale item: in the draft, with this warning

    def line(self) -> str:
        if self.included:
            return f"{self.label()}：{self.reason}ですが、固定表示のため掲載します"
        return f"{self.label()}：{self.reason}"

    def label(self) -> str:
        return f"{self.activity_id}「{self.title}」（{self.member_name}）"


@dataclass(frozen=True)
class Placement:
    section: str | None  # collaboration | events | calls | spotlight | news; None: left out
    reason: str | None = None  # why left out, or the pinned item's staleness warning
    reminder: bool = False


def _day(moment: datetime) -> date:
    return moment.astimezone(JST).date()


def _md(moment: datetime) -> str:
    day = _day(moment)
    return f"{day.month}月{day.day}日"


def _in_period(row: dict, start: date, end: date) -> bool:
    return start <= _day(row["reported_at"]) <= end


def _shown(row: dict) -> str:
    return f"第{row['shown_in']}号に掲載済み" if row.get("shown_in") else "掲載済み"


def place(row: dict, *, start: date, end: date, as_of: date, pinned: bool) -> Placement:
    """Where one candidate goes (before caps), or why it is left out."""
    if row.get("hidden"):
        why = row.get("hidden_reason")
        return Placement(None, f"非表示（{why}）" if why else "非表示")
    shown_before = bool(row["shown_before"])
    stale: str | None = None
    if row["category"] == "call":
        section = "calls"
        deadline = row["deadline_at"]
        if deadline is not None and _day(deadline) < as_of:
            stale = f"締切済み（{_md(deadline)}締切）"
        elif shown_before:
            stale = _shown(row)
        elif deadline is None and not _in_period(row, start, end):
            stale = f"対象期間外（{_md(row['reported_at'])}の掲載、締切不明）"
    elif row["starts_at"] is not None:
        section = "events"
        last = row["ends_at"] or row["starts_at"]
        if _day(last) < as_of:
            reported = row["reported_at"]
            if _in_period(row, start, end) and reported >= row["starts_at"] and not shown_before:
                section = "news"  # a report of an event that took place: a result
            else:
                stale = f"終了済み（{_md(last)}終了）"
    else:
        section = "spotlight" if row["category"] == "success_case" else "news"
        if shown_before:
            stale = _shown(row)
        elif not _in_period(row, start, end):
            stale = f"対象期間外（{_md(row['reported_at'])}の掲載）"
    if stale and not pinned:
        return Placement(None, stale)
    if row.get("collaboration") and not shown_before and not stale:
        section = "collaboration"  # co-hosted across sectors or prefectures: the highlight
    reminder = section == "events" and shown_before and not pinned
    return Placement(section, stale, reminder)


def over_cap(title: str, cap: int) -> str:
    return f"上限超過（{title}は{cap}件まで）"


def duplicate(kept_id: str, kept_title: str) -> str:
    return f"重複（{kept_id}「{kept_title}」に統合）"
