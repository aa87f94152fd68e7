"""Property: normalising already-normalised rows changes nothing (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkei.normalize.rules import load_rules
from transforms.activities import STAGED_SCHEMA, build_activities, safe_url
from transforms.text import display_text, match_key, summarize

RULES = load_rules(None)
# Pieces that exercise every cleaning step: markup (also escaped and hostile), entities,
# half-width kana and sound marks, full-width digits, ranges, circled numbers, spaces.
PIECES = [
    "<p>", "</p>", "<br>", "<b>", "</b>", "<script>x()</script>", "<style>p{}</style>",
    "&amp;", "&lt;", "&gt;", "&lt;b&gt;", "&amp;lt;script&amp;gt;", "&#12354;", "&nbsp;",
    "&bogus;", "&", "<", ">", "<!-- c -->", "ｾﾐﾅｰ", "ﾀﾞ", "ﾞ", "２０２６", "ＡＢ", "〜", "～",
    "①", "㈱", "　", " ", "\n", "\t", "\u200b", "。", "セミナー", "公募", "成果", "事例",
    "研修", "開催日：", "2026年12月5日", "13:30～16:00", "x", "髙",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=12).map("".join)
urls = st.sampled_from(
    [None, "", "https://example.jp/a", "javascript:alert(1)", " data:text/html,x", "/rel"]
)
DATES = [None, "2026-12-05", "令和8年12月5日", "2026/12/05 13:30", "R8.12.12", "平成31年5月1日"]


def _clean(column: list[str | None], fn) -> list[str | None]:
    return (
        pl.DataFrame({"v": column}, schema={"v": pl.String}).select(fn(pl.col("v")))["v"].to_list()
    )


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(texts, min_size=1, max_size=8))
def test_display_text_is_idempotent(values: list[str]) -> None:
    once = _clean(values, display_text)
    assert _clean(once, display_text) == once


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.lists(texts, min_size=1, max_size=8), st.integers(2, 30))
def test_match_key_summary_and_url_are_idempotent(values: list[str], limit: int) -> None:
    for fn in (match_key, lambda e: summarize(e, limit), safe_url):
        once = _clean(values, fn)
        assert _clean(once, fn) == once


def _staged(rows: list[dict]) -> pl.DataFrame:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    records = [
        {
            **dict.fromkeys(STAGED_SCHEMA),
            **row,
            "stage_id": f"s{i}",
            "raw_sha256": "r",
            "position": i,
            "member_id": "m1",
            "source_ref": "prop",
            "staged_at": at,
        }
        for i, row in enumerate(rows)
    ]
    return pl.DataFrame(records, schema={**STAGED_SCHEMA, "staged_at": pl.Datetime("us", "UTC")})


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


COMPARED = [
    "activity_id", "title", "summary", "url", "venue", "contact", "category", "category_rule",
    "guideline", "starts_at", "ends_at", "published_at", "deadline_at", "content_sha256",
]  # fmt: skip


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "title": texts,
                "summary": texts,
                "venue": texts,
                "contact": texts,
                "url": urls,
                "starts_text": st.sampled_from(DATES),
                "published_text": st.sampled_from(DATES),
                "source_kind": st.sampled_from(["feed", "csv"]),
            }
        ),
        min_size=1,
        max_size=6,
    )
)
def test_normalising_normalised_rows_changes_nothing(rows: list[dict]) -> None:
    staged = [{**row, "item_key": f"k{i}"} for i, row in enumerate(rows)]
    # A summary limit above any generated length: truncation is covered above, and the
    # classifier reads the untruncated summary, which the second pass would not see.
    first, _ = build_activities(_staged(staged), RULES, summary_chars=10_000)
    again = [
        {
            "item_key": f"k{int(row['stage_id'][1:])}",
            "source_kind": row["source"],
            "title": row["title"],
            "summary": row["summary"],
            "url": row["url"],
            "venue": row["venue"],
            "contact": row["contact"],
            "starts_text": _iso(row["starts_at"]),
            "ends_text": _iso(row["ends_at"]),
            "published_text": _iso(row["published_at"]),
            "deadline_text": _iso(row["deadline_at"]),
        }
        for row in first.iter_rows(named=True)
    ]
    second, quarantine = build_activities(_staged(again), RULES, summary_chars=10_000)
    assert quarantine.height == 0
    assert second.select(COMPARED).rows() == first.select(COMPARED).rows()
