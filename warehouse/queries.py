"""Named SQL files in ``warehouse/queries/``; values are always bound, never formatted in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from importlib import resources
from typing import Any

import duckdb
import polars as pl


@cache
def sql(name: str) -> str:
    """The text of ``queries/<name>.sql``."""
    return resources.files("warehouse").joinpath("queries", f"{name}.sql").read_text("utf-8")


def run_query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> pl.DataFrame:
    """Run a named query once and fetch the result into Polars (through the Arrow C stream
    interface, ``FrameStream``: the same types and values as DuckDB's ``.pl()``, which
    would import pyarrow)."""
    return pl.DataFrame(con.sql(sql(name), params=params or {}))


def query_parts(
    con: duckdb.DuckDBPyConnection, name: str, rows: int, params: dict[str, Any] | None = None
) -> Iterator[pl.DataFrame]:
    """Run a named query and yield its result as Polars frames of at most ``rows`` rows, so
    the whole result is never held in Python at once (DuckDB spills what it must). The one
    reader here that needs pyarrow (DuckDB's batch reader): only normalise uses it."""
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


class FrameStream:
    """A Polars frame as DuckDB reads it: through the Arrow PyCapsule interface, in Polars'
    own memory (text as Arrow string views), each time a statement scans it.

    ``con.register(name, frame)`` with the frame itself goes through pyarrow: it converts
    every text column to Arrow large strings first and keeps that copy while registered
    (950 MB for a million activities), and importing pyarrow alone costs a process some
    37 MB of memory (a CSV intake's peak was 352 MB, against a target of 350). A frame in
    this wrapper is read in place and without pyarrow; ``run_query`` reads results back
    the same way."""

    __slots__ = ("frame",)

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


def arrow_views(frame: pl.DataFrame) -> object:
    """``frame`` as DuckDB should read it: a ``FrameStream``, or, for a frame with a column
    of Polars' Null type (all null, no type given), an Arrow table that shares Polars'
    memory (pyarrow): DuckDB's C stream reader refuses an Arrow null column, which carries
    no validity bitmap, and pyarrow's reader takes it as SQL NULL of any type."""
    if any(dtype == pl.Null for dtype in frame.schema.values()):
        return frame.to_arrow(compat_level=pl.CompatLevel.newest())
    return FrameStream(frame)


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
