"""Rows as JSON objects of their non-null cells, column-wise.

The same text as ``json.dumps({name: value, …}, ensure_ascii=False)`` per row (cells that
are null left out; ``{}`` when all are), built by Polars without a Python loop per row: each
value is escaped by Polars' JSON writer, which escapes exactly as ``json.dumps`` does with
``ensure_ascii=False`` (tests/test_row_json.py holds the two side by side).
"""

from __future__ import annotations

import json

import polars as pl


def row_json(frame: pl.DataFrame, keys: dict[str, str] | None = None) -> pl.Series:
    """One JSON object per row of ``frame``'s String columns; ``keys`` maps a column to the
    name it has in the object (default: the column's own name)."""
    if not frame.columns:
        return pl.Series("json", ["{}"] * frame.height, dtype=pl.String)
    pairs = []
    for column in frame.columns:
        key = json.dumps((keys or {}).get(column, column), ensure_ascii=False)
        value = pl.struct(pl.col(column).alias("v")).struct.json_encode()
        pairs.append(
            pl.when(pl.col(column).is_not_null()).then(
                pl.lit(f"{key}: ") + value.str.strip_prefix('{"v":').str.strip_suffix("}")
            )
        )
    inner = pl.concat_str(pairs, separator=", ", ignore_nulls=True)
    return frame.select(json=pl.lit("{") + inner + pl.lit("}")).to_series()
