"""transforms.dates: western, era, ISO 8601 and RFC 822 dates, all read as JST."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from transforms.dates import (
    DateParseError,
    ParsedDateTime,
    extract_event_datetime,
    parse_column,
    parse_datetime_text,
    parse_time_range,
)

JST = ZoneInfo("Asia/Tokyo")


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


@pytest.mark.parametrize(
    "text",
    [
        "2013/7/23",
        "2013-07-23",
        "2013.7.23",
        "2013年7月23日",
        "2013年7月23日（火）",
        "2013年7月23日(火曜日)",
        "2013年 7月 23日",
        "平成25年7月23日",
        "H25.7.23",
        "h25/7/23",
        "H.25.7.23",
        "Ｈ２５．７．２３",
        "２０１３年７月２３日",
        "２０１３／０７／２３",
        "20130723",
        " 2013/07/23 ",
    ],
)
def test_date_forms_read_as_2013_07_23_without_time(text: str) -> None:
    assert parse_datetime_text(text) == ParsedDateTime(jst(2013, 7, 23), False, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和元年5月1日", jst(2019, 5, 1)),
        ("令和1年5月1日", jst(2019, 5, 1)),
        ("R7.4.1", jst(2025, 4, 1)),
        ("r07.04.01", jst(2025, 4, 1)),
        ("令和8年11月10日", jst(2026, 11, 10)),
        ("平成元年1月8日", jst(1989, 1, 8)),
        ("H31.4.30", jst(2019, 4, 30)),
        ("昭和64年1月7日", jst(1989, 1, 7)),
        ("S63.12.31", jst(1988, 12, 31)),
        ("昭和元年12月25日", jst(1926, 12, 25)),
        ("大正15年12月24日", jst(1926, 12, 24)),
        ("T1.7.30", jst(1912, 7, 30)),
        ("明治45年7月29日", jst(1912, 7, 29)),
        ("M1.10.23", jst(1868, 10, 23)),
    ],
)
def test_era_dates_and_boundaries(text: str, expected: datetime) -> None:
    parsed = parse_datetime_text(text)
    assert parsed == ParsedDateTime(expected, False, None)


@pytest.mark.parametrize(
    ("text", "expected", "note"),
    [
        ("平成31年5月1日", jst(2019, 5, 1), "平成31年5月1日は令和元年5月1日として読みました"),
        ("H31.12.31", jst(2019, 12, 31), "平成31年12月31日は令和元年12月31日として読みました"),
        ("昭和64年1月8日", jst(1989, 1, 8), "昭和64年1月8日は平成元年1月8日として読みました"),
    ],
)
def test_old_era_after_its_end_is_accepted_with_note(
    text: str, expected: datetime, note: str
) -> None:
    assert parse_datetime_text(text) == ParsedDateTime(expected, False, note)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2013/7/23 13:30", jst(2013, 7, 23, 13, 30)),
        ("2013/7/23 13:30:15", jst(2013, 7, 23, 13, 30, 15)),
        ("2013年7月23日 13時30分", jst(2013, 7, 23, 13, 30)),
        ("2013年7月23日13時", jst(2013, 7, 23, 13)),
        ("2013年7月23日（火）13:30", jst(2013, 7, 23, 13, 30)),
        ("平成25年7月23日 9時半", jst(2013, 7, 23, 9, 30)),
        ("２０１３年７月２３日　１３：３０", jst(2013, 7, 23, 13, 30)),
        ("2013年7月23日 午後1時30分", jst(2013, 7, 23, 13, 30)),
        ("2013年7月23日 午前0時", jst(2013, 7, 23, 0, 0)),
        ("2013/7/23 1:30 PM", jst(2013, 7, 23, 13, 30)),
    ],
)
def test_dates_with_time_of_day(text: str, expected: datetime) -> None:
    assert parse_datetime_text(text) == ParsedDateTime(expected, True, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-10T10:00:00+09:00", jst(2026, 11, 10, 10)),
        ("2026-11-10T01:00:00Z", jst(2026, 11, 10, 10)),
        ("2026-11-10T01:00:00.123Z", jst(2026, 11, 10, 10)),
        ("2026-11-10T03:00:00+02:00", jst(2026, 11, 10, 10)),
        ("2026-11-09T20:00:00-05:00", jst(2026, 11, 10, 10)),
        ("2026-11-10T10:00:00+0900", jst(2026, 11, 10, 10)),
        ("2026-11-10 10:00:00+09", jst(2026, 11, 10, 10)),
        # Zone-less ISO 8601 is JST, not UTC.
        ("2026-11-10T10:00:00", jst(2026, 11, 10, 10)),
        ("2026-11-10T10:00", jst(2026, 11, 10, 10)),
        ("2026-11-10 10:00:00", jst(2026, 11, 10, 10)),
    ],
)
def test_iso8601_converted_to_tokyo_and_zone_less_is_jst(text: str, expected: datetime) -> None:
    parsed = parse_datetime_text(text)
    assert parsed == ParsedDateTime(expected, True, None)
    assert parsed is not None and parsed.value.tzinfo == JST


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 10 Nov 2026 10:00:00 +0900", jst(2026, 11, 10, 10)),
        ("Tue, 10 Nov 2026 01:00:00 GMT", jst(2026, 11, 10, 10)),
        ("Tue, 10 Nov 2026 01:00:00 +0000", jst(2026, 11, 10, 10)),
        ("Mon, 09 Nov 2026 20:00:00 EST", jst(2026, 11, 10, 10)),
        ("Tue, 10 Nov 2026 10:00:00 JST", jst(2026, 11, 10, 10)),
        # Zone-less RFC 822 is JST.
        ("Tue, 10 Nov 2026 10:00:00", jst(2026, 11, 10, 10)),
        ("10 Nov 2026 10:00", jst(2026, 11, 10, 10)),
    ],
)
def test_rfc822_dates(text: str, expected: datetime) -> None:
    assert parse_datetime_text(text) == ParsedDateTime(expected, True, None)


def test_rfc822_date_without_time() -> None:
    assert parse_datetime_text("10 Nov 2026") == ParsedDateTime(jst(2026, 11, 10), False, None)


@pytest.mark.parametrize("text", [None, "", "   ", "\u3000"])
def test_empty_text_is_none(text: str | None) -> None:
    assert parse_datetime_text(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("令和8年13月5日", "「令和8年13月5日」を日付として読めません：13月はありません"),
        ("2026/2/30", "「2026/2/30」を日付として読めません：2026年2月30日はありません"),
        ("2025/2/29", "「2025/2/29」を日付として読めません：2025年2月29日はありません"),
        (
            "平成元年1月7日",
            "「平成元年1月7日」を日付として読めません："
            "平成元年1月7日は平成の始まり（1989年1月8日）より前です",
        ),
        (
            "令和元年4月30日",
            "「令和元年4月30日」を日付として読めません："
            "令和元年4月30日は令和の始まり（2019年5月1日）より前です",
        ),
        ("平成32年1月1日", "「平成32年1月1日」を日付として読めません：平成は31年までです"),
        ("昭和65年1月1日", "「昭和65年1月1日」を日付として読めません：昭和は64年までです"),
        ("令和0年1月1日", "「令和0年1月1日」を日付として読めません：令和0年はありません"),
        (
            "令和99年1月1日",
            "「令和99年1月1日」を日付として読めません：2117年は扱える範囲（1868〜2100年）の外です",
        ),
        (
            "3026/1/1",
            "「3026/1/1」を日付として読めません：3026年は扱える範囲（1868〜2100年）の外です",
        ),
        ("2026/11/10 25:00", "「2026/11/10 25:00」を日付として読めません：25時0分はありません"),
        ("2026/11/10 10:60", "「2026/11/10 10:60」を日付として読めません：10時60分はありません"),
        ("未定", "「未定」を日付として読めません：日付の形が分かりません"),
        ("2026年11月", "「2026年11月」を日付として読めません：日付の形が分かりません"),
        (
            "2026/11/10 ごろ",
            "「2026/11/10 ごろ」を日付として読めません：「ごろ」の部分が読めません",
        ),
        ("Tue, 31 Feb 2026 10:00:00 +0900", "2026年2月31日はありません"),
        ("Tue, 10 Nov 2026 10:00:00 XYZ", "タイムゾーン「XYZ」が分かりません"),
        ("2026-02-30T10:00:00Z", "2026年2月30日はありません"),
    ],
)
def test_unreadable_or_impossible_dates_raise(text: str, message: str) -> None:
    with pytest.raises(DateParseError) as info:
        parse_datetime_text(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_wrong_weekday_is_noted_not_rejected() -> None:
    parsed = parse_datetime_text("2013年7月23日（月）")
    assert parsed == ParsedDateTime(
        jst(2013, 7, 23), False, "曜日（月）が日付と合いません：2013-07-23は火曜日です"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13:30〜16:00", (time(13, 30), time(16, 0))),
        ("13:30～16:00", (time(13, 30), time(16, 0))),
        ("13:30~16:00", (time(13, 30), time(16, 0))),
        ("13:30-16:00", (time(13, 30), time(16, 0))),
        ("１３：３０－１６：００", (time(13, 30), time(16, 0))),
        ("13時30分-16時", (time(13, 30), time(16, 0))),
        ("13時30分～", (time(13, 30), None)),
        ("13:30~", (time(13, 30), None)),
        ("13:30", (time(13, 30), None)),
        ("～16:00", (None, time(16, 0))),
        ("午後1時30分", (time(13, 30), None)),
        ("午前10時〜午後3時", (time(10, 0), time(15, 0))),
        ("午後1時〜3時", (time(13, 0), time(15, 0))),
        ("10時半から12時", (time(10, 30), time(12, 0))),
        ("終日", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_parse_time_range(text: str | None, expected: tuple[time | None, time | None]) -> None:
    assert parse_time_range(text) == expected


@pytest.mark.parametrize("text", ["午後", "13時30分〜夕方", "25:00"])
def test_parse_time_range_rejects_unreadable(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_time_range(text)


def test_extract_event_datetime_after_marker() -> None:
    found = extract_event_datetime(
        "講演会を開きます。開催日時：2026年11月10日（火）13:30〜16:00 会場：岡山"
    )
    assert found == (ParsedDateTime(jst(2026, 11, 10, 13, 30), True, None), time(16, 0))


def test_extract_event_datetime_skips_unreadable_marker_and_tries_next() -> None:
    found = extract_event_datetime("日時：令和8年13月5日 日程：R8.12.1")
    assert found == (ParsedDateTime(jst(2026, 12, 1), False, None), None)


@pytest.mark.parametrize("text", [None, "", "日付のない本文です。", "日時：未定"])
def test_extract_event_datetime_returns_none_without_date(text: str | None) -> None:
    assert extract_event_datetime(text) is None


def test_parse_column_adds_typed_columns_and_reads_each_value() -> None:
    df = pl.DataFrame({"d": ["2026/11/10", None, "平成31年5月1日", "2026/2/30", "2026/11/10 9:00"]})
    out = parse_column(df, "d", "x")
    assert out.schema == pl.Schema(
        {
            "d": pl.String,
            "x_at": pl.Datetime("us", "Asia/Tokyo"),
            "x_has_time": pl.Boolean,
            "x_note": pl.String,
            "x_error": pl.String,
        }
    )
    assert out["x_at"].to_list() == [
        jst(2026, 11, 10),
        None,
        jst(2019, 5, 1),
        None,
        jst(2026, 11, 10, 9),
    ]
    assert out["x_has_time"].to_list() == [False, None, False, None, True]
    assert out["x_note"].to_list() == [
        None,
        None,
        "平成31年5月1日は令和元年5月1日として読みました",
        None,
        None,
    ]
    assert out["x_error"].to_list() == [
        None,
        None,
        None,
        "「2026/2/30」を日付として読めません：2026年2月30日はありません",
        None,
    ]


def test_parse_column_on_empty_frame() -> None:
    out = parse_column(pl.DataFrame({"d": []}, schema={"d": pl.String}), "d", "x")
    assert out.height == 0
    assert out.schema["x_at"] == pl.Datetime("us", "Asia/Tokyo")
