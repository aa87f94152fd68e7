"""Issue 17, acceptance 2: event facts read from feed titles and bodies reach the warehouse,
co-hosted announcements in two title styles merge, and the release carries the events.

A real RSS feed on 127.0.0.1 (publication date fixed) and a CSV report of another member
(received at a fixed time) go through ingest → normalize → publish. Year-less dates follow
the publication/receipt date (December 2026 → the events fall in 2027); the release is
written as of a fixed day so the calendar's "upcoming" does not depend on today.
"""

from __future__ import annotations

import csv
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import polars as pl
import pytest
from pytest_httpserver import HTTPServer

from renkei import pipeline
from renkei.core.settings import Settings
from warehouse.connection import open_warehouse

JST = ZoneInfo("Asia/Tokyo")
RECEIVED = datetime(2026, 12, 10, 9, 0, tzinfo=JST)
PUBLISHED_AS_OF = datetime(2026, 12, 15, 9, 0, tzinfo=JST)

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
 <channel>
  <title>広島大学 産学連携ニュース</title>
  <link>https://www.hiroshima-u.example.jp/</link>
  <description>お知らせ</description>
  <item>
   <title>【2/5開催】DX推進セミナー</title>
   <link>https://www.hiroshima-u.example.jp/news/dx.html</link>
   <guid isPermaLink="false">hu-dx</guid>
   <description>DX推進セミナーのご案内</description>
   <content:encoded><![CDATA[<p>DX推進セミナーを開催します。</p>
<p>日時：２月５日（金）・６日（土）各日13:00～17:00</p>
<p>会場：広島大学 東千田キャンパス</p><p>参加費無料</p>]]></content:encoded>
   <pubDate>Tue, 01 Dec 2026 10:00:00 +0900</pubDate>
  </item>
  <item>
   <title>医工連携フォーラム（1月22日）</title>
   <link>https://www.hiroshima-u.example.jp/news/forum.html</link>
   <guid isPermaLink="false">hu-forum</guid>
   <description>医療と工学の連携をテーマにしたフォーラムです。
    場所：広島大学 霞キャンパス</description>
   <pubDate>Tue, 01 Dec 2026 10:00:00 +0900</pubDate>
  </item>
  <item>
   <title>3月4日（木）技術交流会を開催します</title>
   <link>https://www.hiroshima-u.example.jp/news/koryu.html</link>
   <guid isPermaLink="false">hu-koryu</guid>
   <description>企業と研究者の技術交流会です。参加費：1,000円 定員：30名</description>
   <pubDate>Tue, 01 Dec 2026 10:00:00 +0900</pubDate>
  </item>
  <item>
   <title>令和8年度 共同研究公募（締切：3月5日）</title>
   <link>https://www.hiroshima-u.example.jp/news/call.html</link>
   <guid isPermaLink="false">hu-call</guid>
   <description>地域企業との共同研究を公募します。</description>
   <pubDate>Tue, 01 Dec 2026 10:00:00 +0900</pubDate>
  </item>
 </channel>
</rss>
"""

# The chamber of commerce announces the same forum, date in the title, 開催日 left empty.
CSV_ROWS = [
    ["件名", "開催日", "終了日", "時間", "会場", "概要", "URL", "区分", "申込締切", "問い合わせ先"],
    ["1月22日（金）医工連携フォーラムを開催します", "", "", "", "広島大学 霞キャンパス",
     "広島大学と共催します。", "https://www.hiroshima-cci.example.jp/forum.html", "", "", ""],
]  # fmt: skip


def _as_of(step: Any) -> Any:
    """The publish step, run as of PUBLISHED_AS_OF (a Runner, like ``direct``)."""
    return partial(step, now=PUBLISHED_AS_OF)


@pytest.fixture
def published(httpserver: HTTPServer, settings_for, tmp_path: Path) -> Settings:
    httpserver.expect_request("/news.rss").respond_with_data(
        FEED.encode("utf-8"), content_type="application/rss+xml"
    )
    settings = settings_for(
        [
            f"aca-05,国立大学法人広島大学,academia,学,広島県,prefecture,{httpserver.url_for('/news.rss')},renkei@hiroshima-u.example.jp",
            "ind-07,広島商工会議所,industry,産,広島県,region,,",
        ]
    )
    report = pipeline.ingest_feeds(settings)
    assert (report.ok, report.items_staged, report.failed) == (1, 4, [])
    path = tmp_path / "2026-12-report.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(CSV_ROWS)
    receipt = pipeline.ingest_submission(settings, path, "ind-07", now=RECEIVED)
    assert receipt.rows_staged == 1
    pipeline.normalize(settings)
    pipeline.publish(settings, run=_as_of)
    return settings


def _activities(settings: Settings) -> dict[str, dict[str, Any]]:
    query = """
        SELECT title, category,
               strftime(starts_at AT TIME ZONE 'Asia/Tokyo', '%Y-%m-%d %H:%M') AS starts,
               strftime(ends_at AT TIME ZONE 'Asia/Tokyo', '%Y-%m-%d %H:%M') AS ends, all_day,
               venue, online,
               strftime(deadline_at AT TIME ZONE 'Asia/Tokyo', '%Y-%m-%d %H:%M') AS deadline,
               fee_text, capacity_text, fact_notes
        FROM activities ORDER BY title"""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        cursor = con.execute(query)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    return {row["title"]: row for row in rows}


def test_facts_from_feed_titles_and_bodies_land_in_activities(published: Settings) -> None:
    rows = _activities(published)
    facts = ("category", "starts", "ends", "all_day", "venue", "online", "deadline", "fee_text")
    got = {title: tuple(row[f] for f in facts) for title, row in rows.items()}
    assert got == {
        "【2/5開催】DX推進セミナー": (
            "event", "2027-02-05 13:00", "2027-02-06 17:00", False,
            "広島大学 東千田キャンパス", None, None, "無料",
        ),
        "医工連携フォーラム（1月22日）": (
            "event", "2027-01-22 00:00", None, True, "広島大学 霞キャンパス", None, None, None,
        ),
        "3月4日（木）技術交流会を開催します": (
            "event", "2027-03-04 00:00", None, True, None, None, None, "1,000円",
        ),
        "令和8年度 共同研究公募（締切：3月5日）": (
            "call", None, None, True, None, None, "2027-03-05 00:00", None,
        ),
    }  # fmt: skip
    assert rows["3月4日（木）技術交流会を開催します"]["capacity_text"] == "30名"
    assert rows["【2/5開催】DX推進セミナー"]["fact_notes"] == "\n".join(
        [
            "開催日は概要の『2月5日(金)・6日(土)各日13:00~17:00』から読み取りました"
            "（年の記載がないため掲載日から2027年としました）",
            "会場は概要の『会場:広島大学 東千田キャンパス』から読み取りました",
            "参加費は概要の『参加費無料』から読み取りました",
        ]
    )


def test_one_forum_announced_by_two_members_in_two_title_styles_is_one_activity(
    published: Settings,
) -> None:
    with open_warehouse(published.warehouse, read_only=True) as con:
        organisers = con.execute(
            """SELECT a.title, o.member_id, o.role, o.rule
               FROM activity_organisers o JOIN activities a USING (activity_id)
               WHERE a.title LIKE '%医工連携フォーラム%' ORDER BY o.member_id"""
        ).fetchall()
        forums = con.execute(
            "SELECT count(*) FROM activities WHERE title LIKE '%医工連携フォーラム%'"
        ).fetchall()[0][0]
    assert forums == 1
    assert [(member, rule) for _, member, _, rule in organisers] == [
        ("aca-05", "publisher"),
        ("ind-07", "merge:same_title_date"),
    ]


def test_events_file_and_calendar_carry_the_feed_events(published: Settings) -> None:
    folder = published.publish_dir
    events = pl.read_csv(folder / "events.csv", infer_schema=False)
    assert events.select("イベント名", "開始日", "終了日", "開始時間", "終了時間").rows() == [
        ("医工連携フォーラム（1月22日）", "2027-01-22", "2027-01-22", None, None),
        ("【2/5開催】DX推進セミナー", "2027-02-05", "2027-02-06", "13:00", "17:00"),
        ("3月4日（木）技術交流会を開催します", "2027-03-04", "2027-03-04", None, None),
    ]
    cal = icalendar.Calendar.from_ical((folder / "events.ics").read_bytes())
    got = [
        (str(e["summary"]), e.decoded("dtstart").isoformat(), str(e.get("location", "")))
        for e in cal.walk("VEVENT")
    ]
    assert got == [
        ("医工連携フォーラム（1月22日）", "2027-01-22", "広島大学 霞キャンパス"),
        ("【2/5開催】DX推進セミナー", "2027-02-05T13:00:00+09:00", "広島大学 東千田キャンパス"),
        ("3月4日（木）技術交流会を開催します", "2027-03-04", ""),
    ]
