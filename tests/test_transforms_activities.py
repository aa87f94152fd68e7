"""transforms.activities: staged rows → activities + quarantine."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from transforms.activities import build_activities
from transforms.classify import Rules, rules_from_toml

JST = ZoneInfo("Asia/Tokyo")
TS = pl.Datetime("us", "Asia/Tokyo")
DICTIONARY = Path(__file__).resolve().parents[1] / "renkei" / "data" / "classification.toml"

EXPECTED_ACTIVITIES_SCHEMA = pl.Schema(
    {
        "activity_id": pl.String,
        "member_id": pl.String,
        "source": pl.String,
        "source_ref": pl.String,
        "stage_id": pl.String,
        "title": pl.String,
        "title_key": pl.String,
        "summary": pl.String,
        "url": pl.String,
        "category": pl.String,
        "category_rule": pl.String,
        "guideline": pl.Int8,
        "guideline_rule": pl.String,
        "starts_at": TS,
        "ends_at": TS,
        "all_day": pl.Boolean,
        "published_at": TS,
        "deadline_at": TS,
        "venue": pl.String,
        "contact": pl.String,
        "date_note": pl.String,
        "content_sha256": pl.String,
        "first_seen_at": TS,
        "online": pl.String,
        "fee_text": pl.String,
        "capacity_text": pl.String,
        "audience_text": pl.String,
        "fact_notes": pl.String,
        "schedule_text": pl.String,
    }
)
EXPECTED_QUARANTINE_SCHEMA = pl.Schema(
    {
        "stage_id": pl.String,
        "raw_sha256": pl.String,
        "position": pl.Int64,
        "member_id": pl.String,
        "reason": pl.String,
    }
)

_TEXT = (
    "stage_id", "raw_sha256", "source_kind", "member_id", "source_ref", "item_key", "title",
    "summary", "url", "published_text", "starts_text", "ends_text", "time_text", "venue",
    "category_text", "deadline_text", "contact", "extra",
)  # fmt: skip


def staged(*rows: dict[str, Any]) -> pl.DataFrame:
    """Staged frame; every row gets defaults, stage_id defaults to its index."""
    filled = []
    for i, row in enumerate(rows):
        base: dict[str, Any] = dict.fromkeys(_TEXT)
        base.update(
            stage_id=f"stage{i}",
            raw_sha256="raw0",
            position=i,
            source_kind="feed",
            member_id="m01",
            source_ref="https://example.jp/feed.rdf",
            title="お知らせ",
            staged_at=datetime(2026, 11, 1, 9, 0, tzinfo=JST),
        )
        base.update(row)
        filled.append(base)
    schema = {**dict.fromkeys(_TEXT, pl.String), "position": pl.Int64, "staged_at": TS}
    return pl.DataFrame(filled, schema=schema)


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


def expected_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


@pytest.fixture(scope="module")
def rules() -> Rules:
    return rules_from_toml(DICTIONARY.read_text(encoding="utf-8"))


def build(rules: Rules, *rows: dict[str, Any], **kw: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    return build_activities(staged(*rows), rules, **kw)


def only(df: pl.DataFrame) -> dict[str, Any]:
    assert df.height == 1, df
    return df.row(0, named=True)


def test_output_schemas_match_contract(rules: Rules) -> None:
    activities, quarantine = build(rules, {"title": "セミナー"}, {"title": ""})
    assert activities.schema == EXPECTED_ACTIVITIES_SCHEMA
    assert quarantine.schema == EXPECTED_QUARANTINE_SCHEMA


def test_empty_input_gives_empty_frames_with_contract_schemas(rules: Rules) -> None:
    activities, quarantine = build_activities(staged().head(0), rules)
    assert (activities.height, quarantine.height) == (0, 0)
    assert activities.schema == EXPECTED_ACTIVITIES_SCHEMA
    assert quarantine.schema == EXPECTED_QUARANTINE_SCHEMA


def test_feed_item_is_cleaned_classified_and_dated(rules: Rules) -> None:
    activities, quarantine = build(
        rules,
        {
            "item_key": "urn:item:1",
            "title": "ﾋﾞｼﾞﾈｽ&amp;ﾏｯﾁﾝｸﾞ<b>交流会</b>　２０２６",
            "summary": "<p>県内企業の皆様へ。</p><script>x()</script>",
            "url": " https://example.jp/a ",
            "published_text": "2026-11-01T10:00:00",
            "venue": "岡山\u3000コンベンションセンター",
            "contact": "産業振興課 ①窓口",
        },
    )
    assert quarantine.height == 0
    row = only(activities)
    assert row == {
        "activity_id": expected_id("feed|m01|urn:item:1"),
        "member_id": "m01",
        "source": "feed",
        "source_ref": "https://example.jp/feed.rdf",
        "stage_id": "stage0",
        "title": "ビジネス&マッチング交流会 2026",
        "title_key": "ビジネスマッチング交流会2026",
        "summary": "県内企業の皆様へ。",
        "url": "https://example.jp/a",
        "category": "event",
        "category_rule": "keyword:交流会",
        "guideline": 2,
        "guideline_rule": "keyword:交流",
        "starts_at": None,
        "ends_at": None,
        "all_day": True,
        "published_at": jst(2026, 11, 1, 10),
        "deadline_at": None,
        "venue": "岡山 コンベンションセンター",
        "contact": "産業振興課 ①窓口",
        "date_note": None,
        "content_sha256": row["content_sha256"],
        "first_seen_at": jst(2026, 11, 1, 9),
        "online": None,
        "fee_text": None,
        "capacity_text": None,
        "audience_text": None,
        "fact_notes": None,
        "schedule_text": None,
    }
    fields = [
        "ビジネス&マッチング交流会 2026",
        "県内企業の皆様へ。",
        "https://example.jp/a",
        "event",
        "",
        "",
        "岡山 コンベンションセンター",
        "",
    ]
    assert row["content_sha256"] == hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def test_summary_is_cut_at_sentence_end(rules: Rules) -> None:
    activities, _ = build(
        rules, {"summary": "一文目です。二文目です。三文目です。"}, summary_chars=13
    )
    assert only(activities)["summary"] == "一文目です。二文目です。"


def test_csv_row_dates_and_time_range(rules: Rules) -> None:
    activities, _ = build(
        rules,
        {
            "source_kind": "csv",
            "source_ref": "report.csv",
            "title": "知財セミナー",
            "starts_text": "令和8年11月10日（火）",
            "time_text": "13:30～16:00",
            "deadline_text": "R8.11.5",
            "category_text": "セミナー",
        },
    )
    row = only(activities)
    assert row["activity_id"] == expected_id("csv|m01|知財セミナー|2026-11-10")
    assert (row["starts_at"], row["ends_at"], row["all_day"]) == (
        jst(2026, 11, 10, 13, 30),
        jst(2026, 11, 10, 16, 0),
        False,
    )
    assert row["deadline_at"] == jst(2026, 11, 5)
    assert (row["category"], row["category_rule"]) == ("event", "member:区分=セミナー")


def test_multi_day_event_takes_end_time_on_end_date(rules: Rules) -> None:
    activities, _ = build(
        rules,
        {"starts_text": "2026/11/10", "ends_text": "2026/11/11", "time_text": "10:00-17:00"},
    )
    row = only(activities)
    assert (row["starts_at"], row["ends_at"]) == (jst(2026, 11, 10, 10), jst(2026, 11, 11, 17))


def test_date_only_event_is_all_day(rules: Rules) -> None:
    activities, _ = build(rules, {"starts_text": "2026/11/10", "ends_text": "2026/11/12"})
    row = only(activities)
    assert (row["starts_at"], row["ends_at"], row["all_day"]) == (
        jst(2026, 11, 10),
        jst(2026, 11, 12),
        True,
    )


def test_feed_event_date_read_from_summary_marker(rules: Rules) -> None:
    activities, _ = build(
        rules,
        {
            "title": "講演会のご案内",
            "summary": "<p>講演会を開きます。</p><p>開催日時：2026年11月10日（火）13:30～16:00</p>",
        },
    )
    row = only(activities)
    assert (row["starts_at"], row["ends_at"], row["all_day"]) == (
        jst(2026, 11, 10, 13, 30),
        jst(2026, 11, 10, 16),
        False,
    )
    assert row["date_note"] is None
    assert row["fact_notes"] == "開催日は概要の『2026年11月10日(火)13:30~16:00』から読み取りました"


def test_unreadable_summary_date_is_ignored_not_quarantined(rules: Rules) -> None:
    activities, quarantine = build(rules, {"summary": "日時：令和8年13月5日"})
    assert quarantine.height == 0
    assert only(activities)["starts_at"] is None


def test_csv_rows_read_dates_from_summary_only_when_the_date_columns_are_empty(
    rules: Rules,
) -> None:
    activities, _ = build(rules, {"source_kind": "csv", "summary": "日時：2026年11月10日"})
    assert only(activities)["starts_at"] == jst(2026, 11, 10)
    activities, _ = build(
        rules,
        {"source_kind": "csv", "starts_text": "2026/12/1", "summary": "日時：2026年11月10日"},
    )
    assert (only(activities)["starts_at"], only(activities)["fact_notes"]) == (
        jst(2026, 12, 1),
        None,
    )


def test_era_note_is_kept_in_date_note(rules: Rules) -> None:
    activities, _ = build(rules, {"source_kind": "csv", "starts_text": "平成31年5月1日"})
    row = only(activities)
    assert row["starts_at"] == jst(2019, 5, 1)
    assert row["date_note"] == "開催日：平成31年5月1日は令和元年5月1日として読みました"


def test_bad_published_text_on_feed_is_noted_not_quarantined(rules: Rules) -> None:
    activities, quarantine = build(rules, {"published_text": "2026/13/01"})
    assert quarantine.height == 0
    row = only(activities)
    assert row["published_at"] is None
    assert row["date_note"] == "掲載日「2026/13/01」を日付として読めません：13月はありません"


def test_rfc822_published_text_without_zone_is_jst(rules: Rules) -> None:
    activities, _ = build(rules, {"published_text": "Tue, 10 Nov 2026 10:00:00"})
    assert only(activities)["published_at"] == jst(2026, 11, 10, 10)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"title": "<p> </p>"}, "件名が空です"),
        ({"title": None}, "件名が空です"),
        (
            {"starts_text": "令和8年13月5日"},
            "開催日「令和8年13月5日」を日付として読めません：13月はありません",
        ),
        (
            {"starts_text": "2026/11/10", "ends_text": "2026/2/30"},
            "終了日「2026/2/30」を日付として読めません：2026年2月30日はありません",
        ),
        (
            {"deadline_text": "平成元年1月7日"},
            "申込締切「平成元年1月7日」を日付として読めません："
            "平成元年1月7日は平成の始まり（1989年1月8日）より前です",
        ),
        (
            {"source_kind": "csv", "published_text": "そのうち"},
            "掲載日「そのうち」を日付として読めません：日付の形が分かりません",
        ),
        (
            {"starts_text": "2026/11/10", "ends_text": "2026/11/9"},
            "終了日「2026/11/9」が開催日「2026/11/10」より前です",
        ),
        (
            {"starts_text": "2026/11/10", "time_text": "16:00〜13:00"},
            "終了時刻が開始時刻より前です：時間「16:00〜13:00」",
        ),
        (
            {"title": "", "starts_text": "2026/2/30"},
            "件名が空です；開催日「2026/2/30」を日付として読めません：2026年2月30日はありません",
        ),
    ],
)
def test_bad_rows_are_quarantined_with_reason(
    rules: Rules, row: dict[str, Any], reason: str
) -> None:
    activities, quarantine = build(rules, {"title": "ok"}, {"raw_sha256": "rawX", **row})
    assert activities["stage_id"].to_list() == ["stage0"]
    assert quarantine.to_dicts() == [
        {
            "stage_id": "stage1",
            "raw_sha256": "rawX",
            "position": 1,
            "member_id": "m01",
            "reason": reason,
        }
    ]


def test_same_day_end_without_time_is_not_before_timed_start(rules: Rules) -> None:
    activities, quarantine = build(
        rules, {"starts_text": "2026/11/10 13:30", "ends_text": "2026/11/10"}
    )
    assert quarantine.height == 0
    assert only(activities)["ends_at"] == jst(2026, 11, 10)


def test_unreadable_time_text_is_noted(rules: Rules) -> None:
    activities, quarantine = build(rules, {"starts_text": "2026/11/10", "time_text": "夕方"})
    assert quarantine.height == 0
    row = only(activities)
    assert (row["starts_at"], row["all_day"]) == (jst(2026, 11, 10), True)
    assert row["date_note"] == "時間「夕方」を時刻として読めません"


def test_refetched_feed_item_keeps_latest_staged_row(rules: Rules) -> None:
    activities, _ = build(
        rules,
        {"item_key": "g1", "title": "旧", "staged_at": jst(2026, 11, 1)},
        {"item_key": "g1", "title": "新", "staged_at": jst(2026, 11, 2)},
        {"item_key": "g1", "title": "中", "staged_at": jst(2026, 11, 1, 12)},
        {"item_key": "g2", "title": "別"},
    )
    assert activities.select("stage_id", "title").rows() == [("stage1", "新"), ("stage3", "別")]
    # first_seen_at is the earliest staging of the activity, whichever version wins.
    assert activities["first_seen_at"][0] == jst(2026, 11, 1)


def test_same_staged_at_keeps_highest_position(rules: Rules) -> None:
    activities, _ = build(
        rules,
        {"item_key": "g1", "title": "先", "position": 3},
        {"item_key": "g1", "title": "後", "position": 7},
    )
    assert only(activities)["title"] == "後"


def test_newest_bad_version_is_quarantined_and_last_good_version_kept(rules: Rules) -> None:
    activities, quarantine = build(
        rules,
        {"item_key": "g1", "title": "良", "staged_at": jst(2026, 11, 1)},
        {"item_key": "g1", "title": "", "staged_at": jst(2026, 11, 2)},
    )
    assert only(activities)["title"] == "良"
    assert quarantine["stage_id"].to_list() == ["stage1"]


@pytest.mark.parametrize(
    ("row", "key"),
    [
        ({"item_key": " g1 ", "url": "https://x.jp/1"}, "feed|m01|g1"),
        ({"url": "https://x.jp/1"}, "feed|m01|https://x.jp/1"),
        ({"title": "【募集】ＡＢＣ講座"}, "feed|m01|募集abc講座"),
        ({"source_kind": "csv", "title": "ＡＢＣ講座"}, "csv|m01|abc講座|"),
        (
            {"source_kind": "csv", "title": "ＡＢＣ講座", "starts_text": "H25.7.23 10:00"},
            "csv|m01|abc講座|2013-07-23",
        ),
    ],
)
def test_activity_id_is_sha256_of_natural_key(rules: Rules, row: dict[str, Any], key: str) -> None:
    activities, _ = build(rules, row)
    assert only(activities)["activity_id"] == expected_id(key)


def test_csv_rows_with_same_title_on_different_days_are_distinct(rules: Rules) -> None:
    activities, _ = build(
        rules,
        {"source_kind": "csv", "title": "相談会", "starts_text": "2026/11/10"},
        {"source_kind": "csv", "title": "相談会", "starts_text": "2026/11/17"},
        {"source_kind": "csv", "title": "ｿｳﾀﾞﾝ会", "starts_text": "2026/11/17"},
    )
    assert activities.height == 3
    assert activities["activity_id"].n_unique() == 3


def test_same_input_twice_gives_same_ids_and_hashes(rules: Rules) -> None:
    rows = (
        {"item_key": "g1", "title": "セミナー", "starts_text": "2026/11/10"},
        {"source_kind": "csv", "title": "公募", "deadline_text": "2026/11/30"},
    )
    first, _ = build(rules, *rows)
    second, _ = build(rules, *rows)
    assert first.equals(second)
    assert first["activity_id"].str.len_chars().to_list() == [20, 20]


def test_content_hash_ignores_lineage_and_follows_content(rules: Rules) -> None:
    base = {"item_key": "g1", "title": "セミナー"}
    a, _ = build(rules, base)
    b, _ = build(rules, {**base, "stage_id": "other", "staged_at": jst(2026, 12, 1)})
    c, _ = build(rules, {**base, "venue": "広島"})
    assert a["content_sha256"].item() == b["content_sha256"].item()
    assert a["content_sha256"].item() != c["content_sha256"].item()
    assert a["activity_id"].item() == c["activity_id"].item()


def test_missing_staged_column_is_rejected(rules: Rules) -> None:
    with pytest.raises(ValueError, match="staged_at"):
        build_activities(staged({}).drop("staged_at"), rules)


def test_unknown_source_kind_is_rejected(rules: Rules) -> None:
    with pytest.raises(ValueError, match="source_kind"):
        build(rules, {"source_kind": "mail"})


def test_all_null_text_columns_are_accepted(rules: Rules) -> None:
    frame = staged({"source_kind": "csv", "title": "報告"})
    frame = frame.with_columns(pl.lit(None).alias(c) for c in ("summary", "venue", "time_text"))
    assert frame.schema["summary"] == pl.Null
    activities, quarantine = build_activities(frame, rules)
    assert quarantine.height == 0
    assert only(activities)["summary"] == ""
