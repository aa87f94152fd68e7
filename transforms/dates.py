"""Reading the dates members write: western, Japanese era, ISO 8601 and RFC 822 forms.

All results are timezone-aware in Asia/Tokyo. A value without a zone means JST (the
feeds and CSVs this council receives are Japanese; feedparser's "UTC" guess is wrong).
Eras come from a small table of our own: the era libraries disagree on boundaries and
accept impossible dates such as 平成元年1月7日.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from email.utils import parsedate_tz
from zoneinfo import ZoneInfo

import polars as pl

__all__ = [
    "DATETIME_DTYPE",
    "ERAS",
    "JST",
    "DateParseError",
    "Era",
    "ParsedDateTime",
    "extract_event_datetime",
    "parse_column",
    "parse_datetime_text",
    "parse_time_range",
]

JST = ZoneInfo("Asia/Tokyo")
DATETIME_DTYPE = pl.Datetime("us", "Asia/Tokyo")
MIN_YEAR = 1868
MAX_YEAR = 2100


class DateParseError(ValueError):
    """A non-empty date text that cannot be read, or names a date that does not exist."""


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    first_day: date
    last_day: date | None  # None: the current era


ERAS: tuple[Era, ...] = (
    Era("明治", "M", date(1868, 10, 23), date(1912, 7, 29)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 24)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("令和", "R", date(2019, 5, 1), None),
)
_ERA_BY_KEY = {key: era for era in ERAS for key in (era.name, era.letter, era.letter.lower())}


@dataclass(frozen=True)
class ParsedDateTime:
    value: datetime  # tz-aware, Asia/Tokyo; midnight when has_time is False
    has_time: bool
    note: str | None = None  # Japanese note when the text was read with a caveat


# --- grammar (applied to an NFKC copy of the text) -----------------------------------

_ERA_NAMES = "|".join(era.name for era in ERAS)
_ERA_LETTERS = "".join(era.letter + era.letter.lower() for era in ERAS)
_SEP = r"\s*[./\-年]\s*"
_DATE_RE = re.compile(
    rf"(?:(?P<era>{_ERA_NAMES}|[{_ERA_LETTERS}])\.?\s*(?P<eyear>元|\d{{1,2}})"
    rf"|(?P<year>\d{{4}})){_SEP}(?P<month>\d{{1,2}})\s*[./\-月]\s*(?P<day>\d{{1,2}})\s*日?"
)
_COMPACT_DATE_RE = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})(?!\d)")
_WEEKDAYS = "月火水木金土日"
_WEEKDAY_RE = re.compile(
    rf"\s*\(\s*(?P<wd>[{_WEEKDAYS}])(?:曜日?)?(?:\s*[・,]\s*(?:祝|休)日?)?\s*\)"
    r"|\s*\(\s*(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s*\)",
    re.IGNORECASE,
)
_TIME_RE = re.compile(
    r"(?P<ampm>午前|午後|AM|PM|am|pm)?\s*(?P<hour>\d{1,2})\s*"
    r"(?::\s*(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"|時\s*(?:(?P<jminute>\d{1,2})\s*分|(?P<half>半))?)"
    r"\s*(?P<ampm2>AM|PM|am|pm)?"
)
_ISO_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})[T ]"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?\s*"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT|JST)?",
    re.IGNORECASE,
)
_RFC822_RE = re.compile(
    r"(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s+(?P<zone>[+-]\d{4}|[A-Za-z]{1,5}))?"
)
_RFC822_DATE_ONLY_RE = re.compile(r"(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}")
_ZONE_HOURS = {
    "Z": 0, "UT": 0, "UTC": 0, "GMT": 0, "JST": 9,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
_RANGE_SPLIT_RE = re.compile(r"\s*(?:[~〜\-‐‑‒–—―−⁓]|から)\s*")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _fail(original: str, why: str) -> DateParseError:
    return DateParseError(f"「{original}」を日付として読めません：{why}")


def _make_date(original: str, year: int, month: int, day: int) -> date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _fail(original, f"{year}年は扱える範囲（{MIN_YEAR}〜{MAX_YEAR}年）の外です")
    if not 1 <= month <= 12:
        raise _fail(original, f"{month}月はありません")
    try:
        return date(year, month, day)
    except ValueError:
        raise _fail(original, f"{year}年{month}月{day}日はありません") from None


def _era_label(era: Era, year: int) -> str:
    return f"{era.name}{'元' if year == 1 else year}年"


def _era_date(
    original: str, era: Era, era_year: int, month: int, day: int
) -> tuple[date, str | None]:
    if era_year < 1:
        raise _fail(original, f"{era.name}0年はありません")
    last_year = None if era.last_day is None else era.last_day.year - era.first_day.year + 1
    if last_year is not None and era_year > last_year:
        raise _fail(original, f"{era.name}は{last_year}年までです")
    year = era.first_day.year + era_year - 1
    value = _make_date(original, year, month, day)
    written = f"{_era_label(era, era_year)}{month}月{day}日"
    if value < era.first_day:
        start = era.first_day
        raise _fail(
            original,
            f"{written}は{era.name}の始まり（{start.year}年{start.month}月{start.day}日）より前です",
        )
    if era.last_day is not None and value > era.last_day:
        # Documents printed before an era change still use the old era for later dates
        # (平成31年5月1日 is common). Accept within the era's last calendar year, with a note.
        successor = next(e for e in ERAS if e.first_day <= value and (e.last_day or value) >= value)
        new_year = value.year - successor.first_day.year + 1
        note = f"{written}は{_era_label(successor, new_year)}{month}月{day}日として読みました"
        return value, note
    return value, None


def _read_time(original: str, m: re.Match[str]) -> time:
    g = m.groupdict()
    hour = int(g["hour"])
    minute = int(g["minute"] or g.get("jminute") or (30 if g.get("half") else 0))
    second = int(g["second"] or 0)
    written_ampm = g.get("ampm") or g.get("ampm2") or ""
    ampm = written_ampm.upper()
    if ampm:
        if hour > 12:
            raise _fail(original, f"{written_ampm}{hour}時はありません")
        if ampm in ("午後", "PM") and hour < 12:
            hour += 12
        elif ampm in ("午前", "AM") and hour == 12:
            hour = 0
    if hour > 23 or minute > 59 or second > 59:
        raise _fail(original, f"{hour}時{minute}分はありません")
    return time(hour, minute, second)


def _weekday_note(value: date, written: str | None) -> str | None:
    if written is None or _WEEKDAYS[value.weekday()] == written:
        return None
    actual = _WEEKDAYS[value.weekday()]
    return f"曜日（{written}）が日付と合いません：{value.isoformat()}は{actual}曜日です"


def _join_notes(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "；".join(kept) if kept else None


def _parse_iso(original: str, m: re.Match[str]) -> ParsedDateTime:
    day = _make_date(original, int(m["year"]), int(m["month"]), int(m["day"]))
    clock = _read_time(original, m)
    zone = (m["zone"] or "").upper()
    if not zone or zone == "JST":
        value = datetime.combine(day, clock, tzinfo=JST)
    elif zone in _ZONE_HOURS:
        value = datetime.combine(day, clock, tzinfo=timezone(timedelta(hours=_ZONE_HOURS[zone])))
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        offset = timedelta(hours=hours, minutes=minutes) * sign
        value = datetime.combine(day, clock, tzinfo=timezone(offset))
    return ParsedDateTime(value.astimezone(JST), True)


def _parse_rfc822(original: str, s: str, zone: str | None) -> ParsedDateTime:
    fields = parsedate_tz(s)
    if fields is None:
        raise _fail(original, "RFC 822 形式として読めません")
    year, month, day, hour, minute, second = fields[:6]
    value_date = _make_date(original, year, month, day)
    if hour > 23 or minute > 59 or second > 59:
        raise _fail(original, f"{hour}時{minute}分はありません")
    # parsedate_tz reports a missing zone as +0000 and unknown names as +0000 too, so the
    # zone is read here: none (or JST) means JST.
    if zone is None or zone.upper() == "JST":
        tz: timezone | ZoneInfo = JST
    elif zone[0] in "+-":
        tz = timezone(timedelta(seconds=fields[9] or 0))
    elif zone.upper() in _ZONE_HOURS:
        tz = timezone(timedelta(hours=_ZONE_HOURS[zone.upper()]))
    else:
        raise _fail(original, f"タイムゾーン「{zone}」が分かりません")
    value = datetime.combine(value_date, time(hour, minute, second), tzinfo=tz)
    return ParsedDateTime(value.astimezone(JST), True)


def _parse_local(original: str, s: str, *, whole: bool) -> tuple[ParsedDateTime, str]:
    """Japanese/western date with optional weekday and time at the start of ``s``.

    Returns the reading and the unread rest; with ``whole`` the rest must be empty.
    """
    m = _DATE_RE.match(s) or _COMPACT_DATE_RE.match(s)
    if m is None:
        raise _fail(original, "日付の形が分かりません")
    month, day = int(m["month"]), int(m["day"])
    note = None
    if m.groupdict().get("era"):
        era = _ERA_BY_KEY[m["era"]]
        era_year = 1 if m["eyear"] == "元" else int(m["eyear"])
        value_date, note = _era_date(original, era, era_year, month, day)
    else:
        value_date = _make_date(original, int(m["year"]), month, day)
    rest = s[m.end() :]
    wd = _WEEKDAY_RE.match(rest)
    written_weekday = None
    if wd:
        written_weekday = wd["wd"]
        rest = rest[wd.end() :]
    clock = None
    tm = _TIME_RE.match(rest.lstrip(" T"))
    if tm and tm.group(0).strip() and (tm["minute"] or "時" in tm.group(0)):
        clock = _read_time(original, tm)
        rest = rest.lstrip(" T")[tm.end() :]
    rest = rest.strip()
    if whole and rest:
        raise _fail(original, f"「{rest}」の部分が読めません")
    value = datetime.combine(value_date, clock or time(0), tzinfo=JST)
    note = _join_notes(note, _weekday_note(value_date, written_weekday))
    return ParsedDateTime(value, clock is not None, note), rest


def parse_datetime_text(text: str | None) -> ParsedDateTime | None:
    """Read one date (optionally with a time). None for empty text.

    Raises DateParseError (Japanese message) for text that is not a date or names a date
    that does not exist (2026/2/30, 令和8年13月5日, 平成元年1月7日).
    """
    if text is None or not text.strip():
        return None
    original = text.strip()
    s = _nfkc(text)
    if m := _ISO_RE.fullmatch(s):
        return _parse_iso(original, m)
    if m := _RFC822_RE.fullmatch(s):
        return _parse_rfc822(original, s, m["zone"])
    if _RFC822_DATE_ONLY_RE.fullmatch(s):
        fields = parsedate_tz(s + " 00:00")
        if fields is None:
            raise _fail(original, "RFC 822 形式として読めません")
        value_date = _make_date(original, *fields[:3])
        return ParsedDateTime(datetime.combine(value_date, time(0), tzinfo=JST), False)
    return _parse_local(original, s, whole=True)[0]


def _parse_clock(original: str, s: str) -> time | None:
    s = s.strip()
    if not s:
        return None
    m = _TIME_RE.fullmatch(s)
    if m is None or not (m["minute"] or "時" in s):
        raise DateParseError(f"「{original}」を時刻として読めません")
    return _read_time(original, m)


def parse_time_range(text: str | None) -> tuple[time | None, time | None]:
    """Read a time or time range: 13:30〜16:00, 13時30分-16時, 13:30~, 午後1時30分, 終日.

    Returns (start, end); either may be None. Raises DateParseError when unreadable.
    """
    if text is None or not text.strip():
        return None, None
    original = text.strip()
    s = _nfkc(text)
    if s in ("終日", "未定"):
        return None, None
    parts = _RANGE_SPLIT_RE.split(s, maxsplit=1)
    start = _parse_clock(original, parts[0])
    end = _parse_clock(original, parts[1]) if len(parts) > 1 else None
    if end is not None and parts[1].strip() and start is not None:
        # "午後1時〜3時": the end inherits the start's 午後 when it has none of its own.
        if re.match(r"(午後|PM|pm)", parts[0]) and not re.match(r"(午前|午後|AM|PM)", parts[1]):
            if end.hour < 12 and end < start:
                end = end.replace(hour=end.hour + 12)
    return start, end


_EVENT_MARKER_RE = re.compile(r"(?:開催日時|開催日|開催期間|日時|日程)\s*[:：]\s*")


def extract_event_datetime(text: str | None) -> tuple[ParsedDateTime, time | None] | None:
    """Find an event date in free text after 開催日：/日時：/日程：/開催日時：.

    Returns (start, end time of a following 〜16:00 if any), or None when no marker is
    followed by a readable date. Never raises: the caller treats this as a best guess.
    """
    if not text:
        return None
    s = unicodedata.normalize("NFKC", text)
    for marker in _EVENT_MARKER_RE.finditer(s):
        candidate = s[marker.end() : marker.end() + 80]
        try:
            parsed, rest = _parse_local(candidate, candidate, whole=False)
        except DateParseError:
            continue
        end = None
        range_m = re.match(r"(?:[~〜\-‐–—―−]|から)\s*", rest)
        if range_m and parsed.has_time:
            tm = _TIME_RE.match(rest[range_m.end() :])
            if tm and (tm["minute"] or "時" in tm.group(0)):
                try:
                    end = _read_time(candidate, tm)
                except DateParseError:
                    end = None
        return parsed, end
    return None


# --- frame level -----------------------------------------------------------------------


def parse_column(df: pl.DataFrame, source_col: str, prefix: str) -> pl.DataFrame:
    """Add ``{prefix}_at`` (Datetime us Asia/Tokyo), ``{prefix}_has_time`` (bool),
    ``{prefix}_note`` and ``{prefix}_error`` (str) read from the text column ``source_col``.

    The date grammar is not expressible as Polars expressions, so this runs Python per
    value — but only once per *distinct* string (dates repeat a lot across a batch); the
    results are mapped back with replace_strict. Null/blank text gives nulls everywhere.
    """
    at: dict[str, datetime | None] = {}
    has_time: dict[str, bool | None] = {}
    note: dict[str, str | None] = {}
    error: dict[str, str | None] = {}
    for value in df.get_column(source_col).drop_nulls().unique().to_list():
        try:
            parsed = parse_datetime_text(value)
        except DateParseError as exc:
            at[value], has_time[value], note[value], error[value] = None, None, None, str(exc)
            continue
        if parsed is None:
            at[value], has_time[value], note[value], error[value] = None, None, None, None
        else:
            at[value], has_time[value] = parsed.value, parsed.has_time
            note[value], error[value] = parsed.note, None
    col = pl.col(source_col)

    def mapped(mapping: Mapping[str, object], dtype: pl.DataType) -> pl.Expr:
        return col.replace_strict(
            list(mapping), list(mapping.values()), default=None, return_dtype=dtype
        )

    return df.with_columns(
        mapped(at, DATETIME_DTYPE).alias(f"{prefix}_at"),
        mapped(has_time, pl.Boolean()).alias(f"{prefix}_has_time"),
        mapped(note, pl.String()).alias(f"{prefix}_note"),
        mapped(error, pl.String()).alias(f"{prefix}_error"),
    )
