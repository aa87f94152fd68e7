"""Staging → activities in the warehouse: normalize, rebuild, and secretariat overrides.

Every normalize reads all of staging, so the activity table is a pure function of staging,
the classification dictionary, the member registry and the secretariat's overrides; that is
what lets ``rebuild`` drop it and get the same rows back. Activity ids are derived from
natural keys and ``first_seen_at`` from staging's ``staged_at``, never from sequences or
the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from renkei.errors import RenkeiError
from transforms.activities import build_activities
from transforms.classify import CATEGORIES, Rules
from transforms.organisers import merge_cohosted
from transforms.overrides import apply_overrides
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

__all__ = ["NormalizeResult", "classify_activity", "normalize_warehouse", "rebuild_warehouse"]


class ClassifyError(RenkeiError):
    """A `renkei classify` request names an unknown activity or category."""


@dataclass(frozen=True)
class NormalizeResult:
    staged: int
    activities: int  # rows in the activities table afterwards
    quarantined: int
    merged: int  # activities folded into another (co-hosted / announced twice)


def _with_batch(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, **params) -> None:
    """Run a named statement that reads ``batch`` (even when the frame is empty)."""
    con.register("batch", frame)
    try:
        execute(con, name, params)
    finally:
        con.unregister("batch")


def _compute(
    con: duckdb.DuckDBPyConnection, rules: Rules, summary_chars: int
) -> tuple[int, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    staged = run_query(con, "staged_for_normalize")
    activities, quarantine = build_activities(staged, rules, summary_chars=summary_chars)
    activities, organisers, merges = merge_cohosted(activities, run_query(con, "member_names"))
    activities = apply_overrides(activities, run_query(con, "activity_overrides_all"))
    return staged.height, activities, quarantine, organisers, merges


def write_normalized(
    con: duckdb.DuckDBPyConnection,
    activities: pl.DataFrame,
    quarantine: pl.DataFrame,
    organisers: pl.DataFrame,
    merges: pl.DataFrame,
    now: datetime,
) -> None:
    """Write one normalise result (computed here or on a Dask worker); the caller holds
    the transaction."""
    if not activities.is_empty():
        _with_batch(con, "upsert_activities", activities, now=now)
    if not quarantine.is_empty():
        _with_batch(
            con,
            "insert_quarantine",
            quarantine.with_columns(detail=pl.lit(None, pl.String)),
            stage="normalize",
            now=now,
        )
    _with_batch(con, "replace_activity_organisers", organisers)
    _with_batch(con, "replace_activity_merges", merges)


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM activities").fetchall()[0][0]


def normalize_warehouse(
    con: duckdb.DuckDBPyConnection, rules: Rules, *, summary_chars: int, now: datetime
) -> NormalizeResult:
    """Recompute activities, organisers and merges from staging; upsert in one transaction."""
    staged, activities, quarantine, organisers, merges = _compute(con, rules, summary_chars)
    with transaction(con):
        write_normalized(con, activities, quarantine, organisers, merges, now)
    return NormalizeResult(staged, _count(con), quarantine.height, merges.height)


def rebuild_warehouse(
    con: duckdb.DuckDBPyConnection, rules: Rules, *, summary_chars: int, now: datetime
) -> NormalizeResult:
    """Drop activities (and what normalize derives) and recompute them from staging.

    Overrides are kept and applied again; an activity whose content is unchanged keeps its
    first_seen_at and updated_at, so a rebuild of an unchanged warehouse changes nothing.
    """
    before = run_query(con, "activity_timestamps")
    staged, activities, quarantine, organisers, merges = _compute(con, rules, summary_chars)
    with transaction(con):
        execute(con, "clear_normalized")
        write_normalized(con, activities, quarantine, organisers, merges, now)
        if not before.is_empty():
            _with_batch(con, "restore_activity_timestamps", before)
    return NormalizeResult(staged, _count(con), quarantine.height, merges.height)


def classify_activity(
    con: duckdb.DuckDBPyConnection, activity_id: str, category: str, *, by: str, now: datetime
) -> tuple[str, str]:
    """Store the secretariat's category for one activity; return (title, previous category)."""
    if category not in CATEGORIES:
        raise ClassifyError(
            f"classify: 分類「{category}」は使えません（使えるのは {', '.join(CATEGORIES)}）"
        )
    found = run_query(con, "activity_by_id", {"activity_id": activity_id})
    if found.is_empty():
        raise ClassifyError(f"classify: 活動 {activity_id} は activities にありません")
    row = found.row(0, named=True)
    params = {"activity_id": activity_id, "category": category, "set_by": by}
    with transaction(con):
        execute(con, "upsert_activity_override", {**params, "now": now})
        execute(con, "apply_activity_override", params)
    return row["title"], row["category"]
