"""The secretariat hides an activity from public view, and shows it again.

A hidden activity keeps its row in ``activities`` (and everything it came from); the table
``activity_hidden`` says who hid it, when and why. Drafts, every file of the open dataset
(activities, events, .ics, Atom, statistics) and the public archive of sent issues leave
it out from the next compile or publish. The table is not derived from staging, so a
``renkei rebuild`` keeps it. Each hide and unhide is written to the audit log in the same
transaction as the change.

An id may be hidden when it is an activity or an item of an issue: an activity a member
has since withdrawn can still sit in a sent issue's archive page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

__all__ = ["HiddenActivity", "HideError", "hidden_activities", "hide", "unhide"]


class HideError(RenkeiError):
    """A hide/unhide request that cannot be carried out (unknown id, already hidden, ...)."""


JST = ZoneInfo("Asia/Tokyo")  # what `status` and the receipts show too


@dataclass(frozen=True)
class HiddenActivity:
    activity_id: str
    hidden_by: str
    hidden_at: datetime
    reason: str
    title: str | None  # None when the activity was withdrawn since
    member_name: str | None

    def line(self) -> str:
        when = self.hidden_at.astimezone(JST).strftime("%Y-%m-%d %H:%M JST")
        what = f"{self.title}（{self.member_name}）" if self.title else "（取り下げ済みの活動）"
        return f"{self.activity_id}\t{what}\t{when}\t{self.hidden_by}\t{self.reason}"


def _required(value: str, what: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise HideError(f"{what} を書いてください（記録に残ります）")
    return text


def hide(
    settings: Settings, activity_id: str, *, by: str, reason: str, now: datetime | None = None
) -> str:
    """Hide one activity from drafts, the dataset and the archive (from the next publish)."""
    by, reason = _required(by, "--by"), _required(reason, "--reason")
    at = now or datetime.now(UTC)
    with open_warehouse(settings.warehouse, stage="hide") as con:
        known = run_query(con, "activity_known", {"activity_id": activity_id}).row(0, named=True)
        if not known["in_activities"] and not known["in_issues"]:
            raise HideError(f"hide: 活動 {activity_id} は activities にも号の項目にもありません")
        already = run_query(con, "hidden_activity", {"activity_id": activity_id})
        if already.height:
            row = already.row(0, named=True)
            raise HideError(
                f"hide: 活動 {activity_id} はすでに非公開です（{row['hidden_by']}、"
                f"理由：{row['reason']}）。理由を変えるときは unhide してから hide してください"
            )
        params = {"activity_id": activity_id, "hidden_by": by, "hidden_at": at, "reason": reason}
        with transaction(con):
            execute(con, "hide_activity", params)
            audit(con, by, "hide", activity_id, reason=reason, title=known["title"])
    title = known["title"] or "（取り下げ済みの活動）"
    return f"{activity_id} {title}: hidden by {by} ({reason}); gone from the next publish"


def unhide(settings: Settings, activity_id: str, *, by: str) -> str:
    """Make a hidden activity public again (from the next compile or publish)."""
    by = _required(by, "--by")
    with open_warehouse(settings.warehouse, stage="unhide") as con:
        found = run_query(con, "hidden_activity", {"activity_id": activity_id})
        if found.is_empty():
            raise HideError(f"unhide: 活動 {activity_id} は非公開になっていません")
        row = found.row(0, named=True)
        with transaction(con):
            execute(con, "unhide_activity", {"activity_id": activity_id})
            audit(
                con, by, "unhide", activity_id,
                hidden_by=row["hidden_by"], hidden_at=row["hidden_at"], reason=row["reason"],
            )  # fmt: skip
    return f"{activity_id}: shown again by {by} (hidden by {row['hidden_by']}: {row['reason']})"


def hidden_activities(settings: Settings) -> list[HiddenActivity]:
    """Every hidden activity, oldest hide first."""
    with open_warehouse(settings.warehouse, stage="hidden") as con:
        frame = run_query(con, "hidden_activities")
    return [HiddenActivity(**row) for row in frame.iter_rows(named=True)]
