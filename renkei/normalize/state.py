"""What normalise derives from built activities, and the state incremental normalise keeps.

``derive`` is the one step after ``build`` (merge co-hosted announcements, organisers,
organiser names as written, overrides), shared by the full and the incremental path. The
state (migration 027): every staged row seen with a hash of its content and the activity it
became, every activity's merge group and keys, and one record per run with a fingerprint of
everything else an activity depends on (classification rules, the registry's names and
aliases, the summary length, the library versions). A run whose fingerprint differs from
the latest run's is a full one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from transforms import contracts
from transforms.classify import Rules
from transforms.organisers import (
    group_keys,
    merge_cohosted,
    report_organisers,
    unmatched_organisers,
)
from transforms.overrides import apply_overrides
from warehouse.queries import execute, registered, run_query

__all__ = [
    "Derived",
    "derive",
    "fingerprint",
    "groups_of",
    "record_run",
    "state_fingerprint",
    "with_frames",
]

# Bump when build or merge logic changes what a row becomes, or the state's tables change
# (2: merge keys kept as hashes, migration 028).
STATE_VERSION = "2"


@dataclass(frozen=True)
class Derived:
    activities: pl.DataFrame  # kept activities (or all, marked ``_kept``), overrides applied
    organisers: pl.DataFrame
    merges: pl.DataFrame
    organiser_names: pl.DataFrame
    groups: pl.DataFrame  # every built activity: activity_id, group_id, k_title, k_url


def with_frames(con: duckdb.DuckDBPyConnection, name: str, params=None, **frames) -> None:
    """Run a named statement that reads the given frames under their names (without a copy:
    warehouse.queries.registered)."""
    with registered(con, **frames):
        execute(con, name, params)


def groups_of(built: pl.DataFrame, merges: pl.DataFrame) -> pl.DataFrame:
    """(activity_id, group_id, k_title, k_url) for every activity before merging."""
    kept = merges.select(activity_id="merged_activity_id", _kept="activity_id")
    return (
        group_keys(built)
        .join(kept, on="activity_id", how="left")
        .select(
            "activity_id",
            group_id=pl.coalesce("_kept", "activity_id"),
            k_title="k_title",
            k_url="k_url",
        )
    )


def derive(
    staged: pl.DataFrame,
    built: pl.DataFrame,
    members: pl.DataFrame,
    overrides: pl.DataFrame,
    *,
    mark_kept: bool = False,
    contract: contracts.Contract = contracts.ACTIVITIES,
) -> Derived:
    """Built (deduplicated) activities of ``staged`` → what normalise writes. With
    ``mark_kept``, activities folded into another stay in the frame, marked by a false
    ``_kept`` (transforms.organisers.merge_cohosted), for the writer to leave out.
    ``contract``: what the activities written must keep (the kept columns only, when the
    build spilled the rest: renkei.normalize.payload)."""
    # a report's 機関名, on the activity its (winning) staged row became
    named = report_organisers(staged).join(built.select("stage_id", "activity_id"), on="stage_id")
    activities, organisers, merges = merge_cohosted(built, members, named, mark_kept=mark_kept)
    names = unmatched_organisers(named, members, merges)
    activities = apply_overrides(activities, overrides)
    contracts.check(activities, contract)  # what is written: after the overrides
    return Derived(activities, organisers, merges, names, groups_of(built, merges))


def fingerprint(rules: Rules, summary_chars: int, members: pl.DataFrame) -> str:
    """Everything besides staging an activity depends on, as one digest."""
    digest = hashlib.sha256()
    for part in (STATE_VERSION, duckdb.__version__, pl.__version__, repr(rules), summary_chars):
        digest.update(f"{part}\x1f".encode())
    for row in members.iter_rows():
        digest.update(repr(row).encode())
    return digest.hexdigest()


def state_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    found = run_query(con, "normalize_state_fingerprint")
    return None if found.is_empty() else found.item(0, 0)


def record_run(
    con: duckdb.DuckDBPyConnection,
    *,
    at: datetime,
    mode: str,
    fp: str | None,
    staged_rows: int,
    gone_rows: int,
    touched: int,
    seconds: float,
) -> None:
    params = {
        "run_at": at,
        "mode": mode,
        "fingerprint": fp,
        "staged_rows": staged_rows,
        "gone_rows": gone_rows,
        "activities_touched": touched,
        "seconds": seconds,
    }
    execute(con, "normalize_record_run", params)
