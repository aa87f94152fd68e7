"""Named SQL files in ``warehouse/queries/``; values are always bound, never formatted in."""

from __future__ import annotations

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
    """Run a named query once and fetch the result into Polars."""
    return con.sql(sql(name), params=params or {}).pl()


def execute(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> None:
    """Run a named statement (or script of statements) for its effect."""
    con.execute(sql(name), params or {})
