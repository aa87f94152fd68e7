"""transforms.organisers: co-hosted events become one activity with every organiser."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from renkei.core.staging import staged_frame
from renkei.feeds.parse import parse_feed
from renkei.normalize.rules import load_rules
from transforms.activities import build_activities
from transforms.classify import Rules
from transforms.organisers import (
    mentioned_members,
    merge_cohosted,
    report_organisers,
    unmatched_organisers,
)

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
MEMBERS = pl.DataFrame(
    {
        "member_id": ["univ", "bank", "cci", "pref"],
        "name": ["国立大学法人テスト大学", "株式会社やまなみ銀行", "テスト商工会議所", "テスト"],
    }
)
FORUM = "やまなみ産学金連携フォーラム2026 ～新事業の芽～"


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(None)


def feed(name: str, member_id: str, staged_at: datetime) -> pl.DataFrame:
    parsed = parse_feed((FIXTURES / name).read_bytes(), url=f"https://x.example.jp/{name}")
    return staged_frame(
        parsed.rows,
        raw_sha256=name.ljust(64, "0"),
        source_kind="feed",
        member_id=member_id,
        source_ref=name,
        staged_at=staged_at,
    )


@pytest.fixture(scope="module")
def activities(rules: Rules) -> pl.DataFrame:
    staged = pl.concat(
        [
            feed("univ.rdf", "univ", datetime(2026, 11, 13, tzinfo=UTC)),
            feed("bank.rss", "bank", datetime(2026, 11, 12, tzinfo=UTC)),
        ]
    )
    built, quarantine = build_activities(staged, rules)
    assert quarantine.height == 0
    return built


def test_cohosted_event_published_by_two_members_becomes_one_activity(
    activities: pl.DataFrame,
) -> None:
    kept, organisers, merges = merge_cohosted(activities, MEMBERS)
    assert (activities.height, kept.height) == (5, 4)
    forum = kept.filter(pl.col("starts_at").dt.date() == datetime(2026, 12, 10).date())
    assert forum.height == 1
    forum_id = forum["activity_id"][0]
    dated = activities.filter(pl.col("starts_at").dt.date() == datetime(2026, 12, 10).date())
    assert forum_id == min(dated["activity_id"])  # the smallest id is kept: deterministic
    host = forum["member_id"][0]
    other = {"univ": "bank", "bank": "univ"}[host]
    assert merges.rows() == [(forum_id, max(dated["activity_id"]), other, "same_title_date", 1.0)]
    rows = organisers.filter(pl.col("activity_id") == forum_id).select("member_id", "role", "rule")
    assert rows.rows() == [
        (host, "host", "publisher"),
        (other, "co_host", "merge:same_title_date"),
    ]
    # The kept activity was first seen when the earlier of the two was staged.
    assert forum["first_seen_at"][0] == datetime(2026, 11, 12, tzinfo=UTC)


def test_same_title_on_a_different_date_is_a_different_event(activities: pl.DataFrame) -> None:
    kept, _, _ = merge_cohosted(activities, MEMBERS)
    same_title = kept.filter(pl.col("title").str.starts_with("やまなみ産学金連携フォーラム"))
    assert sorted(d.isoformat() for d in same_title["starts_at"].dt.date()) == [
        "2026-12-10",
        "2027-02-04",
    ]


def test_every_activity_lists_its_publisher_as_host(activities: pl.DataFrame) -> None:
    kept, organisers, _ = merge_cohosted(activities, MEMBERS)
    hosts = organisers.filter(pl.col("role") == "host")
    assert sorted(hosts["activity_id"]) == sorted(kept["activity_id"])
    assert hosts.join(kept, on=["activity_id", "member_id"]).height == kept.height


def _row(activity_id: str, member_id: str, title: str, day: int | None, url: str | None) -> dict:
    starts = None if day is None else datetime(2026, 12, day, 5, tzinfo=UTC)
    return {
        "activity_id": activity_id,
        "member_id": member_id,
        "title": title,
        "title_key": title.replace(" ", "").lower(),
        "summary": "",
        "url": url,
        "starts_at": starts,
        "first_seen_at": datetime(2026, 11, int(activity_id[-1]) + 1, tzinfo=UTC),
    }


def test_same_url_and_date_merges_even_when_titles_differ() -> None:
    frame = pl.DataFrame(
        [
            _row("a1", "univ", "技術交流会", 10, "https://u.example.jp/e.html"),
            _row(
                "a2", "cci", "技術交流会のご案内（商工会議所）", 10, "https://u.example.jp/e.html/"
            ),
            _row("a3", "bank", "技術交流会のご案内", 11, "https://u.example.jp/e.html"),
        ]
    )
    kept, organisers, merges = merge_cohosted(frame, MEMBERS)
    assert kept["activity_id"].to_list() == ["a1", "a3"]
    assert merges.rows() == [("a1", "a2", "cci", "same_url", 1.0)]
    assert organisers.filter(pl.col("activity_id") == "a1").rows() == [
        ("a1", "univ", "host", "publisher"),
        ("a1", "cci", "co_host", "merge:same_url"),
    ]


def test_merges_are_transitive_and_keep_the_smallest_id() -> None:
    frame = pl.DataFrame(
        [
            _row("a3", "bank", "フォーラム", 10, "https://b.example.jp/f"),
            _row("a2", "univ", "フォーラム", 10, None),
            _row("a1", "cci", "商工会議所フォーラム", 10, "https://b.example.jp/f"),
        ]
    )
    kept, _, merges = merge_cohosted(frame, MEMBERS)
    assert kept["activity_id"].to_list() == ["a1"]
    assert kept["first_seen_at"].to_list() == [datetime(2026, 11, 2, tzinfo=UTC)]
    assert sorted(merges.select("merged_activity_id", "rule").rows()) == [
        ("a2", "same_url"),  # linked to a1 through a3's title
        ("a3", "same_url"),
    ]


def test_undated_activities_merge_only_with_undated_ones() -> None:
    frame = pl.DataFrame(
        [
            _row("a1", "univ", "お知らせ", None, None),
            _row("a2", "bank", "お知らせ", None, None),
            _row("a3", "cci", "お知らせ", 10, None),
        ]
    )
    kept, _, _ = merge_cohosted(frame, MEMBERS)
    assert kept["activity_id"].to_list() == ["a1", "a3"]


def test_organisers_named_in_text_resolve_to_members_ignoring_legal_forms(
    activities: pl.DataFrame,
) -> None:
    found = mentioned_members(activities, MEMBERS).join(
        activities.select("activity_id", "member_id", "title"), on="activity_id", suffix="_pub"
    )
    # univ wrote 「テスト大学と（株）やまなみ銀行の共催」,
    # bank 「国立大学法人テスト大学と当行の共催」;
    # the member named only テスト (a prefix of テスト大学) is not counted.
    assert sorted(found.select("member_id_pub", "member_id").rows()) == [
        ("bank", "univ"),
        ("univ", "bank"),
        ("univ", "univ"),
    ]


def test_organiser_sentence_does_not_pick_up_the_venue() -> None:
    frame = pl.DataFrame(
        {
            "activity_id": ["a1"],
            "title": ["講演会"],
            "summary": ["会場：テスト商工会議所ホール 主催：株式会社やまなみ銀行"],
        }
    )
    assert mentioned_members(frame, MEMBERS).rows() == [("a1", "bank")]


def test_forum_title_is_display_cleaned(activities: pl.DataFrame) -> None:
    assert activities.filter(pl.col("member_id") == "bank")["title"][0] == FORUM


def test_report_organiser_is_read_from_extra_under_any_organiser_header() -> None:
    staged = pl.DataFrame(
        {
            "stage_id": ["s1", "s2", "s3", "s4", "s5", "s6"],
            "source_kind": ["csv", "csv", "csv", "csv", "csv", "feed"],
            "extra": [
                '{"機関名": " テスト大学 "}',
                '{"備考": "要予約", "主催者（必須）": "テスト実行委員会"}',
                '{"Organizer": "Test Bank"}',
                '{"備考": "要予約"}',
                None,
                '{"機関名": "フィードの値"}',  # a feed's extra is not a report column
            ],
        }
    )
    assert report_organisers(staged).rows() == [
        ("s1", "テスト大学"),
        ("s2", "テスト実行委員会"),
        ("s3", "Test Bank"),
    ]


def test_a_report_organiser_follows_its_activity_into_the_merge() -> None:
    frame = pl.DataFrame(
        [
            _row("a1", "univ", "技術交流会", 10, None),
            _row("a2", "cci", "技術交流会", 10, None),  # merged into a1
        ]
    )
    named = pl.DataFrame(
        {
            "activity_id": ["a2", "a2", "a1"],
            "organiser": ["やまなみ銀行 地域振興部", "交流会実行委員会", "テスト大学"],
        }
    )
    _, organisers, merges = merge_cohosted(frame, MEMBERS, named)
    assert organisers.rows() == [
        ("a1", "univ", "host", "publisher"),
        ("a1", "bank", "co_host", "report:機関名"),
        ("a1", "cci", "co_host", "merge:same_title_date"),
    ]
    assert unmatched_organisers(named, MEMBERS, merges).rows() == [
        ("a1", "交流会実行委員会", "report:機関名")
    ]
