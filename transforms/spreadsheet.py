"""Frames for files people open in Excel: no cell may be read as a formula.

OWASP's rule for CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading apostrophe, so that a spreadsheet shows it as text
instead of evaluating it (``=HYPERLINK(...)`` stays a visible string). Only String columns
are touched: numbers (negative ones too), dates and booleans keep their type and value.
The files for tools (JSON, Parquet) are written from the frame before this step and keep
the exact text.
"""

from __future__ import annotations

import polars as pl

__all__ = ["FORMULA_START", "spreadsheet_safe"]

# The first characters a spreadsheet may read as the start of a formula (OWASP).
FORMULA_START = "=+-@\t\r"
_STARTS_LIKE_A_FORMULA = r"^([=+\-@\t\r])"


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with a ``'`` put before every String cell that starts like a formula.

    Nulls stay null; columns of other types, the column names and the row order are kept.
    """
    strings = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.col(name).str.replace(_STARTS_LIKE_A_FORMULA, "'${1}") for name in strings
    )
