"""Named SQL files in ``warehouse/queries/``; values are always bound, never formatted in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

# Rows per Arrow batch when a frame is handed to DuckDB as a stream.
STREAM_ROWS = 100_000


@cache
def sql(name: str) -> str:
    """The text of ``queries/<name>.sql``."""
    return resources.files("warehouse").joinpath("queries", f"{name}.sql").read_text("utf-8")


def run_query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> pl.DataFrame:
    """Run a named query once and fetch the result into Polars."""
    return con.sql(sql(name), params=params or {}).pl()


def query_parts(
    con: duckdb.DuckDBPyConnection, name: str, rows: int, params: dict[str, Any] | None = None
) -> Iterator[pl.DataFrame]:
    """Run a named query and yield its result as Polars frames of at most ``rows`` rows, so
    the whole result is never held in Python at once (DuckDB spills what it must)."""
    reader = con.sql(sql(name), params=params or {}).to_arrow_reader(rows)
    for batch in reader:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        yield frame


def execute(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> None:
    """Run a named statement (or script of statements) for its effect."""
    con.execute(sql(name), params or {})


def arrow_stream(frame: pl.DataFrame, rows: int = STREAM_ROWS) -> pa.RecordBatchReader:
    """``frame`` as an Arrow stream converted ``rows`` at a time, for DuckDB to read once.

    ``con.register(name, frame)`` converts the whole frame to Arrow first and keeps that
    copy until unregistered (950 MB for a million activities); a stream holds one batch.
    """
    schema = frame.head(0).to_arrow().schema

    def batches() -> Iterator[pa.RecordBatch]:
        for at in range(0, frame.height, rows):
            yield from frame.slice(at, rows).to_arrow().cast(schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


@contextmanager
def streamed(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[None]:
    """Frames readable under their names by the next statement, as streams: only for a
    statement that reads each of them once (a stream cannot be read twice)."""
    for name, frame in frames.items():
        con.register(name, arrow_stream(frame))
    try:
        yield
    finally:
        for name in frames:
            con.unregister(name)
