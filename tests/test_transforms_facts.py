"""transforms.facts: event facts read from Japanese titles and summaries."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from transforms.facts import read_facts, title_core
from transforms.facts_spans import read_span

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import facts as bench

JST = ZoneInfo("Asia/Tokyo")


def read(title: str, summary: str, published: date = date(2026, 1, 10)) -> dict[str, object]:
    frame = pl.DataFrame({"t": [title], "s": [summary], "p": [published]})
    return read_facts(frame, title="t", summary="s", anchor="p").row(0, named=True)


def test_corpus_meets_the_targets_and_wrong_is_rarer_than_missing() -> None:
    frame, expected = bench.load()
    table = bench.score(bench.readings(frame), expected)
    assert frame.height >= 200
    assert min(table[f]["exact"] for f in ("start", "end")) >= 0.97
    assert min(table[f]["exact"] for f in ("deadline", "venue")) >= 0.95
    for fact in bench.FACTS:
        assert table[fact]["wrong"] <= table[fact]["missing"] or table[fact]["wrong"] == 0


def test_title_date_with_summary_times_each_day_and_venue() -> None:
    row = read(
        "【2/6開催】DX推進セミナー",
        "開催日：2月6日（金）・7日（土） 各日13:00～17:00 "
        "会場：広島大学 東千田キャンパス 定員：50名",
    )
    assert (row["_f_start_at"], row["_f_end_at"], row["_f_venue"], row["_f_capacity"]) == (
        datetime(2026, 2, 6, 13, tzinfo=JST),
        datetime(2026, 2, 7, 17, tzinfo=JST),
        "広島大学 東千田キャンパス",
        "50名",
    )
    assert row["_f_start_note"] == (
        "開催日は概要の『2月6日(金)・7日(土) 各日13:00~17:00』から読み取りました"
        "（年の記載がないため掲載日から2026年としました）"
    )
    assert row["_f_sessions"] == "全2回（2月6日・2月7日）各日13:00～17:00"


def test_year_less_date_before_publication_is_next_year_and_fiscal_year_counts() -> None:
    assert read("フォーラム（1月22日）", "", date(2026, 11, 4))["_f_start_at"] == datetime(
        2027, 1, 22, tzinfo=JST
    )
    row = read("令和8年度 共同研究公募（締切：3月6日）", "", date(2026, 11, 4))
    assert row["_f_deadline_at"] == datetime(2027, 3, 6, tzinfo=JST)


def test_report_dates_are_not_upcoming_events() -> None:
    row = read("セミナー開催報告", "1月20日に開催したセミナーは盛況のうちに終了しました。")
    assert (row["_f_start_at"], row["_f_deadline_at"], row["_f_report"]) == (None, None, True)
    assert row["_f_report_note"] == (
        "開催報告・終了のお知らせのため、本文の日付を開催予定・締切としては扱いませんでした"
    )


def test_era_kanji_numerals_full_width_digits_and_afternoon() -> None:
    row = read(
        "知財セミナー",
        "【日時】令和八年二月十日（火）午後１時～３時【会場】鳥取大学 ※オンライン併用",
    )
    assert (row["_f_start_at"], row["_f_end_at"], row["_f_online"], row["_f_venue"]) == (
        datetime(2026, 2, 10, 13, tzinfo=JST),
        datetime(2026, 2, 10, 15, tzinfo=JST),
        "hybrid",
        "鳥取大学",
    )


def test_fee_and_deadline_phrases() -> None:
    row = read(
        "交流会",
        "3月4日（水）に交流会を開催します。参加費：1,000円。2月27日（金）までにお申し込みください。",
    )
    assert (row["_f_start_at"], row["_f_deadline_at"], row["_f_fee"]) == (
        datetime(2026, 3, 4, tzinfo=JST),
        datetime(2026, 2, 27, tzinfo=JST),
        "1,000円",
    )


def test_two_title_styles_of_one_event_share_a_core() -> None:
    titles = pl.DataFrame({"t": ["【2/6開催】DX推進セミナー", "DX推進セミナー（2月6日）"]})
    assert titles.select(title_core(pl.col("t"))).to_series().to_list() == [
        "DX推進セミナー",
        "DX推進セミナー",
    ]


def test_days_joined_by_a_dot_are_separate_sessions_not_one_range() -> None:
    row = read(
        "社会人向け Rubyプログラミング講座",
        "開催日：2026年12月19日（土）・2027年1月16日（土）各日9:30～16:00"
        "　会場：松江工業高等専門学校 情報処理センター",
        date(2026, 11, 10),
    )
    assert (row["_f_start_at"], row["_f_end_at"], row["_f_sessions"]) == (
        datetime(2026, 12, 19, 9, 30, tzinfo=JST),
        datetime(2027, 1, 16, 16, tzinfo=JST),
        "全2回（12月19日・1月16日）各日9:30～16:00",
    )
    assert row["_f_start_note"] == (
        "開催日は概要の『2026年12月19日(土)・2027年1月16日(土)各日9:30~16:00』から読み取りました"
        "。全2回（12月19日・1月16日）各日9:30～16:00：別々の日の開催で、連続した期間ではありません"
        "（終了日時は最終回のもの）"
    )


def test_each_session_time_of_a_day_list_and_a_venue_with_a_middle_dot() -> None:
    row = read(
        "データサイエンス実践講座",
        "全3回の講座です。開催日：2027年1月15日（金）・22日（金）・29日（金）各回18:30～20:30"
        "　会場：鳥取大学 コラボレーション・プラザ　申込締切：2026年12月25日（金）",
        date(2026, 11, 16),
    )
    assert (
        row["_f_start_at"],
        row["_f_end_at"],
        row["_f_sessions"],
        row["_f_venue"],
        row["_f_deadline_at"],
    ) == (
        datetime(2027, 1, 15, 18, 30, tzinfo=JST),
        datetime(2027, 1, 29, 20, 30, tzinfo=JST),
        "全3回（1月15日・1月22日・1月29日）各回18:30～20:30",
        "鳥取大学 コラボレーション・プラザ",
        datetime(2026, 12, 25, tzinfo=JST),
    )


def test_a_day_list_crossing_a_month_keeps_the_month_of_the_last_day() -> None:
    span = read_span("6月28日(土)、7月5日(土)、12日(土)各日9:30~16:00")
    assert span is not None
    assert (span.m, span.d, span.em, span.ed, span.h, span.eh, span.sessions) == (
        6,
        28,
        7,
        12,
        9,
        16,
        "全3回（6月28日・7月5日・7月12日）各日9:30～16:00",
    )


def test_first_session_qualifier_is_kept_in_the_note_and_not_a_session_list() -> None:
    row = read(
        "アントレプレナーシップ育成プログラム2027",
        "開催日：2027年1月20日（水）18:00～20:00（初回）　会場：広島大学 東千田キャンパス",
        date(2026, 11, 12),
    )
    assert (row["_f_start_at"], row["_f_end_at"], row["_f_sessions"], row["_f_venue"]) == (
        datetime(2027, 1, 20, 18, tzinfo=JST),
        datetime(2027, 1, 20, 20, tzinfo=JST),
        None,
        "広島大学 東千田キャンパス",
    )
    assert row["_f_start_note"] == (
        "開催日は概要の『2027年1月20日(水)18:00~20:00(初回)』から読み取りました"
        "。初回の日時です（ほかの回の日程はこの記載にありません）"
    )


def test_a_middle_dot_ends_a_venue_only_as_a_bullet_or_before_a_label() -> None:
    venues = [
        read("講座", summary)["_f_venue"]
        for summary in (
            "会場：くにびきメッセ・大会議室 ・定員：50名",
            "会場：くにびきメッセ・定員：50名",
            "会場：島根大学 松江キャンパス・総合理工学部棟　参加費：無料",
        )
    ]
    assert venues == [
        "くにびきメッセ・大会議室",
        "くにびきメッセ",
        "島根大学 松江キャンパス・総合理工学部棟",
    ]
