"""Reading one date span out of a short window of Japanese free text.

``read_span("2月6日(木)・7日(金) 各日13:00~17:00 会場: …")`` gives the start and end as
components (year may be missing: the caller supplies it from the publication date or a
年度 of the text, vectorised). The window is NFKC text that a Polars regex cut out of a
title or summary (transforms/facts.py); each distinct window is read once.

Forms: 2026年2月6日, 令和8年2月6日, R8.2.6, 2026/2/6, 2/6, 2月6日(木・祝), times 13:00,
13時30分, 午後1時, ranges with ~ 〜 - から…まで, 2月6日・7日, 各日13:00~17:00. Kanji
numerals are turned into digits by the caller (KANJI_DIGITS, applied in facts.py).

Days joined by ・ 、 , (2月6日・7日, 12月19日・1月16日 各日9:30~16:00, 1月15日・22日・29日
各回18:30~20:30) are separate sessions, not a range: the span still runs from the first
day's start to the last day's end (so the item counts as upcoming until its last session),
and ``sessions`` says so: 「全2回（12月19日・1月16日）各日9:30～16:00」. A qualifier written
right after the date or time, such as （初回）, is kept in ``qual`` and in ``text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["KANJI_DIGITS", "SPAN_FIELDS", "SPAN_INTS", "Span", "read_span"]

_ERA_FIRST_YEAR = {"令和": 2019, "R": 2019, "r": 2019, "平成": 1989, "H": 1989, "h": 1989}
_WEEKDAY = r"(?:\s*\((?:[月火水木金土日](?:曜日?)?(?:\s*[・,、]\s*(?:祝|休)日?)?|祝|祝日)\))?"
_DATE = re.compile(
    r"(?<![\d.])(?:(?:(?P<era>令和|平成|[RrHh])\s*(?P<ey>元|\d{1,2})\s*[年.]"
    r"|(?P<y>20\d{2})\s*(?:年|/|\.|-))\s*(?P<m>\d{1,2})\s*(?:月|/|\.|-)\s*(?P<d>\d{1,2})"
    r"|(?P<m2>\d{1,2})\s*(?:月|/)\s*(?P<d2>\d{1,2}))(?!\d)(?:\s*日|(?![\d:時%]))" + _WEEKDAY
)
_DAY_ONLY = re.compile(r"(?P<d>\d{1,2})(?:\s*日|(?![\d:時/月%.]))" + _WEEKDAY)
_TIME = re.compile(
    r"(?P<ap>午前|午後|AM|PM|am|pm)?\s*(?P<h>\d{1,2})\s*(?::\s*(?P<mi>\d{2})|時\s*(?:(?P<jm>\d{1,2})\s*分|(?P<half>半))?)"
)
_RANGE = re.compile(r"\s*(?:~|〜|-|‐|–|—|―|−|から|より)\s*")
_LIST = re.compile(r"\s*[・、,]\s*")
_EACH = re.compile(r"\s*(?P<each>各日|各回|両日|いずれも|毎回)\s*")
_QUAL = re.compile(r"\s*\((?P<q>初回|第\d{1,2}回|\d日目)\)")
_UNTIL = re.compile(r"\s*まで")

SPAN_INTS = ("y", "m", "d", "h", "mi", "ey", "em", "ed", "eh", "emi")
SPAN_FIELDS = (*SPAN_INTS, "sessions", "qual", "text")


@dataclass(frozen=True)
class Span:
    """Start (y may be None) and optional end; ``text`` is the part of the window read."""

    y: int | None
    m: int
    d: int
    h: int | None
    mi: int | None
    ey: int | None
    em: int | None
    ed: int | None
    eh: int | None
    emi: int | None
    sessions: str | None  # 全2回（12月19日・1月16日）各日9:30～16:00, for a list of days
    qual: str | None  # 初回, 第2回, 1日目: written in brackets after the date or time
    text: str


def _year(m: re.Match[str]) -> int | None:
    if m["y"]:
        return int(m["y"])
    if m["era"]:
        n = 1 if m["ey"] == "元" else int(m["ey"])
        return _ERA_FIRST_YEAR[m["era"]] + n - 1
    return None


def _md(m: re.Match[str]) -> tuple[int, int]:
    return int(m["m"] or m["m2"]), int(m["d"] or m["d2"])


def _ok(y: int | None, month: int, day: int) -> bool:
    try:
        date(y or 2024, month, day)  # 2024: a leap year, so 2/29 without a year passes
    except ValueError:
        return False
    return True


def _clock(m: re.Match[str] | None) -> tuple[int, int] | None:
    if m is None:
        return None
    h = int(m["h"])
    mi = int(m["mi"] or m["jm"] or (30 if m["half"] else 0))
    ap = (m["ap"] or "").upper()
    if ap in ("午後", "PM") and h < 12:
        h += 12
    if h > 24 or mi > 59 or (h == 24 and mi):
        return None
    return (0 if h == 24 else h), mi


def _time_at(s: str, pos: int) -> tuple[tuple[int, int] | None, int]:
    m = _TIME.match(s, pos)
    clock = _clock(m)
    if m is None or clock is None:
        return None, pos
    return clock, m.end()


def _times(s: str, pos: int) -> tuple[tuple[int, int] | None, tuple[int, int] | None, int]:
    """``13:00``, ``13:00~17:00``, ``13:00~`` at ``pos`` (after optional spaces / 各日)."""
    p = pos
    if e := _EACH.match(s, p):
        p = e.end()
    start, q = _time_at(s, p + len(s[p:]) - len(s[p:].lstrip()))
    if start is None:
        return None, None, pos
    end = None
    if r := _RANGE.match(s, q):
        end, q2 = _time_at(s, r.end())
        if end is not None:
            q = q2
            if end < start and start[0] >= 12 and end[0] < 12:
                end = (end[0] + 12, end[1])  # 午後1時~3時
    return start, end, q


def _sessions(days: list[tuple[int, int]], each: str | None, t1: Any, t2: Any) -> str:
    """全3回（1月15日・1月22日・1月29日）各回18:30～20:30"""
    text = f"全{len(days)}回（{'・'.join(f'{m}月{d}日' for m, d in days)}）"
    if t1 is not None:
        text += f"{each or '各回'}{t1[0]}:{t1[1]:02d}～"
        text += f"{t2[0]}:{t2[1]:02d}" if t2 is not None else ""
    return text


def read_span(window: str) -> Span | None:
    """The first date in ``window`` with its time, range end and 各日 times; None if none."""
    first = _DATE.search(window)
    while first is not None and not _ok(_year(first), *_md(first)):
        first = _DATE.search(window, first.end())
    if first is None:
        return None
    y, (month, day) = _year(first), _md(first)
    t1, t2, pos = _times(window, first.end())
    ey = em = ed = None
    days, each = [(month, day)], None
    listed = t1 is None and _LIST.match(window, pos) is not None
    r = _RANGE.match(window, pos) or (_LIST.match(window, pos) if t1 is None else None)
    if r is not None:
        second = _DATE.match(window, r.end())
        day_only = None if second else _DAY_ONLY.match(window, r.end())
        if second and _ok(_year(second), *_md(second)):
            ey, (em, ed) = _year(second), _md(second)
            end_pos = second.end()
            days.append((em, ed))
        elif day_only and int(day_only["d"]) >= 1 and int(day_only["d"]) <= 31:
            ey, em, ed = None, None, int(day_only["d"])
            end_pos = day_only.end()
            days.append((_month_of(days[-1], ed), ed))
        else:
            end_pos = -1
        if end_pos >= 0:
            pos = end_pos
            # a list of days (6日・7日・8日): the last one ends the span
            while (lm := _LIST.match(window, pos)) and (more := _DAY_ONLY.match(window, lm.end())):
                days.append((_month_of(days[-1], int(more["d"])), int(more["d"])))
                if em is not None and days[-1][0] != em:
                    ey = None if ey is None else ey + (days[-1][0] < em)
                    em = days[-1][0]
                ed, pos = int(more["d"]), more.end()
            et1, et2, pos = _times(window, pos)
            if e := _EACH.search(window, end_pos, pos):
                each = e["each"]
            if (
                et1 is not None
                and t1 is None
                and et2 is not None
                and _EACH.search(window[end_pos : end_pos + 6])
            ):
                t1, t2 = et1, et2  # 2月6日~7日 各日13:00~17:00
            elif et1 is not None:
                t2 = et2 if t1 is None and et2 is not None else et1
                if t1 is None and et2 is not None:
                    t1 = et1
    if (u := _UNTIL.match(window, pos)) is not None:
        pos = u.end()
    qual = None
    if (q := _QUAL.match(window, pos)) is not None:
        qual, pos = q["q"], q.end()
    sessions = _sessions(days, each, t1, t2) if listed and len(days) > 1 else None
    h, mi = t1 if t1 else (None, None)
    eh, emi = t2 if t2 else (None, None)
    text = window[first.start() : pos].strip()
    return Span(y, month, day, h, mi, ey, em, ed, eh, emi, sessions, qual, text)


def _month_of(previous: tuple[int, int], day: int) -> int:
    """The month of a day written alone after ``previous`` (month, day): 1月29日・5日 → 2."""
    return previous[0] if day > previous[1] else previous[0] % 12 + 1


def _kanji(n: int) -> str:
    digits = "〇一二三四五六七八九"
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")) + (
        digits[ones] if ones else ""
    )


def _kanji_digits() -> dict[str, str]:
    table = {
        f"{_kanji(m)}月{_kanji(d)}日": f"{m}月{d}日" for m in range(1, 13) for d in range(1, 32)
    }
    for era in ("令和", "平成"):
        table[f"{era}元年"] = f"{era}1年"
        table |= {f"{era}{_kanji(y)}年": f"{era}{y}年" for y in range(1, 41)}
    for ap in ("午前", "午後"):
        table |= {f"{ap}{_kanji(h)}時": f"{ap}{h}時" for h in range(1, 13)}
    return table


KANJI_DIGITS = _kanji_digits()
