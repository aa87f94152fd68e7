"""Incremental normalise: only what changed in staging since the last normalise.

Equal to a full normalise (and to ``rebuild``; tests/test_normalize_incremental.py checks
it on random histories) because everything an activity is depends on, besides staging, is
in the state's fingerprint (renkei.normalize.state), and the activities recomputed are
closed under what links them:

1. the staged rows added or changed since the last run (content hash per stage id) and the
   rows gone (withdrawn, replaced, re-parsed) — built alone, to learn their activity ids;
2. every activity those rows belong to, with **all** its staged rows (the winner and
   first_seen_at are taken over all of them), plus every activity of the merge groups they
   were in;
3. every activity whose merge group shares a key (title key + day, URL + day) with one of
   those after the rebuild, with its whole group. Activities outside this set keep their
   rows, keys and groups, and the new key graph differs from the old one only at the edges
   of recomputed activities, so the set is a union of whole merge groups.

That set is built, merged and written like a full normalise: activities upserted (an
activity of the set that is no longer kept — merged or without staged rows — deleted),
their organisers, organiser names and merges replaced. Related activities are recomputed in
full while the table is small (``RELATED_FULL_LIMIT``: their TF-IDF is global, so a part
cannot be recomputed alone); above it, pairs of gone or hidden activities are dropped and
the rest waits for ``renkei rebuild``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from renkei.normalize.related import replace_related
from renkei.normalize.state import Derived, derive, with_frames
from transforms import contracts
from transforms.activities import build_activities
from transforms.classify import Rules
from transforms.organisers import group_keys
from warehouse.queries import arrow_views, run_query

__all__ = [
    "RELATED_FULL_LIMIT",
    "SMALL_INCREMENT",
    "Increment",
    "compute_increment",
    "write_increment",
]

# Related activities are recomputed whole up to this many activities (~0.23 ms each).
RELATED_FULL_LIMIT = 20_000

# Up to this many new, changed or gone staged rows, DuckDB's memory is kept small (256 MB).
SMALL_INCREMENT = 50_000

_ORDER = ["staged_at", "raw_sha256", "position", "member_id", "stage_id"]


@dataclass(frozen=True)
class Increment:
    new_rows: int  # staged rows added or changed
    gone_rows: int  # staged rows gone or changed
    scope: pl.DataFrame  # activity_id: every activity recomputed
    derived: Derived | None
    quarantine: pl.DataFrame  # of the new rows
    seen: pl.DataFrame  # stage_id, row_hash, activity_id of the new rows
    changed: pl.DataFrame  # stage_id: gone and new rows


def _ids(values) -> pl.DataFrame:
    return pl.DataFrame({"activity_id": sorted(set(values))}, schema={"activity_id": pl.String()})


def _group_members(con: duckdb.DuckDBPyConnection, scope: set[str], keys: pl.DataFrame) -> set[str]:
    con.register("scope", arrow_views(_ids(scope)))
    con.register("keys", arrow_views(keys))
    try:
        found = run_query(con, "normalize_group_members")
    finally:
        con.unregister("scope")
        con.unregister("keys")
    return scope | set(found.get_column("activity_id").to_list())


def _rows_of(con: duckdb.DuckDBPyConnection, scope: set[str], new: pl.DataFrame) -> pl.DataFrame:
    """Every current staged row of the activities in ``scope`` (new rows included)."""
    con.register("scope", arrow_views(_ids(scope)))
    try:
        old = run_query(con, "normalize_scope_rows")
    finally:
        con.unregister("scope")
    old = old.join(new.select("stage_id"), on="stage_id", how="anti")
    both = pl.concat([old.cast(new.schema), new], how="vertical")
    return both.sort(_ORDER, nulls_last=True).drop("row_hash")


def compute_increment(
    con: duckdb.DuckDBPyConnection,
    rules: Rules,
    summary_chars: int,
    members: pl.DataFrame,
    overrides: pl.DataFrame,
) -> Increment:
    changes = run_query(con, "normalize_changes")
    gone = changes.filter(pl.col("seen")).select("stage_id", "activity_id")
    con.register(
        "changed", arrow_views(changes.filter(~pl.col("seen")).select("stage_id", "row_hash"))
    )
    try:
        new = run_query(con, "normalize_changed_rows")
    finally:
        con.unregister("changed")
    changed = pl.concat([gone.select("stage_id"), new.select("stage_id")]).unique()
    staged_new = new.drop("row_hash")
    contracts.check(staged_new, contracts.STAGED)
    _, quarantine, row_ids = build_activities(
        staged_new, rules, summary_chars=summary_chars, rows=True
    )
    seen = new.select("stage_id", "row_hash").join(row_ids, on="stage_id", how="left")
    touched = set(row_ids.get_column("activity_id").to_list())
    touched |= set(gone.get_column("activity_id").drop_nulls().to_list())
    no_keys = pl.DataFrame(schema={"k_title": pl.String(), "k_url": pl.String()})
    if not touched:
        return Increment(new.height, gone.height, _ids(()), None, quarantine, seen, changed)
    # 2. the touched activities and their old merge groups; 3. groups sharing a new key
    scope = _group_members(con, touched, no_keys)
    rows = _rows_of(con, scope, new)
    built, _ = build_activities(rows, rules, summary_chars=summary_chars)
    wider = _group_members(con, scope, group_keys(built).select("k_title", "k_url"))
    if wider != scope:
        scope = wider
        rows = _rows_of(con, scope, new)
        built, _ = build_activities(rows, rules, summary_chars=summary_chars)
    contracts.check(built, contracts.ACTIVITIES)
    derived = derive(rows, built, members, overrides)
    return Increment(new.height, gone.height, _ids(scope), derived, quarantine, seen, changed)


def write_increment(con: duckdb.DuckDBPyConnection, inc: Increment) -> None:
    """Write one increment (besides the activities' upsert); the caller holds the
    transaction."""
    with_frames(con, "normalize_replace_state", changed=inc.changed, seen=inc.seen,
                scope=inc.scope, groups=_groups(inc))  # fmt: skip
    if inc.derived is not None:
        d = inc.derived
        with_frames(con, "normalize_replace_scope", scope=inc.scope,
                    kept=d.activities.select("activity_id"), orgs=d.organisers,
                    names=d.organiser_names, merges=d.merges)  # fmt: skip
    count = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    if count <= RELATED_FULL_LIMIT:
        replace_related(con)
    else:
        kept = inc.derived.activities.select("activity_id") if inc.derived else _ids(())
        dropped = inc.scope.join(kept, on="activity_id", how="anti")
        with_frames(con, "normalize_drop_stale_related", dropped=dropped)


def _groups(inc: Increment) -> pl.DataFrame:
    if inc.derived is None:
        schema = dict.fromkeys(("activity_id", "group_id", "k_title", "k_url"), pl.String())
        return pl.DataFrame(schema=schema)
    return inc.derived.groups
