"""The console's issue page, read in one go: items per section in mail order with why each
is in, the dropped ones, what the draft leaves out, fact notes, history; and the issue list."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date

import pytest
from test_item_moves import SEND_DATE, activity, jst, make_november, upsert

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.newsletter.editing import edit_issue, move_item
from renkei.newsletter.selection import Exclusion
from renkei.newsletter.workbench import issue_workbench, list_issues

FEED = "https://www.tottori-u.example.jp/feed.rdf"


@pytest.fixture
def november(settings_for) -> Settings:
    return make_november(settings_for)


def card(item) -> tuple:
    return (item.activity_id, item.position, item.title, item.why, item.pinned, item.dropped,
            item.title_overridden, item.source_kind)  # fmt: skip


def test_the_workbench_shows_items_reasons_exclusions_and_history(november: Settings) -> None:
    noted = activity("ev-a", "知財セミナー（12月2日）", "event", jst(11, 1),
                     starts=jst(12, 2, 13, 30), ends=jst(12, 2, 16))  # fmt: skip
    upsert(november, [{**noted, "fee_text": "無料", "fact_notes": "参加費：本文から読み取り"}])
    edit_issue(november, "2026-11", by="山田", pin=["call-old"], drop=["news-a"],
               titles={"ev-b": "【注目】技術交流会（12月5日）"})  # fmt: skip
    report = move_item(november, "2026-11", "ev-c", "up", by="佐藤")
    bench = issue_workbench(november, "2026-11")
    assert (bench.issue_id, bench.number, bench.status, bench.selected_as_of) == (
        "2026-11", 1, "draft", SEND_DATE,
    )  # fmt: skip
    assert bench.content_sha256 == report.content_sha256
    assert bench.subject == "中国地域産学官連携通信 第1号（2026年11月）"
    assert (bench.approved_by, bench.sent_at, bench.in_sync) == (None, None, True)
    assert [(s.key, s.title) for s in bench.sections] == [
        ("events", "開催予定のイベント"),
        ("calls", "公募・助成のご案内"),
        ("news", "会員機関のお知らせ・成果"),
    ]
    events, calls, news = (s.items for s in bench.sections)
    assert [card(i) for i in events] == [
        ("ev-a", 0, "知財セミナー（12月2日）", "開催予定（12月2日）",
         False, False, False, "feed"),
        ("ev-c", 1, "ものづくり展示会（12月10日～12日）", "開催予定（12月10日）",
         False, False, False, "feed"),
        ("ev-b", 2, "【注目】技術交流会（12月5日）", "開催予定（12月5日）",
         False, False, True, "feed"),
    ]  # fmt: skip
    assert [card(i) for i in calls] == [
        ("call-old", 0, "設備補助（締切済み）", "ピン留め（締切済み（11月20日締切））",
         True, False, False, "feed"),
        ("call-a", 1, "共同研究助成", "締切前の公募（12月20日締切）",
         False, False, False, "feed"),
    ]  # fmt: skip
    assert [card(i) for i in news] == [
        ("news-a", None, "新技術の開発に成功", "編集で除外", False, True, False, "feed"),
    ]
    first = events[0]
    assert (first.member_name, first.source_ref, first.url, first.category_ja) == (
        "国立大学法人鳥取大学", FEED, "https://www.tottori-u.example.jp/news/ev-a.html",
        "イベント・セミナー",
    )  # fmt: skip
    assert first.facts == [
        ("日時", "2026年12月2日（水）13:30〜16:00"), ("会場", "鳥取大学"), ("参加費", "無料"),
    ]  # fmt: skip
    assert (events[1].member_name, calls[1].facts) == ("岡山県", [("締切", "2026年12月20日（日）")])
    assert bench.excluded == [
        Exclusion("call-old", "設備補助（締切済み）", "国立大学法人鳥取大学",
                  "締切済み（11月20日締切）", True),
        Exclusion("news-a", "新技術の開発に成功", "岡山県商工会議所連合会", "編集で除外"),
    ]  # fmt: skip
    assert bench.fact_notes == (("ev-a", "知財セミナー（12月2日）", "参加費：本文から読み取り"),)
    assert [(h.actor, h.action) for h in bench.history] == [
        ("renkei", "draft"), ("佐藤", "edit"), ("renkei", "draft"), ("山田", "edit"),
        ("renkei", "draft"),
    ]  # fmt: skip
    assert bench.history[0].detail["content_sha256"] == report.content_sha256
    assert bench.history[1].detail == {
        "move": "ev-c", "direction": "up", "section": "events",
        "order": ["ev-a", "ev-c", "ev-b"],
    }  # fmt: skip
    assert bench.history[3].detail["changes"][0] == ["news-a", "drop", None]
    assert bench.last_editor == "佐藤"
    assert [h.at for h in bench.history] == sorted((h.at for h in bench.history), reverse=True)


def test_the_issue_list_is_newest_first(november: Settings) -> None:
    assert pipeline.draft(november, "2026-12", as_of=date(2026, 12, 1)).created
    pipeline.approve(november, "2026-11", by="山田")
    issues = list_issues(november)
    assert [astuple(i)[:5] for i in issues] == [
        ("2026-12", 2, "draft", "中国地域産学官連携通信 第2号（2026年12月）", 4),
        ("2026-11", 1, "approved", "中国地域産学官連携通信 第1号（2026年11月）", 5),
    ]
    assert (issues[1].approved_by, issues[0].approved_by) == ("山田", None)
    assert issues[1].content_sha256 == issue_workbench(november, "2026-11").content_sha256


def test_items_past_their_date_by_today_are_named_for_a_late_draft(november: Settings) -> None:
    """A draft made for 25 November, looked at on 6 December: the two events that are over
    are named with why; the call still open and the later event are not."""
    late = issue_workbench(november, "2026-11", today=date(2026, 12, 6))
    assert late.expired == [
        ("知財セミナー（12月2日）", "終了済み（12月2日終了）"),
        ("技術交流会（12月5日）", "終了済み（12月5日終了）"),
    ]
    assert issue_workbench(november, "2026-11", today=SEND_DATE).expired == []
    assert issue_workbench(november, "2026-11").expired == []  # no today: nothing judged
