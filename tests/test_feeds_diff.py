"""Only the items that changed since a feed's last body are parsed (issue 3: parsing only
what changed matters), with a full parse whenever the comparison is in doubt."""

from __future__ import annotations

from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Response

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.feeds.diff import diff_items, parse_changed
from renkei.feeds.parse import parse_feed
from warehouse.connection import open_warehouse

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
OLD = (FEEDS / "three_items.rss").read_bytes()
NEW = OLD.replace(
    "共同研究講座を開設しました".encode(), "共同研究講座を開設しました（記念講演あり）".encode()
).replace(b"Mon, 16 Nov 2026 09:00:00 +0900</lastBuildDate>", b"Tue, 17 Nov 2026</lastBuildDate>")
URL = "https://www.okayama-u.example.jp/rss.xml"


def test_a_changed_item_is_parsed_alone_at_its_position() -> None:
    parsed, same = parse_changed(NEW, OLD, url=URL)
    full = parse_feed(NEW, url=URL)
    assert same == 2
    assert parsed.rows == [full.rows[1]]
    assert parsed.rows[0]["position"] == 1
    assert parsed.rows[0]["url"] == "https://www.okayama-u.example.jp/news/2026/1110.html"


def test_a_new_item_on_top_is_the_only_one_parsed() -> None:
    item = (
        b"<item><title>new</title><guid>oku-1120</guid></item>\n  <item>\n   <title>"
        + "技術シーズ".encode()
    )
    added = OLD.replace(b"<item>\n   <title>" + "技術シーズ".encode(), item, 1)
    parsed, same = parse_changed(added, OLD, url=URL)
    assert ([r["item_key"] for r in parsed.rows], [r["position"] for r in parsed.rows]) == (
        ["oku-1120"],
        [0],
    )
    assert same == 3


def test_doubt_means_a_full_parse() -> None:
    moved_site = NEW.replace(b"<link>https://www.okayama-u", b"<link>https://new.okayama-u")
    assert diff_items(moved_site, OLD) is None  # relative links would resolve elsewhere
    assert diff_items(NEW.replace(b"</rss>", b"</rss>\n<!-- x -->"), OLD) is None
    assert diff_items(b"\x1b$B" + NEW, OLD) is None  # ISO-2022-JP: '<' may be half a kanji
    parsed, same = parse_changed(moved_site, OLD, url=URL)
    assert (len(parsed.rows), same) == (3, 0)
    nothing, same = parse_changed(NEW.replace(b"17 Nov", b"18 Nov"), NEW, url=URL)
    assert (nothing.rows, same) == ([], 3)


def query(settings: Settings, sql: str) -> list[tuple]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_an_edited_item_is_staged_once_and_updates_its_activity(
    httpserver: HTTPServer, settings_for
) -> None:
    bodies = [OLD]
    httpserver.expect_request("/rss.xml").respond_with_handler(
        lambda request: Response(bodies[-1], content_type="application/rss+xml")
    )
    settings = settings_for(
        [f"aca-02,岡山大学,academia,学,岡山県,prefecture,{httpserver.url_for('/rss.xml')},"]
    )
    pipeline.ingest_feeds(settings)
    pipeline.normalize(settings)
    bodies.append(NEW)
    report = pipeline.ingest_feeds(settings)
    assert (report.parsed, report.items_staged, report.items_same) == (1, 1, 2)
    assert report.summary().endswith("; 2 unchanged items not parsed again")
    assert pipeline.normalize(settings).activities == 3
    assert query(settings, "SELECT item_count FROM fetch_log ORDER BY fetch_id") == [(3,), (3,)]
    assert query(settings, "SELECT title FROM activities ORDER BY title") == [
        ("共同研究講座を開設しました（記念講演あり）",),
        ("技術シーズ発表会のご案内",),
        ("知的財産セミナー 参加者募集",),
    ]
