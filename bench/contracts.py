"""Cost of transforms.contracts.check on synthetic frames. Prints figures; asserts nothing.

    python bench/contracts.py             # 1,000,000 rows
    python bench/contracts.py 200000      # rows

Frames: a staged frame and an activities frame (every ACTIVITIES_SCHEMA column filled) and a
quarantine frame, all keeping their contracts, so every rule is evaluated over every row.
The median of 5 runs is printed, beside the time of build_activities' own input cast for
scale (the contracts are meant to cost a small fraction of a normalise).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime

import polars as pl

from transforms.activities import ACTIVITIES_SCHEMA, QUARANTINE_SCHEMA, STAGED_SCHEMA
from transforms.classify import CATEGORIES
from transforms.contracts import ACTIVITIES, QUARANTINE, STAGED, Contract, check

ROUNDS = 5


def _hex(n: int, prefix: str) -> pl.Expr:
    return pl.format(prefix + "{}", pl.int_range(n).cast(pl.String)).str.pad_start(40, "0")


def staged(n: int) -> pl.DataFrame:
    base = pl.select(
        stage_id=_hex(n, "s"),
        raw_sha256=_hex(n, "r"),
        position=pl.int_range(n, dtype=pl.Int64),
        source_kind=pl.when(pl.int_range(n) % 3 == 0).then(pl.lit("csv")).otherwise(pl.lit("feed")),
        member_id=pl.format("m{}", (pl.int_range(n) % 40).cast(pl.String)),
        title=pl.format("産学連携セミナー 第{}回", pl.int_range(n).cast(pl.String)),
        staged_at=pl.lit(datetime(2026, 11, 20, tzinfo=UTC)),
    )
    return base.with_columns(
        [
            pl.lit("x", pl.String).alias(c)
            for c in STAGED_SCHEMA
            if c not in base.columns and c != "staged_at"
        ]
    ).select(list(STAGED_SCHEMA))


def activities(n: int) -> pl.DataFrame:
    i = pl.int_range(n)
    at = pl.lit(datetime(2026, 12, 5, 13, 30, tzinfo=UTC)).dt.convert_time_zone("Asia/Tokyo")
    filled = {
        "activity_id": _hex(n, "a").str.tail(20),
        "source": pl.when(i % 3 == 0).then(pl.lit("csv")).otherwise(pl.lit("feed")),
        "category": pl.lit(pl.Series(CATEGORIES)).get(i % len(CATEGORIES)),
        "guideline": pl.when(i % 2 == 0).then(i % 3 + 1),
        "title": pl.format("産学連携セミナー 第{}回", i.cast(pl.String)),
        "all_day": i % 2 == 0,
    }
    columns = []
    for name, dtype in ACTIVITIES_SCHEMA.items():
        if name in filled:
            expr = filled[name]
        elif dtype == pl.String:
            expr = pl.format("{}-{}", pl.lit(name), (i % 1000).cast(pl.String))
        else:
            expr = at
        columns.append(expr.cast(dtype).alias(name))
    return pl.select(columns)


def quarantine(n: int) -> pl.DataFrame:
    return pl.select(
        stage_id=_hex(n, "s"),
        raw_sha256=_hex(n, "r"),
        position=pl.int_range(n, dtype=pl.Int64),
        member_id=pl.lit("m1"),
        reason=pl.lit("件名が空です"),
    ).cast(dict(QUARANTINE_SCHEMA))


def _median(frame: pl.DataFrame, contract: Contract) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        check(frame, contract)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(f"rows: {n:,}  polars {pl.__version__}  median of {ROUNDS}")
    for make, contract in ((staged, STAGED), (activities, ACTIVITIES), (quarantine, QUARANTINE)):
        frame = make(n)
        seconds = _median(frame, contract)
        print(
            f"  {contract.name:<11} {seconds * 1000:8.1f} ms  "
            f"({n / seconds / 1e6:6.1f} M rows/s, {frame.estimated_size('mb'):6.0f} MB frame)"
        )


if __name__ == "__main__":
    main()
