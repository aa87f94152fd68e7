"""Fetching real feeds from a real HTTP server on 127.0.0.1: encodings, validators, errors,
redirects, compression, broken feeds and HTML pages (issue 3, acceptance 1)."""

from __future__ import annotations

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from renkei import pipeline
from renkei.core.settings import FeedSettings, Settings
from renkei.feeds.fetch import NOT_A_FEED, FeedTarget, fetch_all
from renkei.feeds.parse import parse_feed
from warehouse.connection import open_warehouse

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
FAST = FeedSettings(allow_private_addresses=True, connect_timeout=2, read_timeout=0.5)


def body(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def fetch_one(url: str, limits: FeedSettings = FAST, **state: str):
    (result,) = fetch_all([FeedTarget("m", url, **state)], limits)
    return result


def parsed_rows(result) -> list[dict[str, object]]:
    parsed = parse_feed(
        result.body, url=result.final_url, content_type=result.headers.get("content-type")
    )
    assert parsed.error is None
    return parsed.rows


def rows(settings: Settings, query: str) -> list[tuple]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute(query).fetchall()


def member_row(member_id: str, url: str) -> str:
    return f"{member_id},テスト会員{member_id},academia,学,鳥取県,prefecture,{url},"


def test_rss1_in_shift_jis_is_read_with_cp932_characters(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.rdf").respond_with_data(
        body("tottori_sjis.rdf"), content_type="application/rdf+xml"
    )
    result = fetch_one(httpserver.url_for("/feed.rdf"))
    assert [r["title"] for r in parsed_rows(result)] == [
        "産学連携セミナー①「地域と大学」～開催のご案内",
        "共同研究の成果を発表しました",
    ]


def test_rss2_in_euc_jp_is_read_and_utm_parameters_are_dropped(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.rss").respond_with_data(
        body("okakogi_eucjp.rss"), content_type="application/rss+xml"
    )
    found = parsed_rows(fetch_one(httpserver.url_for("/feed.rss")))
    assert [(r["item_key"], r["title"], r["url"]) for r in found] == [
        (
            "okakogi-2026-1112",
            "技術講習会「表面処理の基礎」参加者募集",
            "https://www.okakogi.example.jp/news/2026/1112.html?id=7",
        ),
        (
            "https://www.okakogi.example.jp/news/2026/1101.html",
            "設備利用料金の改定について",
            "https://www.okakogi.example.jp/news/2026/1101.html",
        ),
    ]


def test_rss2_in_iso_2022_jp_is_read(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/jis.rss").respond_with_data(
        body("toriton_iso2022jp.rss"), content_type="application/rss+xml"
    )
    found = parsed_rows(fetch_one(httpserver.url_for("/jis.rss")))
    assert [r["title"] for r in found] == [
        "ものづくり補助金 説明会のご案内",
        "技術交流プラザ「＜新素材＞と地域産業」",
    ]


def test_atom_relative_links_resolve_against_xml_base(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed.atom").respond_with_data(
        body("hiroshima_xmlbase.atom"), content_type="application/atom+xml"
    )
    found = parsed_rows(fetch_one(httpserver.url_for("/feed.atom")))
    assert [r["url"] for r in found] == [
        "https://www.hiroshima-u.example.jp/research/news/31.html",
        "https://www.hiroshima-u.example.jp/events/2026/openlab.html",
    ]


def test_etag_is_sent_back_and_304_carries_no_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/e", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304, headers={"ETag": '"v1"'}
    )
    result = fetch_one(httpserver.url_for("/e"), etag='"v1"')
    assert (result.status_code, result.body, result.error, result.not_modified) == (
        304,
        None,
        None,
        True,
    )


def test_last_modified_is_sent_back_as_if_modified_since(httpserver: HTTPServer) -> None:
    stamp = "Mon, 16 Nov 2026 01:00:00 GMT"
    httpserver.expect_request("/lm", headers={"If-Modified-Since": stamp}).respond_with_data(
        "", status=304
    )
    result = fetch_one(httpserver.url_for("/lm"), last_modified=stamp)
    assert (result.status_code, result.error) == (304, None)


@pytest.mark.parametrize("status", [404, 500])
def test_http_errors_are_reported_with_their_status(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_request("/x").respond_with_data("oops", status=status)
    result = fetch_one(httpserver.url_for("/x"))
    assert (result.status_code, result.body, result.error) == (status, None, f"HTTP {status}")


def test_a_response_slower_than_the_read_timeout_fails_cleanly(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(body("bank.rss"), content_type="application/rss+xml")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    result = fetch_one(httpserver.url_for("/slow"))
    assert time.monotonic() - started < 0.95
    assert (result.body, result.error) == (None, "ReadTimeout: no answer within the timeout")


def test_a_body_over_the_cap_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"<rss>" + b"x" * 4096)
    result = fetch_one(
        httpserver.url_for("/big"), FeedSettings(allow_private_addresses=True, max_bytes=2048)
    )
    assert (result.body, result.error) == (None, "body exceeds 2048 bytes")


def test_a_redirect_loop_stops_after_five_hops(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/b")}
    )
    httpserver.expect_request("/b").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/a")}
    )
    result = fetch_one(httpserver.url_for("/a"))
    assert result.body is None
    assert result.error == "TooManyRedirects: more than 5 redirects (a redirect loop?)"
    assert len([r for r, _ in httpserver.log if r.path in ("/a", "/b")]) == 6


def test_a_gzip_body_is_decompressed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gz").respond_with_data(
        gzip.compress(body("bank.rss")),
        content_type="application/rss+xml",
        headers={"Content-Encoding": "gzip"},
    )
    result = fetch_one(httpserver.url_for("/gz"))
    assert result.body == body("bank.rss")
    (request, _), *_ = httpserver.log
    assert "gzip" in request.headers["Accept-Encoding"]


def test_a_malformed_but_recoverable_feed_still_yields_items_flagged(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/bozo.rss").respond_with_data(
        body("yamaguchi_bozo.rss"), content_type="application/rss+xml"
    )
    result = fetch_one(httpserver.url_for("/bozo.rss"))
    parsed = parse_feed(result.body, url=result.final_url, content_type="application/rss+xml")
    assert parsed.bozo is True and parsed.error is None
    assert [r["title"] for r in parsed.rows] == [
        "研究成果発表会 & 交流会のご案内",
        "技術相談窓口の年末年始休業",
    ]


def test_an_html_page_without_a_feed_link_says_not_a_feed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data(
        body("homepage_without_feed.html"), content_type="text/html; charset=utf-8"
    )
    result = fetch_one(httpserver.url_for("/"))
    assert (result.status_code, result.body, result.error) == (200, None, NOT_A_FEED)
    assert result.error.startswith("フィードではありません")


# ---------------------------------------------------------------- through the pipeline


def test_permanent_redirect_moves_the_stored_url_and_is_reported(
    httpserver: HTTPServer, settings_for
) -> None:
    old, new = httpserver.url_for("/old.rss"), httpserver.url_for("/new.rss")
    httpserver.expect_request("/old.rss").respond_with_data(
        "", status=301, headers={"Location": new}
    )
    httpserver.expect_request("/new.rss").respond_with_data(
        body("bank.rss"), content_type="application/rss+xml"
    )
    settings = settings_for([member_row("fin-03", old)])
    report = pipeline.ingest_feeds(settings)
    assert report.moved == [f"fin-03: {old} -> {new} (permanent redirect)"]
    assert report.summary().endswith("; 1 moved")
    assert rows(settings, "SELECT registry_url, url FROM feed_state") == [(old, new)]
    agent = httpserver.log[0][0].headers["User-Agent"]
    assert agent == (
        "renkei/0.1 (+https://example.jp/renkei; collaboration secretariat; collabo@example.jp)"
    )
    httpserver.clear_log()
    pipeline.ingest_feeds(settings)  # next time straight to the new address
    assert [r.path for r, _ in httpserver.log] == ["/new.rss"]


def test_html_homepage_is_followed_to_its_alternate_feed(
    httpserver: HTTPServer, settings_for
) -> None:
    home = httpserver.url_for("/")
    httpserver.expect_request("/").respond_with_data(
        body("homepage_with_feed.html"), content_type="text/html; charset=utf-8"
    )
    httpserver.expect_request("/feeds/news.rss").respond_with_data(
        body("bank.rss"), content_type="application/rss+xml"
    )
    settings = settings_for([member_row("aca-05", home)])
    report = pipeline.ingest_feeds(settings)
    feed = httpserver.url_for("/feeds/news.rss")
    assert (report.ok, report.items_staged) == (1, 1)
    assert report.moved == [f"aca-05: {home} -> {feed} (found in <link rel=alternate> of {home})"]
    assert rows(settings, "SELECT url FROM feed_state") == [(feed,)]


def test_every_attempt_leaves_a_fetch_log_row_with_its_outcome(
    httpserver: HTTPServer, settings_for
) -> None:
    httpserver.expect_request("/ok.rss").respond_with_data(
        body("bank.rss"), content_type="application/rss+xml", headers={"ETag": '"b1"'}
    )
    httpserver.expect_request("/gone.rss").respond_with_data("", status=404)
    httpserver.expect_request("/home").respond_with_data(
        body("homepage_without_feed.html"), content_type="text/html"
    )
    settings = settings_for(
        [
            member_row("m1", httpserver.url_for("/ok.rss")),
            member_row("m2", httpserver.url_for("/gone.rss")),
            member_row("m3", httpserver.url_for("/home")),
        ]
    )
    report = pipeline.ingest_feeds(settings)
    assert report.failed == ["m2: HTTP 404", f"m3: {NOT_A_FEED}"]
    assert rows(
        settings,
        "SELECT member_id, status_code, outcome, item_count FROM fetch_log ORDER BY member_id",
    ) == [("m1", 200, "fetched", 1), ("m2", 404, "failed", None), ("m3", 200, "failed", None)]
    assert rows(
        settings,
        "SELECT member_id, etag, consecutive_failures FROM feed_state ORDER BY member_id",
    ) == [("m1", '"b1"', 0), ("m2", None, 1), ("m3", None, 1)]


def test_item_keys_do_not_change_when_the_feed_moves() -> None:
    old = parse_feed(body("yamaguchi_bozo.rss"), url="http://old.example.jp/feed.rss")
    new = parse_feed(body("yamaguchi_bozo.rss"), url="https://new.example.jp/rss/feed.xml")
    assert [r["item_key"] for r in old.rows] == [r["item_key"] for r in new.rows]
    assert [r["item_key"] for r in new.rows] == ["iti-501", "iti-502"]


def test_when_every_feed_is_unreachable_no_feed_is_counted_as_failing(
    httpserver: HTTPServer, settings_for
) -> None:
    closed = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings = settings_for([member_row("m1", f"{closed}/a.rss"), member_row("m2", f"{closed}/b")])
    report = pipeline.ingest_feeds(settings)
    assert report.summary().endswith(
        "; no feed reachable (our network?): not counted against the feeds"
    )
    assert rows(settings, "SELECT consecutive_failures FROM feed_state") == [(0,), (0,)]
    httpserver.expect_request("/ok.rss").respond_with_data(body("bank.rss"))
    mixed = settings_for(
        [member_row("m1", f"{closed}/a.rss"), member_row("m2", httpserver.url_for("/ok.rss"))]
    )
    pipeline.ingest_feeds(mixed)
    assert rows(
        mixed, "SELECT member_id, consecutive_failures FROM feed_state ORDER BY member_id"
    ) == [("m1", 1), ("m2", 0)]


def test_at_most_two_requests_per_host_over_two_kept_alive_connections() -> None:
    lock, state = threading.Lock(), {"now": 0, "peak": 0}
    ports: set[int] = set()

    class Slow304(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive (werkzeug's test server closes each time)

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
                ports.add(self.client_address[1])
            time.sleep(0.05)
            with lock:
                state["now"] -= 1
            self.send_response(304)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow304)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        targets = [FeedTarget(f"m{n}", f"{base}/f{n}.rss", etag='"x"') for n in range(8)]
        results = fetch_all(
            targets, FeedSettings(allow_private_addresses=True, concurrency=16, per_host=2)
        )
    finally:
        server.shutdown()
        server.server_close()
    assert [r.status_code for r in results] == [304] * 8
    assert state["peak"] == 2
    assert len(ports) == 2  # each connection is reused after a 304


def test_a_validator_is_forgotten_when_a_full_answer_comes_without_one(
    httpserver: HTTPServer, settings_for
) -> None:
    old, new = httpserver.url_for("/old.rss"), httpserver.url_for("/new.rss")
    httpserver.expect_request("/old.rss").respond_with_data(
        body("bank.rss"), content_type="application/rss+xml", headers={"ETag": '"old"'}
    )
    pipeline.ingest_feeds(settings_for([member_row("m1", old)]))
    httpserver.expect_request("/new.rss").respond_with_data(
        body("bank.rss"),
        content_type="application/rss+xml",  # no ETag, no Last-Modified
    )
    settings = settings_for([member_row("m1", new)])  # the member gave a new address
    pipeline.ingest_feeds(settings)
    assert rows(settings, "SELECT url, etag, last_modified FROM feed_state") == [(new, None, None)]
    httpserver.clear_log()
    pipeline.ingest_feeds(settings)
    ((request, _),) = httpserver.log
    assert "If-None-Match" not in request.headers  # the old site's ETag is not sent here


def test_a_304_without_validators_keeps_the_stored_ones(
    httpserver: HTTPServer, settings_for
) -> None:
    url = httpserver.url_for("/f.rss")
    httpserver.expect_ordered_request("/f.rss").respond_with_data(
        body("bank.rss"), content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    httpserver.expect_ordered_request("/f.rss").respond_with_data("", status=304)
    settings = settings_for([member_row("m1", url)])
    pipeline.ingest_feeds(settings, force=True)
    pipeline.ingest_feeds(settings, force=True)
    assert rows(settings, "SELECT etag, last_status FROM feed_state") == [('"v1"', 304)]


def test_a_long_header_line_is_accepted(httpserver: HTTPServer) -> None:
    policy = "default-src 'self'; " + "; ".join(
        f"img-src https://cdn{n}.example.jp" for n in range(600)
    )
    assert len(policy) > 16_000
    httpserver.expect_request("/csp").respond_with_data(
        body("bank.rss"),
        content_type="application/rss+xml",
        headers={"Content-Security-Policy": policy},
    )
    result = fetch_one(httpserver.url_for("/csp"))
    assert (result.status_code, result.error) == (200, None)
