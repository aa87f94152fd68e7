"""Big frames go to and come from DuckDB a part at a time (issue 22: memory proportional to
the input), and renkei sets Polars' allocator to give freed memory back."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import duckdb
import polars as pl

from warehouse.queries import arrow_views, query_parts, registered


def _frame(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "k": [f"活動{i:05d}" for i in range(n)],
            "v": [None if i % 7 == 0 else i for i in range(n)],
            "seen_at": [datetime(2026, 12, 5, tzinfo=UTC)] * n,
        }
    ).with_columns(pl.col("seen_at").dt.convert_time_zone("Asia/Tokyo"))


def test_a_frame_handed_over_as_views_arrives_whole_and_in_order() -> None:
    frame = pl.concat([_frame(250), _frame(10)])  # two chunks
    con = duckdb.connect()
    con.register("batch", arrow_views(frame))
    back = con.sql("SELECT * FROM batch").pl()  # TIMESTAMPTZ comes back in the session's zone
    assert back.with_columns(pl.col("seen_at").dt.convert_time_zone("Asia/Tokyo")).equals(frame)


def test_registered_frames_are_readable_by_name_then_gone() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k VARCHAR, v BIGINT, seen_at TIMESTAMPTZ)")
    with registered(con, batch=_frame(3)):
        con.execute("INSERT INTO t SELECT * FROM batch")
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(3,)]
    assert "batch" not in {row[0] for row in con.execute("SHOW TABLES").fetchall()}


def test_query_parts_gives_the_whole_result_in_parts(tmp_path, monkeypatch) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE stg_items AS SELECT range AS n FROM range(5000)")
    monkeypatch.setattr("warehouse.queries.sql", lambda name: "SELECT n FROM stg_items ORDER BY n")
    parts = list(query_parts(con, "any", 2048))
    assert all(part.height <= 2048 for part in parts)
    assert pl.concat(parts).get_column("n").to_list() == list(range(5000))


def test_importing_renkei_first_makes_polars_return_freed_memory_soon() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run(
        [sys.executable, "-c", "import renkei, polars, os; print(os.environ['_RJEM_MALLOC_CONF'])"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # Polars puts its defaults first and the override after: the last setting wins.
    assert out.endswith("background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0")
