"""Feed fetching against a real HTTP server on 127.0.0.1, and parsing of stored bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import skip_or_fail
from pytest_httpserver import HTTPServer

from renkei.core.settings import FeedSettings
from renkei.feeds.fetch import FeedTarget, fetch_all
from renkei.feeds.parse import parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def serve(httpserver: HTTPServer, path: str, name: str, content_type: str) -> str:
    httpserver.expect_request(path).respond_with_data(
        (FEEDS / name).read_bytes(), content_type=content_type
    )
    return httpserver.url_for(path)


def test_fetch_returns_bytes_and_records_failures(httpserver: HTTPServer) -> None:
    ok = serve(httpserver, "/feed.rdf", "tottori_sjis.rdf", "application/rdf+xml")
    httpserver.expect_request("/gone.rss").respond_with_data("", status=404)
    results = fetch_all(
        [FeedTarget("aca-01", ok), FeedTarget("gov-01", httpserver.url_for("/gone.rss"))],
        FeedSettings(allow_private_addresses=True),
    )
    assert results[0].status_code == 200
    assert results[0].body == (FEEDS / "tottori_sjis.rdf").read_bytes()
    assert results[0].error is None
    assert (results[1].status_code, results[1].body, results[1].error) == (404, None, "HTTP 404")


def test_body_over_the_cap_is_refused_while_streaming(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    (result,) = fetch_all(
        [FeedTarget("m", httpserver.url_for("/big"))],
        FeedSettings(allow_private_addresses=True, max_bytes=1024),
    )
    assert result.body is None
    assert result.error == "body exceeds 1024 bytes"


def test_unreachable_host_is_an_error_not_a_crash() -> None:
    (result,) = fetch_all(
        [FeedTarget("m", "http://127.0.0.1:9/feed")],
        FeedSettings(allow_private_addresses=True, connect_timeout=2),
    )
    assert result.body is None
    assert result.error is not None and result.error.startswith("ConnectError")


def test_user_agent_names_renkei(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/ua", headers={"User-Agent": FeedSettings().user_agent}
    ).respond_with_data("ok")
    (result,) = fetch_all(
        [FeedTarget("m", httpserver.url_for("/ua"))], FeedSettings(allow_private_addresses=True)
    )
    assert result.status_code == 200


def test_shift_jis_rss1_keeps_cp932_characters_and_raw_zoneless_dates() -> None:
    parsed = parse_feed(
        (FEEDS / "tottori_sjis.rdf").read_bytes(), url="https://www.tottori-u.example.jp/feed.rdf"
    )
    assert [r["title"] for r in parsed.rows] == [
        "産学連携セミナー①「地域と大学」～開催のご案内",
        "共同研究の成果を発表しました",
    ]
    # kept as written: the normaliser reads a zone-less date as JST, not UTC
    assert [r["published_text"] for r in parsed.rows] == [
        "2026-11-10T10:00:00",
        "2026-11-12T09:30:00+09:00",
    ]
    assert parsed.rows[1]["summary"] == "㈱中国精機との共同研究成果"
    assert parsed.error is None


def test_relative_links_are_resolved_and_script_is_not_kept() -> None:
    parsed = parse_feed(
        (FEEDS / "bank.rss").read_bytes(), url="https://www.hirogin.example.jp/feed.rss"
    )
    (row,) = parsed.rows
    assert row["url"] == "https://www.hirogin.example.jp/news/2026/1105.html"
    assert row["item_key"] == "hirogin-2026-1105"
    assert "<script" not in str(row["summary"]) and "alert" not in str(row["summary"])


def test_html_page_is_not_a_feed() -> None:
    parsed = parse_feed(b"<html><body><p>\xe3\x81\x93\xe3\x82\x93</p>", url="https://x.example.jp/")
    assert parsed.rows == []


PEER = (
    Path(__file__).parents[2] / "shared" / "peer" / "feedparser" / "tests" / "illformed" / "chardet"
)


@pytest.mark.parametrize("name", ["shiftjis.xml", "eucjp.xml"])
def test_peer_japanese_legacy_encoded_feeds_yield_entries(name: str) -> None:
    if not (PEER / name).exists():
        skip_or_fail(f"../shared/peer not beside the repo (no {PEER / name})")
    parsed = parse_feed((PEER / name).read_bytes(), url="https://peer.example.jp/feed")
    assert parsed.rows, f"{name}: no entries"
    assert parsed.error is None
