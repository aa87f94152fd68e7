"""Member feeds over HTTP: fetch politely, follow moves, find a homepage's feed link.

Fetching and parsing (``renkei.feeds.parse``) are separate steps with the raw store
between them. The HTTP client is a seam: ``fetch_all_async`` takes the session to use.

The client is aiohttp, one session per run, not httpx (which issue 3 suggested): a refresh
is a thousand conditional GETs that mostly answer 304, so it costs what the client costs
per request, and on 2 cores httpx (httpcore + anyio) takes about 1.1 ms of CPU per request
where aiohttp takes about 0.2 ms. Measured with httpx's own API over an aiohttp transport
too: 0.5 ms, the client layer alone costing as much as the rest. See README, Performance.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
import urllib.request
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import aiohttp
import httpx
import yarl

from renkei.core.settings import FeedSettings
from renkei.feeds.guard import (
    GuardedResolver,
    RefusedAddress,
    check_url,
    proxy_hosts,
    refused_cause,
)

_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
NOT_A_FEED = (
    'フィードではありません: HTMLページで、<link rel="alternate"> の'
    "フィード案内もありません"
    " (not a feed: an HTML page without a feed link)"
)


@dataclass(frozen=True)
class FeedTarget:
    """One feed to fetch: where from now, and what we knew after the last fetch."""

    member_id: str
    url: str
    registry_url: str | None = None  # the URL in members.csv (default: ``url``)
    etag: str | None = None
    last_modified: str | None = None
    last_sha256: str | None = None
    failures: int = 0  # consecutive failed attempts before this one
    next_due_at: datetime | None = None  # not fetched before then (backoff, server hints)
    disabled_at: datetime | None = None  # 410 Gone: not fetched until the registry URL changes

    @property
    def listed_url(self) -> str:
        return self.registry_url or self.url


@dataclass(frozen=True)
class RawPage:
    """A 200 body that was not the feed (a homepage searched for its feed link): it goes to
    the raw store too, so what the member's site said is kept."""

    url: str
    body: bytes
    content_type: str | None


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
    moved_to: str | None = None  # a permanent redirect (301/308) or autodiscovery moved the feed
    discovered_from: str | None = None  # the HTML page whose <link rel="alternate"> named it
    pages: list[RawPage] = field(default_factory=list)  # HTML pages fetched on the way
    skipped: str | None = None  # "not due" | "disabled": not fetched this run
    counted: bool = True  # False: the run's deadline came before this feed's turn

    @property
    def not_modified(self) -> bool:
        return self.status_code == 304

    @property
    def current_url(self) -> str:
        """Where to fetch this feed next time."""
        return self.moved_to or self.target.url


class BodyTooLarge(Exception):
    pass


class _TooManyRedirects(Exception):
    pass


@dataclass
class _Answer:
    """The last response of a request and the redirects before it, as (status, url)."""

    status: int
    headers: dict[str, str]
    url: str
    hops: list[tuple[int, str]]


MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
# aiohttp's exceptions under the names the health table has always shown.
_ERROR_NAMES: tuple[tuple[type[Exception], str], ...] = (
    (aiohttp.ClientConnectorError, "ConnectError"),  # refused, unreachable, DNS
    (aiohttp.ServerDisconnectedError, "RemoteProtocolError"),
    (aiohttp.ClientResponseError, "RemoteProtocolError"),  # a malformed answer
    (aiohttp.ClientPayloadError, "ReadError"),
    (aiohttp.InvalidURL, "InvalidURL"),
    (aiohttp.NonHttpUrlClientError, "UnsupportedProtocol"),
)


class _Alternates(HTMLParser):
    """Collect ``<link rel="alternate" type="application/rss+xml" href>`` feed links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        rels = values.get("rel", "").lower().split()
        if "alternate" in rels and values.get("type", "").lower() in _FEED_TYPES:
            if values.get("href", "").strip():
                self.found.append(values["href"].strip())


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """An HTML page rather than a feed (feeds served as text/html still count as feeds)."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(root in head for root in (b"<rss", b"<feed", b"<rdf:rdf", b"<channel")):
        return False
    return head.startswith((b"<!doctype html", b"<html")) or "html" in (content_type or "").lower()


def discover_feed_url(body: bytes, base_url: str) -> str | None:
    """The first feed named by ``<link rel="alternate">`` in an HTML page, made absolute."""
    finder = _Alternates()
    try:
        finder.feed(body.decode("utf-8", errors="replace"))
    except AssertionError:  # html.parser gives up on some broken markup
        pass
    return urljoin(base_url, finder.found[0]) if finder.found else None


def _permanent_target(answer: _Answer, start: str) -> str | None:
    """The URL the feed moved to if the redirect chain began with permanent redirects."""
    moved = None
    following = [url for _, url in answer.hops[1:]] + [answer.url] if answer.hops else []
    for (status, _), next_url in zip(answer.hops, following, strict=True):
        if status not in (301, 308):
            break
        moved = next_url
    return moved if moved and moved != start else None


async def _get(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    limits: FeedSettings,
    proxied: bool,
) -> tuple[_Answer, bytes | None]:
    """GET with the body streamed under the size cap; a body only for 200. Redirects are
    followed here, hop by hop, so each hop's address is checked before it is asked."""
    hops: list[tuple[int, str]] = []
    for _ in range(MAX_REDIRECTS + 1):  # the first request and five redirects
        if not limits.allow_private_addresses:
            await check_url(url, resolve=proxied)
        async with session.get(url, headers=headers, allow_redirects=False) as response:
            location = response.headers.get("Location")
            if response.status in _REDIRECTS and location:
                hops.append((response.status, str(response.url)))
                try:
                    url = str(response.url.join(yarl.URL(location)))
                except ValueError:
                    raise aiohttp.InvalidURL(location) from None
                continue  # the redirect's body is not read (the connection is closed)
            answer = _Answer(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                str(response.url),
                hops,
            )
            if response.status != 200:
                if response.status == 304:
                    await response.read()  # empty: reading it lets the connection be reused
                return answer, None
            chunks, size = [], 0
            async for chunk in response.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > limits.max_bytes:  # streamed: never read past the cap
                    raise BodyTooLarge(f"body exceeds {limits.max_bytes} bytes")
                chunks.append(chunk)
            return answer, b"".join(chunks)
    raise _TooManyRedirects


def _conditional_headers(target: FeedTarget) -> dict[str, str]:
    headers = {}
    if target.etag:
        headers["If-None-Match"] = target.etag
    if target.last_modified:
        headers["If-Modified-Since"] = target.last_modified
    return headers


def _describe(exc: Exception) -> str:
    """One line for the health table, named as HTTP clients usually name these failures."""
    if (refused := refused_cause(exc)) is not None:
        return str(refused)
    if isinstance(exc, _TooManyRedirects):
        return f"TooManyRedirects: more than {MAX_REDIRECTS} redirects (a redirect loop?)"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "ConnectTimeout: no answer within the timeout"
    if isinstance(exc, TimeoutError):  # aiohttp's read timeouts are TimeoutErrors too
        return "ReadTimeout: no answer within the timeout"
    for kind, name in _ERROR_NAMES:
        if isinstance(exc, kind):
            return f"{name}: {exc}" if str(exc) else name
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _feed_timeout(limits: FeedSettings) -> str:
    return (
        f"FeedTimeout: 取得が{limits.feed_timeout:g}秒以内に終わりませんでした "
        f"(not finished within feeds.feed_timeout = {limits.feed_timeout:g} s, body included)"
    )


def _run_timeout(limits: FeedSettings) -> str:
    return (
        f"RunTimeout: 実行全体の制限時間{limits.run_timeout:g}秒までに終わりませんでした "
        f"(not finished within feeds.run_timeout = {limits.run_timeout:g} s)"
    )


async def _fetch_one(
    session: aiohttp.ClientSession,
    result: FetchResult,
    limits: FeedSettings,
    overall: asyncio.Semaphore,
    per_host: dict[str, asyncio.Semaphore],
) -> FetchResult:
    """Fetch one feed into ``result``, within ``feed_timeout`` from its first request
    (waiting for a free slot does not count): redirects, feed link and body included."""
    target, loop = result.target, asyncio.get_running_loop()
    started, deadline = time.monotonic(), None
    url, headers = target.url, _conditional_headers(target)
    proxied = bool(session.trust_env)
    clock = asyncio.timeout(None)
    try:
        for attempt in range(2):  # the second pass follows an HTML page's feed link
            # The host's turn first, then a slot: sixteen tasks waiting for one busy host
            # would otherwise hold every slot. (The connector enforces the limit too.)
            async with per_host[urlsplit(url).netloc], overall:
                result.counted = True  # its turn came: from now on a failure is its own
                deadline = deadline or loop.time() + limits.feed_timeout
                async with (clock := asyncio.timeout_at(deadline)):
                    answer, body = await _get(session, url, headers, limits, proxied)
            result.status_code = answer.status
            result.headers = answer.headers
            result.final_url = answer.url
            result.moved_to = _permanent_target(answer, target.url) or result.moved_to
            if body is None:
                if answer.status != 304:
                    result.error = f"HTTP {answer.status}"
                break
            if attempt == 0 and looks_like_html(body, result.headers.get("content-type")):
                page = RawPage(result.final_url, body, result.headers.get("content-type"))
                result.pages.append(page)
                found = discover_feed_url(body, result.final_url)
                if found is None:
                    result.error = NOT_A_FEED
                    break
                result.discovered_from, result.moved_to = result.final_url, found
                url, headers = found, {}
                continue
            result.body = body
            break
    except (BodyTooLarge, RefusedAddress) as exc:
        result.error = str(exc)
    except ValueError as exc:  # a feed link or redirect no URL parser can read
        result.error = f"InvalidURL: {exc}"
    except (aiohttp.ClientError, TimeoutError, _TooManyRedirects) as exc:
        result.error = _feed_timeout(limits) if clock.expired() else _describe(exc)
    result.elapsed_ms = int((time.monotonic() - started) * 1000)
    return result


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's defaults (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), loaded once per process:
    loading the CA bundle costs 30 ms, as much as fifty 304 answers."""
    return httpx.create_ssl_context()


def make_session(limits: FeedSettings) -> aiohttp.ClientSession:
    """The one client of a run: a connection pool of ``concurrency`` connections, at most
    ``per_host`` to any one host (enforced by the connector), kept alive between feeds.
    Its resolver refuses non-public addresses unless they are allowed (renkei.feeds.guard)."""
    proxied = bool(urllib.request.getproxies())
    resolver = None if limits.allow_private_addresses else GuardedResolver(proxy_hosts())
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=limits.concurrency,
            limit_per_host=limits.per_host,
            ssl=_tls_context(),
            resolver=resolver,
        ),
        # No total per request: the feed's deadline (``_fetch_one``), set before its first
        # request and covering all of them, always ends first; a second timer per request
        # cost 6 ms of CPU per 1,000 feeds. Connect and read timeouts per request.
        timeout=aiohttp.ClientTimeout(
            total=None,
            sock_connect=limits.connect_timeout,
            sock_read=limits.read_timeout,
        ),
        headers={"User-Agent": limits.user_agent, "Accept-Encoding": "gzip, deflate"},
        # A feed is a public document: no cookie jar, so a cookie one member's site sets
        # never changes how it answers the next fetch, and every run asks the same question.
        cookie_jar=aiohttp.DummyCookieJar(),
        # Institutional CMSs send long Content-Security-Policy and Set-Cookie headers;
        # aiohttp's default 8 KB per header line would fail them (h11's limit is 16 KB+).
        max_line_size=65536,
        max_field_size=65536,
        # HTTP(S)_PROXY / NO_PROXY, as a secretariat's network may need. Only when one is
        # set: aiohttp then looks the proxy up in a thread for every request.
        trust_env=proxied,
    )


async def fetch_all_async(
    targets: Sequence[FeedTarget],
    limits: FeedSettings,
    session: aiohttp.ClientSession | None = None,
) -> list[FetchResult]:
    """Fetch every target with bounded concurrency overall and per host, each within
    ``feed_timeout`` and all within ``run_timeout``: a feed not finished by then fails
    with a RunTimeout (not counted against it if its turn never came), the others keep
    their results."""
    overall = asyncio.Semaphore(limits.concurrency)
    per_host: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(limits.per_host))
    own = session is None
    session = session or make_session(limits)
    now, started = datetime.now(UTC), time.monotonic()
    results = [FetchResult(target=t, fetched_at=now, counted=False) for t in targets]
    try:
        tasks = [
            asyncio.create_task(_fetch_one(session, r, limits, overall, per_host)) for r in results
        ]
        if not tasks:
            return []
        _, late = await asyncio.wait(tasks, timeout=limits.run_timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        for task, result in zip(tasks, results, strict=True):
            if task in late:
                result.error = _run_timeout(limits)
                result.elapsed_ms = int((time.monotonic() - started) * 1000)
        bugs = [e for t in tasks if t not in late and (e := t.exception()) is not None]
        if bugs:
            raise bugs[0]  # a bug in the fetcher is raised, as before
        return results
    finally:
        if own:
            await session.close()


def fetch_all(targets: Sequence[FeedTarget], limits: FeedSettings) -> list[FetchResult]:
    return asyncio.run(fetch_all_async(targets, limits))
