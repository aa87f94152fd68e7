"""transforms.submission_dates: ranges in one cell and dates without a year (pure)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from transforms.submission_dates import complete_dates, complete_one

RECEIVED = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和7年12月5日", ("令和7年12月5日", None, None)),
        ("2025/12/5-12/6", ("2025/12/5", "2025年12月6日", None)),
        ("2026/12/28～1/5", ("2026/12/28", "2027年1月5日", None)),
        ("R7.12.5〜R7.12.7", ("R7.12.5", "R7.12.7", None)),
        ("令和8年12月5日から7日まで", ("令和8年12月5日", "2026年12月7日", None)),
        (
            "12月5日",
            ("2026年12月5日", None, "開催日「12月5日」に年がないため2026年12月5日と読みました"),
        ),
        (
            "11月1日(日)",
            (
                "2027年11月1日(日)",
                None,
                "開催日「11月1日(日)」に年がないため2027年11月1日と読みました",
            ),
        ),
        (
            "12月5日～6日",
            (
                "2026年12月5日",
                "2026年12月6日",
                "開催日「12月5日～6日」に年がないため2026年12月5日からと読みました",
            ),
        ),
        ("未定", ("未定", None, None)),
        ("", ("", None, None)),
    ],
)
def test_one_cell(text: str, expected: tuple) -> None:
    assert complete_one(text, RECEIVED) == expected


def test_a_range_fills_the_end_only_when_the_end_column_is_blank() -> None:
    frame = pl.DataFrame(
        {
            "starts_text": ["12月5日～6日", "2026/12/1-12/3", None],
            "ends_text": [None, "2026/12/9", None],
            "deadline_text": ["11月30日", None, "2026/11/1"],
        }
    )
    done = complete_dates(frame, RECEIVED)
    assert done.to_dicts() == [
        {
            "starts_text": "2026年12月5日",
            "ends_text": "2026年12月6日",
            "deadline_text": "2026年11月30日",
            "date_flags": "開催日「12月5日～6日」に年がないため2026年12月5日からと読みました；"
            "申込締切「11月30日」に年がないため2026年11月30日と読みました",
        },
        {
            "starts_text": "2026/12/1",
            "ends_text": "2026/12/9",
            "deadline_text": None,
            "date_flags": None,
        },
        {"starts_text": None, "ends_text": None, "deadline_text": "2026/11/1", "date_flags": None},
    ]
