"""Hostile and unlucky feeds (issue 16): a server dripping its body, a gzip bomb, redirects
and feed links into the secretariat's own network, two members sending identical bytes,
a feed with more items than the limit. Real servers on 127.0.0.1 (and 127.0.0.2 as the
stand-in for a public host, the one thing outside our reach)."""

from __future__ import annotations

import asyncio
import resource
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer

from renkei import pipeline
from renkei.core.settings import FeedSettings, Settings
from renkei.feeds import guard
from renkei.feeds import reparse as feed_reparse
from renkei.feeds.diff import parse_limited
from renkei.feeds.fetch import FeedTarget, fetch_all
from renkei.feeds.health import read_health
from warehouse.connection import open_warehouse

FEED_TIMEOUT = (
    "FeedTimeout: 取得が1秒以内に終わりませんでした "
    "(not finished within feeds.feed_timeout = 1 s, body included)"
)
RUN_TIMEOUT = (
    "RunTimeout: 実行全体の制限時間1秒までに終わりませんでした "
    "(not finished within feeds.run_timeout = 1 s)"
)


def refused(host: str, kind: str) -> str:
    return (
        f"内部アドレスのため取得しません (refused: {host} is {kind}; "
        "set feeds.allow_private_addresses = true only for an intranet)"
    )


def rss(keys: list[str]) -> bytes:
    items = "".join(
        f"<item><title>お知らせ {k}</title><link>https://example.jp/{k}.html</link>"
        f"<guid isPermaLink='false'>{k}</guid></item>\n"
        for k in keys
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>テスト</title><link>https://example.jp/</link>\n{items}</channel></rss>\n"
    ).encode()


def member(member_id: str, url: str) -> str:
    return f"{member_id},テスト会員{member_id},academia,学,鳥取県,prefecture,{url},"


def feeds(settings: Settings, **values: object) -> Settings:
    return settings.model_copy(update={"feeds": settings.feeds.model_copy(update=values)})


def rows(settings: Settings, sql: str) -> list[tuple]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute(sql).fetchall()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


class DripServer:
    """An asyncio server on 127.0.0.1 that sends its headers at once and then the body
    one byte every ``interval`` seconds (a feed of 3 items: minutes to finish)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval, self.body = interval, rss(["d1", "d2", "d3"])
        self.sent = 0
        self.started = threading.Event()  # set when the first request has its headers
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop = asyncio.new_event_loop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await reader.readuntil(b"\r\n\r\n")
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                f"Content-Length: {len(self.body)}\r\n\r\n"
            )
            writer.write(head.encode())
            await writer.drain()
            self.started.set()
            for byte in self.body:
                await asyncio.sleep(self.interval)
                writer.write(bytes([byte]))
                await writer.drain()
                self.sent += 1
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client gave up, or the server is stopping
        finally:
            writer.close()

    def __enter__(self) -> str:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            start = asyncio.start_server(self._handle, "127.0.0.1", 0)
            self._server = self._loop.run_until_complete(start)
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/feed.rss"

    async def _stop(self) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def drip() -> Iterator[DripServer]:
    server = DripServer()
    yield server


# ------------------------------------------------------------------------ deadlines


def test_a_slow_drip_feed_fails_alone_and_the_good_feed_is_committed(
    httpserver: HTTPServer, settings_for, drip: DripServer
) -> None:
    httpserver.expect_request("/good.rss").respond_with_data(
        rss(["g1", "g2", "g3"]), content_type="application/rss+xml"
    )
    with drip as slow_url:
        settings = feeds(
            settings_for(
                [member("good", httpserver.url_for("/good.rss")), member("slow", slow_url)]
            ),
            feed_timeout=1.0,
        )
        started = time.monotonic()
        report = pipeline.ingest_feeds(settings)
        took = time.monotonic() - started
    print(f"\nslow drip (1 byte / 0.5 s, 1 s limit): run took {took:.2f} s, {drip.sent} bytes")
    assert drip.started.is_set()
    assert 1.0 <= took < 10.0  # about the limit (plus the warehouse), not the drip's 6 minutes
    assert report.failed == [f"slow: {FEED_TIMEOUT}"]
    assert report.items_staged == 3
    assert rows(settings, "SELECT member_id, item_key FROM stg_items ORDER BY item_key") == [
        ("good", "g1"),
        ("good", "g2"),
        ("good", "g3"),
    ]
    assert rows(
        settings,
        "SELECT member_id, consecutive_failures, last_error FROM feed_state ORDER BY member_id",
    ) == [
        ("good", 0, None),
        ("slow", 1, FEED_TIMEOUT),
    ]
    assert rows(settings, "SELECT member_id, outcome FROM fetch_log ORDER BY member_id") == [
        ("good", "fetched"),
        ("slow", "failed"),
    ]


def test_feeds_unfinished_at_the_run_deadline_fail_and_finished_ones_are_committed(
    httpserver: HTTPServer, settings_for, drip: DripServer
) -> None:
    httpserver.expect_request("/good.rss").respond_with_data(
        rss(["g1"]), content_type="application/rss+xml"
    )
    good, late = httpserver.url_for("/good.rss"), httpserver.url_for("/late.rss")
    limits = FeedSettings(
        allow_private_addresses=True, concurrency=1, feed_timeout=30, run_timeout=1
    )
    with drip as slow_url:
        targets = [FeedTarget("good", good), FeedTarget("slow", slow_url), FeedTarget("late", late)]
        started = time.monotonic()
        results = fetch_all(targets, limits)
        took = time.monotonic() - started
    print(f"\nrun deadline 1 s (per feed 30 s): fetch took {took:.2f} s")
    assert took < 3.0
    assert [(r.target.member_id, r.status_code, r.error, r.counted) for r in results] == [
        ("good", 200, None, True),
        ("slow", None, RUN_TIMEOUT, True),  # its turn came: counted against it
        ("late", None, RUN_TIMEOUT, False),  # never started: not its fault
    ]
    settings = settings_for([member("good", good), member("slow", slow_url), member("late", late)])
    report = pipeline.store_and_stage_feeds(settings, results)
    assert (report.ok, report.items_staged) == (1, 1)
    assert rows(
        settings, "SELECT member_id, consecutive_failures FROM feed_state ORDER BY member_id"
    ) == [("good", 0), ("late", 0), ("slow", 1)]


def test_a_gzip_bomb_is_refused_at_the_size_cap_in_bounded_memory(
    httpserver: HTTPServer,
) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    zeros = bytes(1024 * 1024)
    bomb = b"".join(packer.compress(zeros) for _ in range(200)) + packer.flush()  # 200 MB
    httpserver.expect_request("/bomb.rss").respond_with_data(
        bomb, content_type="application/rss+xml", headers={"Content-Encoding": "gzip"}
    )
    limits = FeedSettings(allow_private_addresses=True)
    (result,) = fetch_all([FeedTarget("m", httpserver.url_for("/bomb.rss"))], limits)
    peak = peak_rss_mb()
    print(f"\ngzip bomb: {len(bomb) // 1024} KB -> 200 MB: {result.error}; peak RSS {peak:.0f} MB")
    assert (result.body, result.error) == (None, "body exceeds 10485760 bytes")
    assert peak < 1024


# ------------------------------------------------------------ private addresses


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "private"),  # reserved (Python counts 240/4 as private too)
        ("100.64.0.1", "not global"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_address_kinds_that_are_refused(address: str, kind: str | None) -> None:
    assert guard.why_refused(address) == kind


@pytest.fixture
def public_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    """A server on 127.0.0.2 that the address check treats as a public host."""
    real = guard.why_refused
    monkeypatch.setattr(guard, "why_refused", lambda a: None if a == "127.0.0.2" else real(a))
    server = HTTPServer(host="127.0.0.2", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_a_registry_url_on_loopback_is_refused_unless_allowed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.rss").respond_with_data(rss(["a"]))
    target = FeedTarget("m", httpserver.url_for("/feed.rss").replace("localhost", "127.0.0.1"))
    (refused_result,) = fetch_all([target], FeedSettings())
    assert (refused_result.body, refused_result.error) == (None, refused("127.0.0.1", "loopback"))
    assert httpserver.log == []
    (allowed,) = fetch_all([target], FeedSettings(allow_private_addresses=True))
    assert (allowed.status_code, allowed.error) == (200, None)


def test_a_301_to_loopback_is_refused_and_the_stored_url_is_kept(
    public_host: HTTPServer, httpserver: HTTPServer, settings_for
) -> None:
    inside = httpserver.url_for("/internal.rss").replace("localhost", "127.0.0.1")
    httpserver.expect_request("/internal.rss").respond_with_data(rss(["secret"]))
    public_host.expect_request("/feed.rss").respond_with_data(
        "", status=301, headers={"Location": inside}
    )
    listed = public_host.url_for("/feed.rss")
    settings = feeds(settings_for([member("m1", listed)]), allow_private_addresses=False)
    report = pipeline.ingest_feeds(settings)
    assert report.failed == [f"m1: {refused('127.0.0.1', 'loopback')}"]
    assert report.moved == []
    assert httpserver.log == []  # never asked
    assert rows(settings, "SELECT url, consecutive_failures FROM feed_state") == [(listed, 1)]
    assert rows(settings, "SELECT count(*) FROM stg_items") == [(0,)]


def test_a_redirect_to_localhost_by_name_is_refused_by_the_resolver(
    public_host: HTTPServer, httpserver: HTTPServer
) -> None:
    inside = httpserver.url_for("/internal.rss")
    assert "//localhost:" in inside
    httpserver.expect_request("/internal.rss").respond_with_data(rss(["secret"]))
    public_host.expect_request("/feed.rss").respond_with_data(
        "", status=302, headers={"Location": inside}
    )
    (result,) = fetch_all([FeedTarget("m", public_host.url_for("/feed.rss"))], FeedSettings())
    assert result.body is None
    assert result.error in (
        refused("localhost (127.0.0.1)", "loopback"),
        refused("localhost (::1)", "loopback"),
    )
    assert httpserver.log == []


def test_a_feed_link_to_a_private_address_is_refused(public_host: HTTPServer) -> None:
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="http://10.0.0.7/feed.rss"></head></html>'
    public_host.expect_request("/").respond_with_data(page, content_type="text/html")
    (result,) = fetch_all([FeedTarget("m", public_host.url_for("/"))], FeedSettings())
    assert (result.body, result.error) == (None, refused("10.0.0.7", "private"))
    assert len(result.pages) == 1  # the homepage is kept, as any page fetched


def test_redirects_between_public_hosts_still_move_the_feed(public_host: HTTPServer) -> None:
    new = public_host.url_for("/new.rss")
    public_host.expect_request("/old.rss").respond_with_data(
        "", status=301, headers={"Location": new}
    )
    public_host.expect_request("/new.rss").respond_with_data(rss(["a"]))
    (result,) = fetch_all([FeedTarget("m", public_host.url_for("/old.rss"))], FeedSettings())
    assert (result.status_code, result.error, result.moved_to) == (200, None, new)


# ------------------------------------------------------ identical bytes, item limit


def test_two_members_whose_feeds_send_identical_bytes_both_get_their_items(
    httpserver: HTTPServer, settings_for
) -> None:
    body = rss(["k1", "k2"])
    for path in ("/a.rss", "/b.rss"):
        httpserver.expect_request(path).respond_with_data(body, content_type="application/rss+xml")
    settings = settings_for(
        [member("m1", httpserver.url_for("/a.rss")), member("m2", httpserver.url_for("/b.rss"))]
    )
    report = pipeline.ingest_feeds(settings)
    assert report.items_staged == 4
    staged = "SELECT member_id, item_key FROM stg_items ORDER BY member_id, item_key"
    expected = [("m1", "k1"), ("m1", "k2"), ("m2", "k1"), ("m2", "k2")]
    assert rows(settings, staged) == expected
    assert rows(settings, "SELECT count(DISTINCT stage_id) FROM stg_items") == [(4,)]
    health = read_health(settings)
    assert health.select("member_id", "status").rows() == [("m1", "ok"), ("m2", "ok")]
    pipeline.normalize(settings)  # the same items from two members: merged, both organisers
    activities = "SELECT activity_id, title FROM activities ORDER BY activity_id"
    before = rows(settings, activities)
    assert sorted(t for _, t in before) == ["お知らせ k1", "お知らせ k2"]
    organisers = "SELECT DISTINCT member_id FROM activity_organisers ORDER BY member_id"
    assert rows(settings, organisers) == [("m1",), ("m2",)]
    again = feed_reparse.reparse(settings, datetime(2000, 1, 1, tzinfo=UTC))
    assert (again.payloads, again.rows, again.failed) == (2, 4, [])
    assert rows(settings, staged) == expected
    pipeline.normalize(settings)
    assert rows(settings, activities) == before


def test_items_past_the_limit_are_counted_and_reported_not_staged(
    httpserver: HTTPServer, settings_for
) -> None:
    bodies = [rss([f"k{i}" for i in range(7)]), rss(["new", *[f"k{i}" for i in range(7)]])]
    httpserver.expect_ordered_request("/feed.rss").respond_with_data(bodies[0])
    httpserver.expect_ordered_request("/feed.rss").respond_with_data(bodies[1])
    settings = feeds(settings_for([member("m1", httpserver.url_for("/feed.rss"))]), max_items=3)
    first = pipeline.ingest_feeds(settings)
    assert first.over_limit == ["m1: 7 items, the first 3 staged, 4 not (feeds.max_items)"]
    assert first.summary().endswith("; 1 over the item limit")
    assert "over the item limit: m1: 7 items" in first.details()[0]
    second = pipeline.ingest_feeds(settings, force=True)
    assert second.over_limit == ["m1: 8 items, the first 3 staged, 5 not (feeds.max_items)"]
    assert (second.items_staged, second.items_same) == (1, 2)
    assert rows(settings, "SELECT item_key FROM stg_items ORDER BY staged_at, position") == [
        ("k0",),
        ("k1",),
        ("k2",),
        ("new",),
    ]
    assert rows(settings, "SELECT item_count FROM fetch_log ORDER BY fetched_at") == [(7,), (8,)]


def test_a_feed_of_many_items_is_cut_before_parsing() -> None:
    body = rss([f"k{i}" for i in range(20_000)])
    started = time.monotonic()
    parsed = parse_limited(body, url="https://example.jp/feed.rss", limit=500)
    took = time.monotonic() - started
    print(f"\n20,000 items ({len(body) // 1024} KB), limit 500: parsed in {took:.2f} s")
    assert (len(parsed.rows), parsed.over_limit, parsed.error) == (500, 19_500, None)
    assert (parsed.rows[0]["item_key"], parsed.rows[-1]["item_key"]) == ("k0", "k499")
    assert parsed.rows[-1]["position"] == 499


def test_an_unreadable_feed_link_fails_that_feed_only(httpserver: HTTPServer) -> None:
    page = b'<html><link rel="alternate" type="application/rss+xml" href="http://[::1/f.rss">'
    httpserver.expect_request("/bad.rss").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/good.rss").respond_with_data(rss(["a"]))
    targets = [FeedTarget(m, httpserver.url_for(f"/{m}.rss")) for m in ("bad", "good")]
    bad, good = fetch_all(targets, FeedSettings(allow_private_addresses=True))
    assert (bad.body, bad.error) == (None, "InvalidURL: Invalid IPv6 URL")
    assert (good.status_code, good.error) == (200, None)
