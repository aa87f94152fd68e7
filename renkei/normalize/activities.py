"""Staging → activities in the warehouse: normalize, rebuild, and secretariat overrides.

Every normalize reads all of staging, so the activity table is a pure function of staging,
the classification dictionary, the member registry and the secretariat's overrides; that is
what lets ``rebuild`` drop it and get the same rows back. Activity ids are derived from
natural keys and ``first_seen_at`` from staging's ``staged_at``, never from sequences or
the clock.

One implementation for every runner: read (``staged_for_normalize`` and friends), compute
(``Build``: clean, classify, dedupe — ``build_here`` in this process, or the Dask path's
function that runs the same ``build_here`` on a cluster worker), then merge co-hosted
announcements, apply overrides and write in one transaction. A report's 機関名 (kept in the
staged row's ``extra``) names a co-host member, or is kept as written
(``activity_organiser_names``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from renkei.normalize.invariants import assert_invariants
from renkei.normalize.related import replace_related
from renkei.normalize.rules import load_rules
from transforms import contracts
from transforms.activities import build_activities
from transforms.classify import CATEGORIES, Rules
from transforms.organisers import merge_cohosted, report_organisers, unmatched_organisers
from transforms.overrides import apply_overrides
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

__all__ = [
    "Build",
    "NormalizeReport",
    "build_here",
    "classify",
    "normalize",
    "rebuild",
]

# The CPU part of normalise: staged rows in, (activities, quarantine) out.
Build = Callable[[pl.DataFrame, Rules, int], tuple[pl.DataFrame, pl.DataFrame]]


class ClassifyError(RenkeiError):
    """A `renkei classify` request names an unknown activity or category."""


@dataclass
class NormalizeReport:
    staged: int
    activities: int  # rows in the activities table afterwards
    quarantined: int
    merged: int = 0  # activities folded into another (co-hosted / announced twice)

    def summary(self) -> str:
        merged = f", {self.merged} merged" if self.merged else ""
        return (
            f"{self.staged} staged rows -> {self.activities} activities, "
            f"{self.quarantined} quarantined{merged}"
        )


def build_here(
    staged: pl.DataFrame, rules: Rules, summary_chars: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Clean, classify and dedupe in this process (the default ``Build``)."""
    return build_activities(staged, rules, summary_chars=summary_chars)


def _with_batch(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, **params) -> None:
    """Run a named statement that reads ``batch`` (even when the frame is empty)."""
    con.register("batch", frame)
    try:
        execute(con, name, params)
    finally:
        con.unregister("batch")


@dataclass(frozen=True)
class _Computed:
    staged: int
    activities: pl.DataFrame
    quarantine: pl.DataFrame
    organisers: pl.DataFrame
    merges: pl.DataFrame
    organiser_names: pl.DataFrame  # report organisers that name no member, as written


def _compute(
    con: duckdb.DuckDBPyConnection, rules: Rules, summary_chars: int, build: Build
) -> _Computed:
    staged = run_query(con, "staged_for_normalize")
    contracts.check(staged, contracts.STAGED)
    activities, quarantine = build(staged, rules, summary_chars)
    contracts.check(activities, contracts.ACTIVITIES)
    contracts.check(quarantine, contracts.QUARANTINE)
    members = run_query(con, "member_names")
    # a report's 機関名, on the activity its (winning) staged row became
    named = report_organisers(staged).join(
        activities.select("stage_id", "activity_id"), on="stage_id"
    )
    activities, organisers, merges = merge_cohosted(activities, members, named)
    names = unmatched_organisers(named, members, merges)
    activities = apply_overrides(activities, run_query(con, "activity_overrides_all"))
    contracts.check(activities, contracts.ACTIVITIES)  # what is written: after the overrides
    return _Computed(staged.height, activities, quarantine, organisers, merges, names)


def _write(con: duckdb.DuckDBPyConnection, result: _Computed, now: datetime) -> None:
    """Write one normalise result; the caller holds the transaction."""
    if not result.activities.is_empty():
        _with_batch(con, "upsert_activities", result.activities, now=now)
    if not result.quarantine.is_empty():
        _with_batch(
            con,
            "insert_quarantine",
            result.quarantine.with_columns(detail=pl.lit(None, pl.String)),
            stage="normalize",
            now=now,
        )
    con.register("names", result.organiser_names)
    try:
        _with_batch(con, "replace_activity_organisers", result.organisers)
    finally:
        con.unregister("names")
    _with_batch(con, "replace_activity_merges", result.merges)


def _report(con: duckdb.DuckDBPyConnection, result: _Computed) -> NormalizeReport:
    count = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    return NormalizeReport(result.staged, count, result.quarantine.height, result.merges.height)


def normalize(settings: Settings, build: Build = build_here) -> NormalizeReport:
    """Recompute activities, organisers and merges from staging; upsert in one transaction."""
    rules = load_rules(settings.classification)
    with open_warehouse(settings.warehouse, stage="normalize") as con:
        result = _compute(con, rules, settings.summary_chars, build)
        with transaction(con):
            _write(con, result, datetime.now(UTC))
            replace_related(con)  # derived from the activities just written
            assert_invariants(con)  # before the commit: a table that breaks them is not kept
        return _report(con, result)


def rebuild(settings: Settings, build: Build = build_here) -> NormalizeReport:
    """Drop activities (and what normalize derives) and recompute them from staging.

    Overrides are kept and applied again; an activity whose content is unchanged keeps its
    first_seen_at and updated_at, so a rebuild of an unchanged warehouse changes nothing.
    """
    rules = load_rules(settings.classification)
    with open_warehouse(settings.warehouse, stage="rebuild") as con:
        before = run_query(con, "activity_timestamps")
        result = _compute(con, rules, settings.summary_chars, build)
        with transaction(con):
            execute(con, "clear_normalized")
            _write(con, result, datetime.now(UTC))
            if not before.is_empty():
                _with_batch(con, "restore_activity_timestamps", before)
            replace_related(con)
            assert_invariants(con)  # before the commit: a table that breaks them is not kept
        report = _report(con, result)
        audit(con, "renkei", "rebuild", "activities", activities=report.activities)
    return report


def classify(settings: Settings, activity_id: str, category: str, by: str) -> str:
    """Record the secretariat's category for one activity (wins over rules and rebuilds)."""
    if category not in CATEGORIES:
        raise ClassifyError(
            f"classify: 分類「{category}」は使えません（使えるのは {', '.join(CATEGORIES)}）"
        )
    with open_warehouse(settings.warehouse, stage="classify") as con:
        found = run_query(con, "activity_by_id", {"activity_id": activity_id})
        if found.is_empty():
            raise ClassifyError(f"classify: 活動 {activity_id} は activities にありません")
        row = found.row(0, named=True)
        params = {"activity_id": activity_id, "category": category, "set_by": by}
        with transaction(con):
            execute(con, "upsert_activity_override", {**params, "now": datetime.now(UTC)})
            execute(con, "apply_activity_override", params)
        audit(con, by, "classify", activity_id, category=category, previous=row["category"])
    return f"{activity_id} {row['title']}: {row['category']} -> {category} (by {by})"
