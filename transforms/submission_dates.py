"""Dates as members type them in reports, completed before the common date parser reads them.

Two things spreadsheet rows do that feeds do not:
- a range in the start column: ``12月5日～6日``, ``2025/12/5-12/6``, ``R7.12.5〜R7.12.7``
  (split into start and end; the end inherits the start's year and month);
- a date without a year: ``12月5日``, ``12/5(金)`` (the nearest such day on or after the
  submission date; flagged so the receipt asks the member to check it).

Pure: frame in, frame out. Each distinct text is read once in Python (the grammar is not
an expression) and mapped back, as in transforms.dates.parse_column.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import polars as pl

from transforms.dates import DateParseError, parse_datetime_text

__all__ = ["complete_dates", "complete_one"]

_NO_YEAR = re.compile(r"^(?P<m>\d{1,2})\s*[月/]\s*(?P<d>\d{1,2})\s*日?(?P<rest>.*)$")
_DAY_ONLY = re.compile(r"^(?P<d>\d{1,2})\s*日?(?P<rest>\s*\(.\)\s*)?$")
_RANGE_MARK = re.compile(r"\s*(?:[~〜\-‐‑–—―−－]|から)\s*")
_LABELS = {"starts_text": "開催日", "ends_text": "終了日", "deadline_text": "申込締切"}


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _readable(text: str) -> date | None:
    try:
        parsed = parse_datetime_text(text)
    except DateParseError:
        return None
    return None if parsed is None else parsed.value.date()


def _with_year(text: str, received: date) -> tuple[str, date] | None:
    """``12月5日…`` → ``2026年12月5日…`` (nearest on or after ``received``)."""
    m = _NO_YEAR.match(text)
    if m is None:
        return None
    month, day = int(m["m"]), int(m["d"])
    for year in (received.year, received.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= received:
            return f"{year}年{month}月{day}日{m['rest']}", candidate
    return None


def complete_one(
    text: str | None, received: date, label: str = "開催日"
) -> tuple[str | None, str | None, str | None]:
    """(start text, end text from a range or None, note or None) for one cell."""
    if text is None or not text.strip():
        return text, None, None
    s = _nfkc(text)
    if _readable(s) is not None:
        return text, None, None
    filled = _with_year(s, received)
    if filled is not None and _readable(filled[0]) is not None:
        day = filled[1]
        written = f"{day.year}年{day.month}月{day.day}日"
        note: str | None = f"{label}「{text.strip()}」に年がないため{written}と読みました"
        return filled[0], None, note
    for mark in _RANGE_MARK.finditer(s):
        left, right = s[: mark.start()], s[mark.end() :].removesuffix("まで").strip()
        start_text, note = left, None
        start = _readable(left)
        if start is None and (filled := _with_year(left, received)) is not None:
            start_text, start = filled[0], _readable(filled[0])
            if start is not None:
                note = (
                    f"{label}「{text.strip()}」に年がないため"
                    f"{start.year}年{start.month}月{start.day}日からと読みました"
                )
        if start is None or not right:
            continue
        end_text = _range_end(right, start)
        if end_text is not None:
            return start_text, end_text, note
    return text, None, None


def _range_end(right: str, start: date) -> str | None:
    """The end of a range, completed from its start: ``6日``, ``12/6``, or a whole date."""
    if _readable(right) is not None:
        return right
    if (m := _DAY_ONLY.match(right)) is not None:
        return f"{start.year}年{start.month}月{int(m['d'])}日{m['rest'] or ''}"
    if (m := _NO_YEAR.match(right)) is not None:
        month = int(m["m"])
        year = start.year + (1 if month < start.month else 0)
        return f"{year}年{month}月{int(m['d'])}日{m['rest']}"
    return None


def complete_dates(frame: pl.DataFrame, received: date) -> pl.DataFrame:
    """Complete starts/ends/deadline texts; add ``date_flags`` (notes joined with ；).

    A range in starts_text fills ends_text only when ends_text is blank.
    """
    out = frame
    notes: list[pl.Expr] = []
    for column, label in _LABELS.items():
        values = out.get_column(column).drop_nulls().unique().to_list()
        done = {v: complete_one(v, received, label) for v in values}
        col = pl.col(column)
        keys = list(done)
        starts, ends, flags = ([d[i] for d in done.values()] for i in range(3))
        out = out.with_columns(
            col.replace_strict(keys, starts, default=col).alias(column),
            col.replace_strict(keys, ends, default=None, return_dtype=pl.String).alias(
                f"_{column}_end"
            ),
            col.replace_strict(keys, flags, default=None, return_dtype=pl.String).alias(
                f"_{column}_note"
            ),
        )
        notes.append(pl.col(f"_{column}_note"))
    blank_end = pl.col("ends_text").str.strip_chars().fill_null("") == ""
    out = out.with_columns(
        ends_text=pl.when(blank_end & pl.col("_starts_text_end").is_not_null())
        .then(pl.col("_starts_text_end"))
        .otherwise(pl.col("ends_text")),
        date_flags=pl.concat_str(notes, separator="；", ignore_nulls=True),
    ).with_columns(date_flags=pl.when(pl.col("date_flags") != "").then(pl.col("date_flags")))
    return out.drop([c for c in out.columns if c.startswith("_") and c.endswith(("_end", "_note"))])
