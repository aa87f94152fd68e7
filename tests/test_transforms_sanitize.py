"""No active content survives parse + normalise (feedparser's own hostile-HTML corpus)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import skip_or_fail

from renkei.core.staging import staged_frame
from renkei.feeds.parse import parse_feed
from renkei.normalize.rules import load_rules
from transforms.activities import build_activities, safe_url
from transforms.contracts import ACTIVITIES, ContractError, check

SANITIZE = (
    Path(__file__).resolve().parents[2] / "shared" / "peer" / "feedparser" / "tests"
    / "wellformed" / "sanitize"
)  # fmt: skip
ACTIVE = re.compile(
    r"(?i)<\s*script|\bon[a-z]+\s*=|javascript\s*:|vbscript\s*:|data\s*:|<\s*iframe|<\s*object"
    r"|<\s*embed|<\s*style|expression\s*\("
)
TEXT_COLUMNS = ("title", "summary", "url", "venue", "contact", "date_note")


def _active(activities: pl.DataFrame) -> list[tuple[str, str, str]]:
    return [
        (row["source_ref"], column, row[column])
        for row in activities.iter_rows(named=True)
        for column in TEXT_COLUMNS
        if row[column] is not None and ACTIVE.search(row[column])
    ]


def test_feedparser_sanitize_corpus_leaves_no_active_content() -> None:
    if not SANITIZE.is_dir():
        skip_or_fail(f"../shared/peer/feedparser is not present (no {SANITIZE})")
    files = sorted(SANITIZE.glob("*.xml"))
    frames = []
    for index, path in enumerate(files):
        parsed = parse_feed(path.read_bytes(), url=f"http://127.0.0.1/{path.name}")
        frames.append(
            staged_frame(
                parsed.rows,
                raw_sha256=f"{index:064x}",
                source_kind="feed",
                member_id=f"m{index:03d}",
                source_ref=path.name,
                staged_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
    staged = pl.concat(frames)
    # Most cases put the hostile markup in an untitled entry's content: give those a title
    # so that their summary reaches the activity table instead of quarantine.
    titled = staged.with_columns(
        title=pl.when(pl.col("title").str.strip_chars().fill_null("") == "")
        .then(pl.lit("無題"))
        .otherwise(pl.col("title"))
    )
    activities, quarantine = build_activities(titled, load_rules(None))
    print(
        f"sanitize corpus: {len(files)} feeds, {staged.height} entries, "
        f"{activities.height} activities, {quarantine.height} quarantined"
    )
    assert len(files) == 745
    # 19 entries have a title made only of markup (<img onerror …>): empty once cleaned.
    assert (staged.height, activities.height, quarantine.height) == (594, 575, 19)
    assert set(quarantine["reason"]) == {"件名が空です"}
    assert _active(activities) == []
    # As staged (untitled entries quarantined), nothing active is left either.
    as_is, _ = build_activities(staged, load_rules(None))
    assert _active(as_is) == []


def test_hostile_markup_in_a_staged_row_is_dropped() -> None:
    staged = staged_frame(
        [
            {
                "position": 0,
                "item_key": "x",
                "title": '<img src=x onerror="alert(1)">説明会<script>alert(2)</script>',
                "summary": (
                    '<p onclick="x()">本文。</p><a href="javascript:alert(3)">詳細</a>'
                    "<iframe src='//evil'></iframe><style>p{x:expression(alert(4))}</style>"
                    "<object data='x'></object><embed src='y'>"
                ),
                "url": "java\tscript:alert(5)",
            }
        ],
        raw_sha256="0" * 64,
        source_kind="feed",
        member_id="m1",
        source_ref="hostile",
        staged_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    activities, _ = build_activities(staged, load_rules(None))
    row = activities.row(0, named=True)
    assert (row["title"], row["summary"], row["url"]) == ("説明会", "本文。 詳細", None)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.jp/a", True),
        ("http://example.jp/a", True),
        ("mailto:info@example.jp", True),
        ("/news/1.html", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        (" java\nscript:alert(1)", False),
        ("vbscript:msgbox(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("file:///etc/passwd", False),
    ],
)
def test_only_web_and_mail_urls_are_kept(url: str, kept: bool) -> None:
    out = pl.select(safe_url(pl.lit(url))).item()
    assert out == (url if kept else None)


def test_controls_bidi_and_invisible_characters_are_removed_at_the_door() -> None:
    staged = staged_frame(
        [
            {
                "position": 0,
                "item_key": "key\x00-1",
                "title": "\u202e産学連携\x00セミナー&#0;\u2066開催\u2069",
                "summary": "申込は&#x202E;こちら\x1b[31m。\u200f",
                "url": "https://example.jp/\x00news\u202e/1",
                "venue": "鳥取大学\x07 \u2067髙島ホール\u2069",
                "contact": "\ufeff0857-00-0000\x85",
                "starts_text": "2026年12月\x005日",
                "time_text": "13:30\u200b〜16:00",
            }
        ],
        raw_sha256="0" * 64,
        source_kind="feed",
        member_id="m1",
        source_ref="hostile",
        staged_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    activities, quarantine = build_activities(staged, load_rules(None))
    assert quarantine.height == 0
    row = activities.row(0, named=True)
    assert (row["title"], row["summary"], row["url"], row["venue"], row["contact"]) == (
        "産学連携セミナー開催",
        "申込はこちら[31m。",
        "https://example.jp/news/1",
        "鳥取大学 髙島ホール",
        "0857-00-0000",
    )
    assert row["starts_at"].isoformat() == "2026-12-05T13:30:00+09:00"
    assert row["ends_at"].isoformat() == "2026-12-05T16:00:00+09:00"
    check(activities, ACTIVITIES)  # the contract's clean-text rule holds


def test_activities_contract_refuses_a_control_character_in_a_text_column() -> None:
    staged = staged_frame(
        [{"position": 0, "item_key": "x", "title": "説明会", "summary": "本文"}],
        raw_sha256="0" * 64,
        source_kind="feed",
        member_id="m1",
        source_ref="ok",
        staged_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    activities, _ = build_activities(staged, load_rules(None))
    broken = activities.with_columns(title=pl.lit("説明\x00会"), venue=pl.lit("\u202e会場"))
    with pytest.raises(ContractError) as caught:
        check(broken, ACTIVITIES)
    assert caught.value.problems == [
        "column title has 1 value(s) with control or invisible characters "
        "(e.g. row 0: '説明\\x00会')",
        "column venue has 1 value(s) with control or invisible characters "
        "(e.g. row 0: '\\u202e会場')",
    ]
