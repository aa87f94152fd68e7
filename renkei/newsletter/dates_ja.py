"""Japanese date formatting for the newsletter (Jinja filters).

All times are shown in Japan time. Aware datetimes are converted to Asia/Tokyo; naive
ones are taken to be Japan time already (the model says "Asia/Tokyo").

    jp_date(date(2026, 12, 5))                       -> 2026年12月5日（土）
    jp_datetime_range(13:30 JST, 16:00 JST, False)   -> 2026年12月5日（土）13:30〜16:00
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
WEEKDAY_JA = ("月", "火", "水", "木", "金", "土", "日")  # date.weekday(): Monday == 0
RANGE_MARK = "〜"  # U+301C WAVE DASH, the mark the rest of the project unifies on


def to_jst(value: datetime) -> datetime:
    """An aware datetime converted to Japan time; a naive one is returned unchanged."""
    if value.tzinfo is None:
        return value
    return value.astimezone(JST)


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return to_jst(value).date()
    return value


def jp_date(value: date | datetime, *, weekday: bool = True, year: bool = True) -> str:
    """2026年12月5日（土）. ``year=False`` gives 12月5日（土）."""
    d = _as_date(value)
    text = f"{d.month}月{d.day}日"
    if year:
        text = f"{d.year}年{text}"
    if weekday:
        text += f"（{WEEKDAY_JA[d.weekday()]}）"
    return text


def jp_time(value: datetime) -> str:
    """13:30 (24-hour clock, Japan time)."""
    t = to_jst(value)
    return f"{t.hour}:{t.minute:02d}"


def jp_datetime_range(
    starts_at: date | datetime | None,
    ends_at: date | datetime | None = None,
    all_day: bool = True,
) -> str:
    """A human date line for an event.

    - one day, timed:        2026年12月5日（土）13:30〜16:00
    - one day, start only:   2026年12月5日（土）13:30〜
    - all day:               2026年12月5日（土）
    - several days:          2026年12月5日（土）〜12月7日（月）   (year repeated if it changes)
    - several days, timed:   2026年12月5日（土）13:30〜12月6日（日）16:00
    An end before the start is ignored. Returns "" when there is no start.
    """
    if starts_at is None:
        return ""
    timed = (not all_day) and isinstance(starts_at, datetime)
    start_d = _as_date(starts_at)
    end_d = _as_date(ends_at) if ends_at is not None else None
    if end_d is not None and end_d < start_d:
        end_d = None
        ends_at = None
    text = jp_date(start_d)
    if timed:
        text += jp_time(starts_at)  # type: ignore[arg-type]
    if end_d is None:
        return text + RANGE_MARK if timed else text
    end_timed = timed and isinstance(ends_at, datetime)
    if end_d == start_d:
        if end_timed:
            return f"{text}{RANGE_MARK}{jp_time(ends_at)}"  # type: ignore[arg-type]
        return text + RANGE_MARK if timed else text
    end_text = jp_date(end_d, year=end_d.year != start_d.year)
    if end_timed:
        end_text += jp_time(ends_at)  # type: ignore[arg-type]
    return f"{text}{RANGE_MARK}{end_text}"


def jp_deadline(value: date | datetime) -> str:
    """2026年12月20日（日）, with the time when one is meant (17:00), not for 0:00 or 23:59."""
    text = jp_date(value)
    if isinstance(value, datetime):
        t = to_jst(value)
        if (t.hour, t.minute) not in ((0, 0), (23, 59)):
            text += jp_time(t)
    return text


def jp_period(start: date, end: date) -> str:
    """2026年11月1日〜11月30日 (no weekdays: it is a span, not an appointment)."""
    if end == start:
        return jp_date(start, weekday=False)
    return (
        f"{jp_date(start, weekday=False)}{RANGE_MARK}"
        f"{jp_date(end, weekday=False, year=end.year != start.year)}"
    )


def jp_month_label(start: date, end: date) -> str | None:
    """2026年11月号 when the period is exactly one calendar month, else None."""
    last = calendar.monthrange(start.year, start.month)[1]
    if start.day == 1 and end == start.replace(day=last):
        return f"{start.year}年{start.month}月号"
    return None
