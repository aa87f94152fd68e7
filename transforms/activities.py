"""staged rows → one clean, deduplicated, classified activity table (+ quarantine).

See transforms/SCHEMAS.md for the frames. Rows that cannot be published as they are
(empty title, impossible dates, end before start) go to quarantine with one Japanese
line for the secretariat; everything else becomes an activity.

Every column but the choice of each activity's newest version depends on its own row
(transforms.staged_rows), so the input is read in parts of ``PART_ROWS`` rows on several
threads (Polars and DuckDB's hashing release the GIL): the intermediate
columns (some forty) exist for a few parts at a time, never for the whole input, and an
input that comes in parts (``build_activities_from``, e.g. staging read from DuckDB a
batch at a time) is never held whole either.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain

import polars as pl

from transforms.classify import Rules
from transforms.organisers import names_organisers
from transforms.schemas import ACTIVITIES_SCHEMA, QUARANTINE_SCHEMA, STAGED_SCHEMA
from transforms.staged_rows import compact, read_rows, safe_url

__all__ = [
    "ACTIVITIES_SCHEMA",
    "PART_ROWS",
    "QUARANTINE_SCHEMA",
    "STAGED_SCHEMA",
    "build_activities",
    "build_activities_from",
    "for_merging",
    "safe_url",
]

# Rows per part. Measured on 2 cores, a full normalise of 1,000,000 staged rows
# (bench/normalize.py): 50,000 → 19.0 s and 1,251 MB peak; 100,000 → 18.1–18.2 s and
# 1,282–1,305 MB; 200,000 → 17.7–17.8 s and 1,336–1,376 MB. Fewer parts cost less per-part
# overhead (some forty Polars expressions, a Parquet file, DuckDB's hashing engine); each
# part in flight holds its intermediate columns. 100,000 keeps the peak well under 1.5 GB.
PART_ROWS = 100_000

# What the steps after building read of each activity (merge groups, organisers named in
# the text, overrides, the state): a build that hands each part's rows elsewhere
# (``build_activities_from``'s ``spill``) keeps these (``for_merging``).
MERGING_COLUMNS = (
    "activity_id", "member_id", "stage_id", "title", "title_key", "summary", "url",
    "starts_at", "category", "category_rule",
)  # fmt: skip

# ``build_activities_from``'s ``spill``: takes a part's good rows (on the thread that built
# them) and returns what of them to keep.
Spill = Callable[[pl.DataFrame], pl.DataFrame]


def _check_staged(staged: pl.DataFrame) -> None:
    missing = [c for c in STAGED_SCHEMA if c not in staged.columns]
    if missing:
        raise ValueError(f"staged frame lacks columns: {', '.join(missing)}")
    kinds = set(staged.get_column("source_kind").drop_nulls().unique().to_list())
    if not kinds <= {"feed", "csv"} or staged.get_column("source_kind").null_count():
        raise ValueError(f"source_kind must be 'feed' or 'csv', got {sorted(map(str, kinds))}")


def build_activities(
    staged: pl.DataFrame, rules: Rules, *, summary_chars: int = 200, rows: bool = False
) -> tuple[pl.DataFrame, ...]:
    """Clean, date, classify and deduplicate staged rows.

    Returns (activities, quarantine) with ACTIVITIES_SCHEMA and QUARANTINE_SCHEMA; with
    ``rows``, also (stage_id, activity_id) for every good row (incremental normalise).
    Quarantine holds every bad staged row; activities hold, per activity_id, the good row
    with the latest staged_at (then highest position, then stage_id). So a re-fetched item
    whose newest version is bad keeps its last good version in this batch's output.
    """
    _check_staged(staged)
    parts = (staged.slice(at, PART_ROWS) for at in range(0, max(staged.height, 1), PART_ROWS))
    built = build_activities_from(parts, rules, summary_chars=summary_chars)
    return built if rows else built[:2]


def _numbered(parts: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    at = 0
    for part in parts:
        _check_staged(part)
        yield part.with_columns(_row=pl.int_range(at, at + pl.len(), dtype=pl.Int64))
        at += part.height


def for_merging(good: pl.DataFrame) -> pl.DataFrame:
    """The MERGING_COLUMNS of built rows (and the columns the newest version is chosen by),
    with title and summary only where they name organisers (transforms.organisers reads no
    other row's text), in buffers of their own (transforms.staged_rows.compact)."""
    names = names_organisers()
    narrow = good.select(
        *[c for c in MERGING_COLUMNS if c not in ("title", "summary")],
        "_row", "_staged_jst", "staged_at", "position",
        title=pl.when(names).then(pl.col("title")),
        summary=pl.when(names).then(pl.col("summary")),
    )  # fmt: skip
    return compact(narrow, ("title", "summary"))


def _in_order(
    work: Iterable[pl.DataFrame], rules: Rules, summary_chars: int, spill: Spill | None = None
) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """read_rows of every part, in order, with a part or two per thread in flight: as many
    threads as Polars has (on 2 cores, 400,000 rows: 6.6 s on one thread, 5.0 s on two;
    four threads were no faster at 1,000,000 and hold more parts at once)."""
    threads = pl.thread_pool_size()
    work = iter(work)
    first = next(work, None)
    if first is None:
        return []
    second = next(work, None)

    def read(part: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        quarantine, good = read_rows(part, rules, summary_chars)
        return quarantine, compact(good) if spill is None else spill(good)

    if second is None:  # one part (every small input): no threads to start
        return [read(first)]
    work = chain([first, second], work)
    done: list[tuple[pl.DataFrame, pl.DataFrame]] = []
    running: deque[Future[tuple[pl.DataFrame, pl.DataFrame]]] = deque()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for part in work:
            running.append(pool.submit(read, part))
            if len(running) > threads:
                done.append(running.popleft().result())
        done.extend(future.result() for future in running)
    return done


def build_activities_from(
    parts: Iterable[pl.DataFrame],
    rules: Rules,
    *,
    summary_chars: int = 200,
    spill: Spill | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """build_activities of the staged rows of ``parts`` taken together, taking one part at
    a time: (activities, quarantine, (stage_id, activity_id) of every good row).

    With ``spill``, each part's good rows (ACTIVITIES_SCHEMA's columns but first_seen_at,
    and ``_row``: the row's place in the input) go to ``spill`` on the thread that built
    them, and only what it returns is kept (``for_merging`` for instance): the activities
    returned then have those columns, ``_row`` and first_seen_at, and the rest is wherever
    ``spill`` put it (renkei.normalize.payload: a million activities' text is never held
    at once)."""
    done = _in_order(_numbered(parts), rules, summary_chars, spill)
    if not done:  # no part at all: the empty frames, with their columns
        empty = _numbered([pl.DataFrame(schema=STAGED_SCHEMA)])
        done = _in_order(empty, rules, summary_chars, spill)
    quarantine = pl.concat([q for q, _ in done]).drop("_row").cast(QUARANTINE_SCHEMA)
    good = pl.concat([g for _, g in done])
    del done
    row_ids = good.select("stage_id", "activity_id")
    # The newest good version of each activity (latest staged_at, then highest position,
    # then stage_id), chosen on the keys alone; the wide frame is filtered once, part by
    # part (a gather would first copy it into one piece).
    keys = good.select(
        "activity_id",
        "staged_at",
        "position",
        "stage_id",
        first_seen_at=pl.col("_staged_jst").min().over("activity_id"),
        _at=pl.int_range(pl.len(), dtype=pl.Int64),
    )
    newest = (
        keys.sort(["staged_at", "position", "stage_id"], descending=True, nulls_last=True)
        .unique(subset="activity_id", keep="any")
        .get_column("_at")
    )
    if newest.len() < good.height:  # older versions to drop
        keep = keys.get_column("_at").is_in(newest.implode())
        good, keys = good.filter(keep), keys.filter(keep)
    present = {*good.columns, "first_seen_at"}
    activities = good.with_columns(first_seen_at=keys.get_column("first_seen_at")).select(
        *[pl.col(c).cast(t) for c, t in ACTIVITIES_SCHEMA.items() if c in present],
        *(["_row"] if spill is not None else []),
    )
    return activities, quarantine, row_ids
