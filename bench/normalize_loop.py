"""The plain-Python baseline of bench/normalize.py: normalise + dedup one row at a time.

It does the work build_activities + merge_cohosted do, with the same rules, regexes and
parsers, in a loop over dicts (re, html, unicodedata, hashlib; no Polars):

- at the door: invisible characters out of the date, time, URL and category texts;
- display text of title, summary, venue and contact (widths, markup, entities in rounds,
  whitespace: the reference functions transforms.text uses to check itself);
- title core (date decorations) and match keys (NFKC, lower case, range marks, no
  whitespace/punctuation/symbols);
- start, end, publication and deadline dates and the time range (the same parsers);
- facts from title and summary: date windows read by read_span, venue, audience, capacity,
  fee, free, online/hybrid, 開催報告, 年度 (the same regexes);
- classification: phrases in the title, the member's 区分, keywords in title then summary,
  dated event words, guidelines;
- quarantine reasons, the date notes, the summary cut, the URL check, activity_id and
  content_sha256 (sha256), the newest version per activity and first_seen_at;
- merge co-hosted announcements: the same title key and day, or the same URL and day.

What it leaves out (so the baseline is, if anything, flattered): weighing every read
window into start/end/deadline datetimes with notes (it takes the first window's day when
there is no structured start), the organiser sentences (主催：…), and transitive merge
groups (one pass of two dicts).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from transforms import facts as F
from transforms import facts_fields as FF
from transforms.classify import Rules
from transforms.dates import DateParseError, parse_datetime_text, parse_time_range
from transforms.facts_spans import read_span
from transforms.text import (
    _INVISIBLE_RE,
    _RANGE_MARKS,
    _decode,
    _strip_markup_py,
    _tidy_chars_py,
)

_JST = ZoneInfo("Asia/Tokyo")
_SPACES = re.compile(r"\s+")
_KANJI = re.compile("|".join(map(re.escape, sorted(F.KANJI_DIGITS, key=len, reverse=True))))
_DECORATIONS = [re.compile(p) for p in F._TITLE_DECORATIONS]
_RANGES = str.maketrans(dict.fromkeys(_RANGE_MARKS, "~"))
# Whitespace, punctuation (P*) and other symbols (So): what match_key removes (a
# str.translate table: the fastest way plain Python has to drop a set of characters).
_DROP = {
    c: None
    for c in range(0x110000)
    if (cat := unicodedata.category(chr(c)))[0] == "P" or cat == "So" or chr(c).isspace()
}
_TITLE_WINDOW = re.compile(F._TITLE_RE)
_TITLE_BAD = re.compile(F._TITLE_BAD)
_WINDOWS = [re.compile(p) for p in (F._START_RE, F._SUMMARY_HELD_RE, F._DEADLINE_RE, F._UNTIL_RE)]
_FIELDS = [re.compile(rf"(?P<all>{p}){stop}") for _, _, p, stop in FF._FIELDS]
_FREE = re.compile(FF._FEE_FREE_RE)
_ONLINE = re.compile(FF._ONLINE_RE)
_HYBRID = re.compile(FF._HYBRID_RE)
_REPORT = re.compile(F._REPORT_RE)
_FY = re.compile(F._FY_RE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*:")
_SAFE = re.compile(r"^(?:https?|mailto):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _display(value: str | None) -> str | None:
    if value is None:
        return None
    text = _strip_markup_py(_tidy_chars_py(value))
    if "&" in text:
        text = _decode(text)
    return _SPACES.sub(" ", text).strip(" ")


def _key(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).lower().translate(_RANGES)
    return unicodedata.normalize("NFKC", text.translate(_DROP))


def _prepared(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).replace("〜", "~")
    return _KANJI.sub(lambda m: F.KANJI_DIGITS[m.group(0)], text)


def _title_core(title: str) -> str:
    core = _prepared(title)
    for pattern in _DECORATIONS:
        core = pattern.sub(" ", core)
    return core.strip() or title


def _date(text: str | None) -> tuple[datetime | None, str | None]:
    if not text or not text.strip():
        return None, None
    try:
        parsed = parse_datetime_text(text)
    except DateParseError as exc:
        return None, str(exc)
    return (None if parsed is None else parsed.value), None


def _facts(title: str, summary: str) -> dict[str, Any]:
    t, s = _prepared(title), _prepared(summary)
    windows = [m.group(0) for m in _TITLE_WINDOW.finditer(t) if not _TITLE_BAD.search(m.group(0))]
    windows += [m.group(0) for p in _WINDOWS if (m := p.search(s))]
    spans = [read_span(w) for w in windows[:4]]
    found: dict[str, Any] = {"spans": spans}
    for side in (t, s):
        for (name, *_), pattern in zip(FF._FIELDS, _FIELDS, strict=True):
            if name not in found and (m := pattern.search(side)):
                found[name] = m.group("v").strip(" ,、/")
        if "free" not in found and (m := _FREE.search(side)):
            found["free"] = m.group(0)
    both = f"{t} {s}"
    online = "online" if _ONLINE.search(both) else None
    found["online"] = "hybrid" if _HYBRID.search(both) else online
    found["report"] = bool(_REPORT.search(both))
    found["fy"] = m.group(0) if (m := _FY.search(both)) else None
    return found


def _first(texts: list[str], words: list[tuple[Any, str]]) -> tuple[Any, str] | None:
    for text in texts:
        best = min((i for i, (_, w) in enumerate(words) if w and w in text), default=None)
        if best is not None:
            return words[best]
    return None


def _summary(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    cut = head.rfind("。")
    return head[: cut + 1] if cut >= 0 else text[: limit - 1].rstrip() + "…"


def _url(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    squeezed = _CONTROL.sub("", value).lower()
    return value.strip() if not _SCHEME.match(squeezed) or _SAFE.match(squeezed) else None


class Loop:
    """The rules turned into the word lists a loop checks (done once, not timed)."""

    def __init__(self, rules: Rules, summary_chars: int = 200) -> None:
        self.phrases = [(c, _key(w)) for w, c in rules.phrases]
        self.keywords = self.phrases + [(c, _key(w)) for c, w in rules.categories]
        self.events = [("event", _key(w)) for c, w in rules.categories if c == "event"]
        self.members = [(c, _key(w)) for w, c in rules.member_categories]
        self.guidelines = [(g, _key(w)) for g, w in rules.guidelines]
        self.summary_chars = summary_chars

    def row(self, row: dict[str, Any]) -> dict[str, Any] | str:
        """One staged row → an activity dict, or its quarantine reason."""
        for name in ("url", "published_text", "starts_text", "ends_text", "time_text",
                     "category_text", "deadline_text"):  # fmt: skip
            if row[name]:
                row[name] = _INVISIBLE_RE.sub("", row[name])
        title = _display(row["title"]) or ""
        summary = _display(row["summary"]) or ""
        venue, contact = _display(row["venue"]) or None, _display(row["contact"]) or None
        title_key = _key(_title_core(title))
        starts, s_error = _date(row["starts_text"])
        ends, e_error = _date(row["ends_text"])
        published, p_error = _date(row["published_text"])
        deadline, d_error = _date(row["deadline_text"])
        try:
            clock = parse_time_range(row["time_text"])
        except DateParseError:
            clock = (None, None)
        facts = _facts(title, summary)
        if starts is None and facts["spans"] and (span := facts["spans"][0]) is not None:
            year = span.y or (published or row["staged_at"]).year
            try:  # the first window read from the text (the vectorised path weighs them all)
                starts = datetime(year, span.m, span.d, tzinfo=_JST)
            except ValueError:
                pass
        csv_p_error = p_error if row["source_kind"] == "csv" else None
        reasons = [
            r for r in (not title and "件名が空です", s_error, e_error, d_error, csv_p_error) if r
        ]
        if starts and ends and ends < starts:
            reasons.append("終了日が開催日より前です")
        if reasons:
            return "；".join(reasons)
        k_title, k_summary = _key(title), _key(summary)
        k_member = _key(row["category_text"] or "")
        phrase = _first([k_title], self.phrases)
        member = _first([k_member], self.members)
        keyword = _first([k_title, k_summary], self.keywords)
        default = ("news" if row["source_kind"] == "feed" else "other", "")
        category = (phrase or member or keyword or default)[0]
        if phrase is None and starts is not None and category in ("news", "success_case"):
            category = "event" if _first([k_title], self.events) else category
        guideline = _first([k_title, k_summary], self.guidelines)
        if row["source_kind"] == "feed":
            natural = f"feed|{row['member_id']}|{row['item_key'] or row['url'] or title_key}"
        else:
            day = starts.strftime("%Y-%m-%d") if starts else ""
            natural = f"csv|{row['member_id']}|{title_key}|{day}"
        url = _url(row["url"])
        short = _summary(summary, self.summary_chars)
        content = "\x1f".join([title, short, url or "", category, str(starts), str(ends),
                               venue or facts.get("venue") or "", str(deadline)])  # fmt: skip
        return {
            "activity_id": hashlib.sha256(natural.encode()).hexdigest()[:20],
            "member_id": row["member_id"], "title": title, "title_key": title_key,
            "summary": short, "url": url, "category": category, "starts_at": starts,
            "ends_at": ends or clock[1], "published_at": published, "deadline_at": deadline,
            "guideline": guideline[0] if guideline else None, "venue": venue,
            "contact": contact, "facts": facts, "staged_at": row["staged_at"],
            "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
        }  # fmt: skip

    def run(self, rows: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], int, int]:
        """(kept activities by id, quarantined rows, merged activities)."""
        kept: dict[str, dict[str, Any]] = {}
        quarantined = 0
        for row in rows:
            done = self.row(dict(row))
            if isinstance(done, str):
                quarantined += 1
                continue
            old = kept.get(done["activity_id"])
            if old is not None:
                first = min(old["staged_at"], done["staged_at"])
                if old["staged_at"] > done["staged_at"]:
                    done = old
                done["first_seen_at"] = first
            else:
                done["first_seen_at"] = done["staged_at"]
            kept[done["activity_id"]] = done
        by_title: dict[tuple[str, object], str] = {}
        by_url: dict[tuple[str, object], str] = {}
        merged = 0
        for activity_id in sorted(kept):
            row = kept[activity_id]
            day = row["starts_at"].date() if row["starts_at"] else None
            keys = [(by_title, (row["title_key"], day))]
            if row["url"]:
                keys.append((by_url, (row["url"].rstrip("/"), day)))
            if any(key in seen for seen, key in keys):
                merged += 1
                del kept[activity_id]
                continue
            for seen, key in keys:
                seen[key] = activity_id
        return kept, quarantined, merged
