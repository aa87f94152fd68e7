"""Member feeds: fetch politely over HTTP, then parse stored bytes into staged rows.

Fetching and parsing are separate steps with the raw store between them, so a parser
fix can be replayed over the exact bytes received (``renkei reparse``, issue 3).
The HTTP client is a seam: tests pass a client bound to a loopback server.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx

from renkei.settings import FeedSettings

_DECLARED = re.compile(rb"""<\?xml[^>]*encoding=["']([A-Za-z0-9_.:-]+)["']""")
_SJIS_NAMES = {"shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j", "cp932", "ms932"}


@dataclass(frozen=True)
class FeedTarget:
    member_id: str
    url: str


@dataclass
class FetchResult:
    target: FeedTarget
    fetched_at: datetime
    status_code: int | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None
    elapsed_ms: int = 0
    error: str | None = None


class BodyTooLarge(Exception):
    pass


async def _fetch_one(
    client: httpx.AsyncClient,
    target: FeedTarget,
    limits: FeedSettings,
    overall: asyncio.Semaphore,
    per_host: dict[str, asyncio.Semaphore],
) -> FetchResult:
    host = urlsplit(target.url).netloc
    result = FetchResult(target=target, fetched_at=datetime.now(UTC))
    started = time.monotonic()
    async with overall, per_host[host]:
        try:
            async with client.stream("GET", target.url) as response:
                result.status_code = response.status_code
                result.headers = {k.lower(): v for k, v in response.headers.items()}
                result.final_url = str(response.url)
                if response.status_code == 200:
                    chunks, size = [], 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > limits.max_bytes:  # streamed: never read past the cap
                            raise BodyTooLarge(f"body exceeds {limits.max_bytes} bytes")
                        chunks.append(chunk)
                    result.body = b"".join(chunks)
                else:
                    result.error = f"HTTP {response.status_code}"
        except BodyTooLarge as exc:
            result.error = str(exc)
        except httpx.HTTPError as exc:
            result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    result.elapsed_ms = int((time.monotonic() - started) * 1000)
    return result


def make_client(limits: FeedSettings) -> httpx.AsyncClient:
    timeout = httpx.Timeout(limits.read_timeout, connect=limits.connect_timeout)
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate"},
        limits=httpx.Limits(max_connections=limits.concurrency),
    )


async def fetch_all_async(
    targets: Sequence[FeedTarget], limits: FeedSettings, client: httpx.AsyncClient | None = None
) -> list[FetchResult]:
    """Fetch every target with bounded concurrency overall and per host."""
    overall = asyncio.Semaphore(limits.concurrency)
    per_host: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(limits.per_host))
    own = client is None
    client = client or make_client(limits)
    try:
        return list(
            await asyncio.gather(
                *(_fetch_one(client, t, limits, overall, per_host) for t in targets)
            )
        )
    finally:
        if own:
            await client.aclose()


def fetch_all(targets: Sequence[FeedTarget], limits: FeedSettings) -> list[FetchResult]:
    return asyncio.run(fetch_all_async(targets, limits))


# ---------------------------------------------------------------- parsing


@dataclass
class ParsedFeed:
    rows: list[dict[str, object]]
    bozo: bool
    error: str | None = None


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


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse feed bytes into staged-row dicts (no cleaning: that is the normaliser's job).

    Dates are kept as the source wrote them (``published``/``updated`` raw strings),
    because feedparser reads zone-less dates as UTC and misreads Japanese forms; the
    normaliser parses them with JST as the default zone.
    """
    headers = {"content-location": url, "content-type": _content_type_for(body, content_type)}
    parsed = feedparser.parse(body, response_headers=headers)
    if not parsed.entries and parsed.bozo:
        reason = parsed.get("bozo_exception")
        return ParsedFeed(rows=[], bozo=True, error=f"not a readable feed: {reason}")
    base = parsed.feed.get("link") or url
    rows: list[dict[str, object]] = []
    for position, entry in enumerate(parsed.entries):
        link = entry.get("link")
        if link:
            link = urljoin(base if not urlsplit(link).scheme else link, link)
        rows.append(
            {
                "position": position,
                "item_key": entry.get("id") or link,
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
