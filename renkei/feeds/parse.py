"""Feed bytes into staged-row dicts, as the source wrote them (no cleaning: that is the
normaliser's job). Parsing reads bytes from the raw store, never from the network, so a
parser fix can be replayed over the exact bytes received (``renkei reparse``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import feedparser
import feedparser.api
import feedparser.mixin

from renkei.feeds.fetch import NOT_A_FEED, looks_like_html

_DECLARED = re.compile(rb"""<\?xml[^>]*encoding=["']([A-Za-z0-9_.:-]+)["']""")
_SJIS_NAMES = {"shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j", "cp932", "ms932"}

# Item identity must not depend on where the feed was fetched from: feedparser resolves a
# relative permalink <guid> against the feed URL, so after a 301 (or autodiscovery) every
# such item would get a new key and a second activity. Keep ids as written; links are
# still resolved (by feedparser and again in parse_feed).
feedparser.mixin._FeedParserMixin.can_be_relative_uri.discard("id")
# Always Python's expat, never libxml2 even where it is installed: the same bytes parse the
# same on every machine (and feedparser stops trying a failing import on every parse).
feedparser.api.PREFERRED_XML_PARSERS.clear()


@dataclass
class ParsedFeed:
    rows: list[dict[str, object]]
    bozo: bool
    error: str | None = None
    over_limit: int = 0  # items after the first ``feeds.max_items``: counted, not staged


def _content_type_for(body: bytes, content_type: str | None) -> str:
    """Feeds declared Shift_JIS are really CP932 (～, ①): tell feedparser so."""
    match = _DECLARED.search(body[:200])
    declared = match.group(1).decode("ascii").lower() if match else ""
    ctype = (content_type or "application/xml").split(";")[0].strip() or "application/xml"
    if declared in _SJIS_NAMES or "shift_jis" in (content_type or "").lower():
        return f"{ctype}; charset=cp932"
    return content_type or ctype


def _summary(entry: feedparser.FeedParserDict) -> str | None:
    if entry.get("content"):
        return str(entry["content"][0].get("value") or "") or None
    return entry.get("summary") or None


def strip_tracking(url: str) -> str:
    """Drop ``utm_*`` tracking parameters; the rest of the query is kept in order."""
    parts = urlsplit(url)
    if "utm_" not in parts.query:
        return url
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = urlencode([(k, v) for k, v in kept if not k.lower().startswith("utm_")])
    return urlunsplit(parts._replace(query=query))


def _fallback_key(entry: feedparser.FeedParserDict) -> str | None:
    """No guid and no link: a hash of title and date (the feed scopes it to the member)."""
    title, date = entry.get("title"), entry.get("published") or entry.get("updated")
    if not title and not date:
        return None
    return "sha256:" + hashlib.sha256(f"{title}\x1f{date}".encode()).hexdigest()[:32]


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse feed bytes into staged-row dicts (no cleaning: that is the normaliser's job).

    Dates are kept as the source wrote them (``published``/``updated`` raw strings),
    because feedparser reads zone-less dates as UTC and misreads Japanese forms; the
    normaliser parses them with JST as the default zone.
    """
    headers = {"content-location": url, "content-type": _content_type_for(body, content_type)}
    parsed = feedparser.parse(body, response_headers=headers)
    if not parsed.entries and looks_like_html(body, content_type):
        return ParsedFeed(rows=[], bozo=bool(parsed.bozo), error=NOT_A_FEED)
    if not parsed.entries and parsed.bozo:
        reason = parsed.get("bozo_exception")
        return ParsedFeed(rows=[], bozo=True, error=f"not a readable feed: {reason}")
    base = parsed.feed.get("link") or url
    rows: list[dict[str, object]] = []
    for position, entry in enumerate(parsed.entries):
        link = entry.get("link")
        if link:
            link = strip_tracking(urljoin(base if not urlsplit(link).scheme else link, link))
        rows.append(
            {
                "position": position,
                "item_key": entry.get("id") or link or _fallback_key(entry),
                "title": entry.get("title"),
                "summary": _summary(entry),
                "url": link,
                "published_text": entry.get("published") or entry.get("updated"),
                "category_text": ", ".join(t.get("term", "") for t in entry.get("tags", []))
                or None,
                "extra": json.dumps({"feed_title": parsed.feed.get("title")}, ensure_ascii=False),
            }
        )
    return ParsedFeed(rows=rows, bozo=bool(parsed.bozo))
