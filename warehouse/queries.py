"""Named SQL files in ``warehouse/queries/``; values are always bound, never formatted in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa


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


def arrow_views(frame: pl.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table that shares Polars' memory (text as Arrow string views,
    Polars' own layout). ``con.register(name, frame)`` converts every text column to Arrow
    large strings first and keeps that copy while registered (950 MB for a million
    activities); this is a view of the frame, and DuckDB reads the same values."""
    return frame.to_arrow(compat_level=pl.CompatLevel.newest())


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[None]:
    """Frames readable under their names (without a copy) while the block runs."""
    for name, frame in frames.items():
        con.register(name, arrow_views(frame))
    try:
        yield
    except BaseException:
        for name in frames:  # an aborted transaction refuses this; the error that aborted
            with suppress(duckdb.Error):  # it is the one to see (the name is re-registered
                con.unregister(name)  # next time)
        raise
    for name in frames:
        con.unregister(name)
