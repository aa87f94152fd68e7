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

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from renkei.normalize.incremental import SMALL_INCREMENT, compute_increment, write_increment
from renkei.normalize.invariants import assert_invariants
from renkei.normalize.payload import Payload
from renkei.normalize.related import replace_related
from renkei.normalize.rules import load_rules
from renkei.normalize.state import (
    derive,
    fingerprint,
    record_run,
    state_fingerprint,
    with_frames,
)
from transforms import contracts
from transforms.activities import (
    MERGING_COLUMNS,
    PART_ROWS,
    build_activities,
    build_activities_from,
)
from transforms.classify import CATEGORIES, Rules
from warehouse.connection import open_warehouse
from warehouse.queries import execute, query_parts, registered, run_query
from warehouse.transaction import transaction

__all__ = [
    "Build",
    "NormalizeReport",
    "build_here",
    "classify",
    "normalize",
    "rebuild",
    "write_activities",
]

# The CPU part of normalise: staged rows in, (activities, quarantine) out.
Build = Callable[[pl.DataFrame, Rules, int], tuple[pl.DataFrame, pl.DataFrame]]

# A full normalise of more staged rows than this spills the built activities' text to a
# Payload (renkei/normalize/payload.py); one part's worth is built in memory.
SPILL_FROM_ROWS = PART_ROWS

# The activities a full normalise holds (the rest is in its Payload until written).
_KEPT = contracts.kept_columns(
    [c for c in MERGING_COLUMNS if c not in ("title", "summary")] + ["first_seen_at"]
)


class ClassifyError(RenkeiError):
    """A `renkei classify` request names an unknown activity or category."""


@dataclass
class NormalizeReport:
    staged: int
    activities: int  # rows in the activities table afterwards
    quarantined: int
    merged: int = 0  # activities folded into another (co-hosted / announced twice)
    mode: str = "full"  # full | incremental
    new_rows: int | None = None  # staged rows processed (new or changed when incremental)
    touched: int | None = None  # activities recomputed (before merging)

    def processed(self) -> str:
        """What this run processed (recorded in normalize_runs too)."""
        return (
            f"{self.mode}: {self.new_rows or 0} new/changed staged rows, "
            f"{self.touched or 0} activities touched"
        )

    def summary_ja(self) -> str:
        """The run in Japanese, for the console's dashboard."""
        kind = "差分" if self.mode == "incremental" else "全件"
        merged = f"・統合 {self.merged} 件" if self.merged else ""
        return (
            f"{kind}の整理：取り込んだ {self.staged} 行 → 活動 {self.activities} 件"
            f"（要確認で保留 {self.quarantined} 件{merged}）"
        )

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
    activities, quarantine = build_activities(staged, rules, summary_chars=summary_chars)
    return activities, quarantine


def _with_batch(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame, **params) -> None:
    """Run a named statement that reads ``batch`` (even when the frame is empty)."""
    with_frames(con, name, params, batch=frame)


@dataclass(frozen=True)
class _Computed:
    staged: int
    activities: pl.DataFrame
    quarantine: pl.DataFrame
    organisers: pl.DataFrame
    merges: pl.DataFrame
    organiser_names: pl.DataFrame  # report organisers that name no member, as written
    groups: pl.DataFrame  # every activity before merging: its group and keys
    rows: pl.DataFrame | None  # (stage_id, activity_id) of good rows; None: state not kept
    payload: Payload | None  # where the activities' other columns are (None: all here)


def _compute(
    con: duckdb.DuckDBPyConnection,
    rules: Rules,
    summary_chars: int,
    build: Build,
    members: pl.DataFrame,
    overrides: pl.DataFrame,
    payload: Payload,
) -> _Computed:
    rows = None
    if build is build_here:  # read a part at a time; the state incremental needs comes too
        seen = _Seen()
        big = run_query(con, "staged_row_count").item() > SPILL_FROM_ROWS
        spilled = payload.start() if big else None
        activities, quarantine, rows = build_activities_from(
            seen.parts(query_parts(con, "staged_for_normalize", PART_ROWS)),
            rules,
            summary_chars=summary_chars,
            spill=payload.spill if big else None,
        )
        staged, count = seen.reports(), seen.count
        contract = _KEPT if big else contracts.ACTIVITIES
    else:
        staged = run_query(con, "staged_for_normalize")
        contracts.check(staged, contracts.STAGED)
        activities, quarantine = build(staged, rules, summary_chars)
        count, contract, spilled = staged.height, contracts.ACTIVITIES, None
    contracts.check(activities, contract)
    contracts.check(quarantine, contracts.QUARANTINE)
    d = derive(staged, activities, members, overrides, mark_kept=True, contract=contract)
    return _Computed(count, d.activities, quarantine, d.organisers, d.merges,
                     d.organiser_names, d.groups, rows, spilled)  # fmt: skip


class _Seen:
    """Checks each staged part against the contract as it goes by, counts the rows and
    keeps the little ``derive`` needs of them afterwards (report rows' ``extra``)."""

    def __init__(self) -> None:
        self.count = 0
        self._reports: list[pl.DataFrame] = []

    def parts(self, parts: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for part in parts:
            contracts.check(part, contracts.STAGED)
            self.count += part.height
            self._reports.append(
                part.filter(
                    pl.col("extra").is_not_null() & (pl.col("source_kind") == "csv")
                ).select("stage_id", "source_kind", "extra")
            )
            yield part

    def reports(self) -> pl.DataFrame:
        schema = {"stage_id": pl.String(), "source_kind": pl.String(), "extra": pl.String()}
        return pl.concat([pl.DataFrame(schema=schema), *self._reports])


def _insert_quarantine(con: duckdb.DuckDBPyConnection, quarantine: pl.DataFrame, now) -> None:
    if not quarantine.is_empty():
        _with_batch(
            con,
            "insert_quarantine",
            quarantine.with_columns(detail=pl.lit(None, pl.String)),
            stage="normalize",
            now=now,
        )


def write_activities(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    """Store the activities of ``batch`` (a frame or view with ACTIVITIES_SCHEMA's columns
    but updated_at): a stored one whose row differs is updated, a new one inserted, an
    unchanged one left as it is. The table has no key (migration 029): uniqueness is the
    caller's invariant, checked before its commit (renkei.normalize.invariants)."""
    for statement in ("activities_update_changed", "activities_insert_new"):
        execute(con, statement, {"now": now})


def _write(con: duckdb.DuckDBPyConnection, result: _Computed, now: datetime) -> None:
    """Write one normalise result; the caller holds the transaction."""
    # Frames go to DuckDB without a copy (warehouse.queries.registered); unchanged
    # activities are not rewritten.
    with registered(con, built=result.activities):
        if result.payload is None:
            execute(con, "activities_kept_view")  # `batch`: the kept ones (merged left out)
        else:  # the same, the columns not kept in memory read back from the payload
            result.payload.relation(con).create_view("payload", replace=True)
            execute(con, "activities_spilled_view")
        write_activities(con, now)
        execute(con, "activities_kept_view_drop")
    _insert_quarantine(con, result.quarantine, now)
    with registered(con, batch=result.organisers, names=result.organiser_names):
        execute(con, "replace_activity_organisers")
    with registered(con, batch=result.merges):
        execute(con, "replace_activity_merges")


def _report(con: duckdb.DuckDBPyConnection, result: _Computed) -> NormalizeReport:
    count = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    return NormalizeReport(
        result.staged, count, result.quarantine.height, result.merges.height,
        new_rows=result.staged, touched=result.groups.height,
    )  # fmt: skip


def _inputs(con: duckdb.DuckDBPyConnection, settings: Settings, rules: Rules):
    members = run_query(con, "member_names")
    fp = fingerprint(rules, settings.summary_chars, members)
    return members, run_query(con, "activity_overrides_all"), fp


def _write_state(con: duckdb.DuckDBPyConnection, result: _Computed) -> None:
    if result.rows is None:
        execute(con, "normalize_clear_state")
    else:
        with registered(con, batch=result.rows, groups=result.groups):
            execute(con, "normalize_full_state")


def _record(con, report: NormalizeReport, *, at: datetime, fp: str | None, gone: int) -> None:
    seconds = (datetime.now(UTC) - at).total_seconds()
    record_run(con, at=at, mode=report.mode, fp=fp, staged_rows=report.new_rows or 0,
               gone_rows=gone, touched=report.touched or 0, seconds=seconds)  # fmt: skip


def _incremental(con, settings: Settings, rules: Rules, members, overrides, fp: str, now):
    inc = compute_increment(con, rules, settings.summary_chars, members, overrides)
    if inc.new_rows + inc.gone_rows > SMALL_INCREMENT:
        execute(con, "normalize_memory_reset")
    with transaction(con):
        if inc.derived is not None and not inc.derived.activities.is_empty():
            with registered(con, batch=inc.derived.activities):
                write_activities(con, now)
        write_increment(con, inc)
        _insert_quarantine(con, inc.quarantine, now)
        assert_invariants(con)  # before the commit: a table that breaks them is not kept
        staged, activities, quarantined, merged = run_query(con, "normalize_counts").row(0)
        report = NormalizeReport(staged, activities, quarantined, merged, "incremental",
                                 inc.new_rows, inc.scope.height)  # fmt: skip
        _record(con, report, at=now, fp=fp, gone=inc.gone_rows)
    return report


def _bounded_memory(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    run: Callable[[Payload, bool], NormalizeReport],
) -> NormalizeReport:
    """``run`` (a full normalise or a rebuild, one transaction) with DuckDB's buffer kept
    near 192 MB while staging is read and the activities built, and near 512 MB for the
    writes (``run`` sets that when told it runs ``limited``); operators spill beyond it.
    A history too big for that (DuckDB cannot spill everything: a transaction's new index
    entries stay in memory) fails with OutOfMemoryException, which rolls the transaction
    back; it then runs again with DuckDB's default limit, so a bigger warehouse costs
    memory, never a failed run. Each run spills the built activities' text to a Payload
    folder beside the warehouse (renkei.normalize.payload), removed when the run ends."""
    execute(con, "normalize_memory_read")
    try:
        with Payload(settings.warehouse) as payload:
            return run(payload, True)
    except duckdb.OutOfMemoryException:
        execute(con, "normalize_memory_reset")
        with Payload(settings.warehouse) as payload:
            return run(payload, False)
    finally:
        execute(con, "normalize_memory_reset")


def normalize(
    settings: Settings, build: Build = build_here, *, full: bool = False
) -> NormalizeReport:
    """Bring activities, organisers and merges up to date with staging, in one transaction.

    Incremental (renkei.normalize.incremental) when the last normalise kept its state and
    nothing else an activity depends on changed since; otherwise (or with ``full``) every
    staged row is recomputed and upserted.
    """
    rules = load_rules(settings.classification)
    with open_warehouse(settings.warehouse, stage="normalize") as con:
        now = datetime.now(UTC)
        members, overrides, fp = _inputs(con, settings, rules)
        if not full and build is build_here and state_fingerprint(con) == fp:
            execute(con, "normalize_memory_small")
            try:
                return _incremental(con, settings, rules, members, overrides, fp, now)
            finally:
                execute(con, "normalize_memory_reset")

        def full_run(payload: Payload, limited: bool) -> NormalizeReport:
            result = _compute(con, rules, settings.summary_chars, build, members, overrides,
                              payload)  # fmt: skip
            if limited:
                execute(con, "normalize_memory_full")
            with transaction(con):
                _write_state(con, result)  # first: DuckDB holds the registered activities
                _write(con, result, now)  # until the commit, so the state's join comes before
                replace_related(con)  # derived from the activities just written
                assert_invariants(con)  # before the commit: a table that breaks them is not kept
                report = _report(con, result)
                fp_kept = fp if result.rows is not None else None
                _record(con, report, at=now, fp=fp_kept, gone=0)
            return report

        return _bounded_memory(con, settings, full_run)


def rebuild(settings: Settings, build: Build = build_here) -> NormalizeReport:
    """Drop activities (and what normalize derives) and recompute them from staging.

    Overrides are kept and applied again; an activity whose content is unchanged keeps its
    first_seen_at and updated_at, so a rebuild of an unchanged warehouse changes nothing.
    """
    rules = load_rules(settings.classification)
    with open_warehouse(settings.warehouse, stage="rebuild") as con:
        now = datetime.now(UTC)
        before = run_query(con, "activity_timestamps")
        members, overrides, fp = _inputs(con, settings, rules)

        def rebuild_run(payload: Payload, limited: bool) -> NormalizeReport:
            result = _compute(con, rules, settings.summary_chars, build, members, overrides,
                              payload)  # fmt: skip
            if limited:
                execute(con, "normalize_memory_full")
            with transaction(con):
                execute(con, "clear_normalized")
                _write_state(con, result)  # first: DuckDB holds the registered activities
                _write(con, result, now)  # until the commit, so the state's join comes before
                if not before.is_empty():
                    _with_batch(con, "restore_activity_timestamps", before)
                replace_related(con)
                assert_invariants(con)  # before the commit: a table that breaks them is not kept
                report = _report(con, result)
                fp_kept = fp if result.rows is not None else None
                _record(con, report, at=now, fp=fp_kept, gone=0)
            return report

        report = _bounded_memory(con, settings, rebuild_run)
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
