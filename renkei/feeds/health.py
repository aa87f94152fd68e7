"""Feed health at a glance: one row per member feed, for `renkei feeds` and the flow.

Status values (worst first): ``failing`` (the last attempt failed, or no fetch has
ever succeeded), ``disabled`` (the site answered 410 Gone), ``never-fetched``,
``stale`` (no item dated in the last 90 days), ``ok``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from renkei.core import text_table
from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

JST = ZoneInfo("Asia/Tokyo")
STATUSES = ("failing", "disabled", "never-fetched", "stale", "ok")  # worst first
ARTIFACT_KEY = "feed-health"


class SortBy(StrEnum):
    status = "status"
    member = "member"
    failures = "failures"
    last_success = "last-success"
    items = "items"


def sort_key(text: str) -> SortBy:
    try:
        return SortBy(text)
    except ValueError:
        choices = " | ".join(s.value for s in SortBy)
        raise RenkeiError(f"feeds --sort {text}: not a sort key (use {choices})") from None


def read_health(settings: Settings, now: datetime | None = None) -> pl.DataFrame:
    """Every registry feed with its health figures and status, by member_id."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return health_from(con, now)


def health_from(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> pl.DataFrame:
    """``read_health`` on an open connection."""
    return run_query(con, "feed_health", {"now": now or datetime.now(UTC)})


def enable_feed(settings: Settings, member_id: str, *, by: str, now: datetime | None = None) -> str:
    """Fetch a feed disabled after 410 Gone again from the next run (the secretariat found
    it is back, e.g. the site was restored); audited. A feed still answering 410 is
    disabled again by that run."""
    with open_warehouse(settings.warehouse, stage="feed_enable") as con:
        state = run_query(con, "feed_state_all").filter(pl.col("member_id") == member_id)
        if state.is_empty() or state["disabled_at"][0] is None:
            raise RenkeiError(f"フィード {member_id} は停止されていません")
        reason = state["disabled_reason"][0]
        with transaction(con):
            execute(con, "console_ops_feed_enable",
                    {"member_id": member_id, "now": now or datetime.now(UTC)})  # fmt: skip
            audit(con, by, "feed_enable", member_id, disabled_reason=reason)
    return f"{member_id}: フィードを再開しました（次回の取得で確認します）"


def sort_health(frame: pl.DataFrame, by: SortBy = SortBy.status) -> pl.DataFrame:
    if by is SortBy.member:
        return frame.sort("member_id")
    if by is SortBy.failures:
        return frame.sort(["consecutive_failures", "member_id"], descending=[True, False])
    if by is SortBy.last_success:  # never succeeded first, then the longest ago
        return frame.sort(["last_success_at", "member_id"], nulls_last=False)
    if by is SortBy.items:
        return frame.sort(["items_90d", "items_30d", "member_id"])
    rank = pl.col("status").replace_strict(
        {s: i for i, s in enumerate(STATUSES)}, return_dtype=pl.Int8
    )
    return frame.sort([rank, "member_id"])


def _when(value: datetime | None) -> str:
    return f"{value.astimezone(JST):%Y-%m-%d %H:%M}" if value else "-"


def _problem(row: dict) -> str:
    text = row["disabled_reason"] if row["status"] == "disabled" else row["last_error"]
    return " ".join(str(text).split()) if text else ""


# Column headings for the secretariat (the status values stay the English words,
# which are also what `renkei feeds --sort` and the README use).
STATUS, MEMBER, NAME, ERROR = "状態", "会員ID", "機関名", "直近のエラー"
_NUMERIC = {"連続失敗", "30日の件数", "90日の件数"}


def table_rows(frame: pl.DataFrame) -> list[dict[str, object]]:
    """Rows as shown to the secretariat (times in JST, one line of error)."""
    return [
        {
            STATUS: row["status"],
            MEMBER: row["member_id"],
            NAME: row["name"],
            "最終成功": _when(row["last_success_at"]),
            "最終試行": _when(row["last_attempt_at"]),
            "連続失敗": row["consecutive_failures"],
            "30日の件数": row["items_30d"],
            "90日の件数": row["items_90d"],
            "次回": _when(row["next_due_at"]) if row["next_due_at"] else "次の実行時",
            ERROR: _problem(row),
        }
        for row in frame.iter_rows(named=True)
    ]


LEGEND = (
    "状態: failing＝直近の取得に失敗 / disabled＝410 Gone で停止 / never-fetched＝未取得 / "
    "stale＝90日間新着なし / ok＝正常"
)


def counts_line(frame: pl.DataFrame) -> str:
    counts = dict(frame.group_by("status").len().iter_rows())
    parts = [f"{s} {counts[s]}" for s in STATUSES if counts.get(s)]
    return f"フィード {frame.height} 件: {', '.join(parts) if parts else '登録なし'}"


def format_table(rows: list[dict[str, object]], error_chars: int = 70) -> str:
    """The health table, lined up with Japanese names; errors cut to ``error_chars``."""
    return text_table.format_table(rows, numeric=_NUMERIC, cut={ERROR: error_chars})


def publish_artifact(settings: Settings) -> None:
    """The health table as a Prefect table artifact (key ``feed-health``) of the flow run."""
    from prefect.artifacts import create_table_artifact

    frame = sort_health(read_health(settings))
    create_table_artifact(
        table=table_rows(frame),
        key=ARTIFACT_KEY,
        description=f"フィードの状態: {counts_line(frame)}",
    )
