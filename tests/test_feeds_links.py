"""Relative item links end up absolute in the staged rows and in ``activities.url``,
through the real ingest path (feeds served on 127.0.0.1), and stay so after
`renkei reparse`. The base is the URL the bytes were received from (RFC 3986 5.1.3:
after a redirect, the last URL asked), or the feed's ``xml:base``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pytest_httpserver import HTTPServer

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.feeds import reparse as feed_reparse
from warehouse.connection import open_warehouse

EXAMPLE = Path(__file__).parents[1] / "examples" / "feeds" / "ind-12.rss"
CALL = "令和8年度 中国地域 技術開発支援事業 公募のお知らせ"

RSS1 = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://www.tottori-u.example.jp/">
    <title>鳥取大学 産学連携</title>
    <link>https://www.tottori-u.example.jp/</link>
    <description>新着</description>
  </channel>
  <item rdf:about="tottori-2026-1106">
    <title>地域共同研究助成の公募</title>
    <link>1106.html</link>
    <dc:date>2026-11-06T10:00:00+09:00</dc:date>
  </item>
</rdf:RDF>
""".encode()

ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/site/">
  <title>広島大学 研究ニュース</title>
  <id>urn:uuid:hiroshima-news</id>
  <updated>2026-11-07T09:00:00+09:00</updated>
  <entry>
    <title>オープンラボのお知らせ</title>
    <id>urn:uuid:hiroshima-31</id>
    <link href="news/31.html"/>
    <updated>2026-11-07T09:00:00+09:00</updated>
  </entry>
</feed>
""".encode()

MOVED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>ごうぎん 地域</title><link>https://www.gogin.example.jp/</link>
  <description>新着</description>
  <item><title>商談会のご案内</title><link>item.html</link><guid>gogin-1108</guid>
    <pubDate>Sun, 08 Nov 2026 10:00:00 +0900</pubDate></item>
</channel></rss>
""".encode()


def serve(server: HTTPServer) -> list[str]:
    server.expect_request("/feeds/ind-12.rss").respond_with_data(
        EXAMPLE.read_bytes(), content_type="application/rss+xml"
    )
    server.expect_request("/rdf/index.rdf").respond_with_data(
        RSS1, content_type="application/rdf+xml"
    )
    server.expect_request("/atom/feed.atom").respond_with_data(
        ATOM, content_type="application/atom+xml"
    )
    server.expect_request("/old/feed.rss").respond_with_data(  # a temporary move
        "", status=302, headers={"Location": "/new/feed.rss"}
    )
    server.expect_request("/new/feed.rss").respond_with_data(
        MOVED, content_type="application/rss+xml"
    )
    paths = ["/feeds/ind-12.rss", "/rdf/index.rdf", "/atom/feed.atom", "/old/feed.rss"]
    return [
        f"m{i},テスト会員{i},academia,学,鳥取県,prefecture,{server.url_for(path)},"
        for i, path in enumerate(paths, 1)
    ]


def links(settings: Settings, table: str) -> list[tuple[str, str]]:
    sql = f"""SELECT member_id, url FROM {table}
              WHERE member_id <> 'm1' OR title = '{CALL}' ORDER BY member_id"""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_relative_item_links_are_absolute_when_staged_published_and_reparsed(
    httpserver: HTTPServer, settings_for
) -> None:
    settings = settings_for(serve(httpserver))
    expected = [
        ("m1", httpserver.url_for("/news/2026/1105.html")),  # RSS 2.0: against the feed URL
        ("m2", httpserver.url_for("/rdf/1106.html")),  # RSS 1.0
        ("m3", httpserver.url_for("/site/news/31.html")),  # Atom: against its xml:base
        ("m4", httpserver.url_for("/new/item.html")),  # against the URL redirected to
    ]
    report = pipeline.ingest_feeds(settings)
    assert (report.ok, report.failed) == (4, [])
    assert links(settings, "stg_items") == expected
    pipeline.normalize(settings)
    assert links(settings, "activities") == expected

    with open_warehouse(settings.warehouse) as con:  # as if a parser bug had lost them
        con.execute("UPDATE stg_items SET url = NULL")
    again = feed_reparse.reparse(settings, datetime(2000, 1, 1, tzinfo=UTC))
    assert again.summary() == "4 stored feed bodies re-parsed, 8 rows staged, 0 unreadable"
    assert links(settings, "stg_items") == expected
    pipeline.normalize(settings)
    assert links(settings, "activities") == expected
