"""Which activities an issue carries, in which section, and that caps keep it under 100 KB."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from renkei.core.settings import Settings
from renkei.newsletter.compose import Edits, Period, build_issue, sort_into_sections
from renkei.newsletter.render import MAX_HTML_BYTES, render_issue

JST = ZoneInfo("Asia/Tokyo")
PERIOD = Period.parse("2026-11")
SCHEMA = {
    "activity_id": pl.String, "title": pl.String, "summary": pl.String, "url": pl.String,
    "category": pl.String, "starts_at": pl.Datetime("us", "Asia/Tokyo"),
    "ends_at": pl.Datetime("us", "Asia/Tokyo"), "all_day": pl.Boolean, "venue": pl.String,
    "deadline_at": pl.Datetime("us", "Asia/Tokyo"),
    "published_at": pl.Datetime("us", "Asia/Tokyo"), "contact": pl.String,
    "reported_at": pl.Datetime("us", "Asia/Tokyo"), "member_id": pl.String,
    "member_name": pl.String, "sector": pl.String, "prefecture": pl.String,
    "shown_before": pl.Boolean, "hidden": pl.Boolean, "hidden_reason": pl.String,
}  # fmt: skip


def row(n: int, category: str, **over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "activity_id": f"a{n:04d}", "title": f"活動{n}", "summary": "概要です。" * 8,
        "url": f"https://example.jp/{n}", "category": category, "starts_at": None,
        "ends_at": None, "all_day": True, "venue": None, "deadline_at": None,
        "published_at": datetime(2026, 11, 10, 10, tzinfo=JST), "contact": None,
        "reported_at": datetime(2026, 11, 10, 10, tzinfo=JST), "member_id": "aca-01",
        "member_name": "国立大学法人鳥取大学", "sector": "academia", "prefecture": "鳥取県",
        "shown_before": False, "hidden": False, "hidden_reason": None,
    }  # fmt: skip
    base.update(over)
    return base


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)


AS_OF = date(2026, 11, 1)  # sent at the start of the period: nothing has ended yet


def sections_of(rows: list[dict[str, object]], cap: int = 12):
    chosen = sort_into_sections(
        frame(rows), PERIOD, as_of=AS_OF, cap=cap, more_url="https://example.jp/data/"
    )
    return chosen.sections, chosen.shown


def test_empty_sections_are_left_out() -> None:
    sections, shown = sections_of([row(1, "news")])
    assert [s.key for s in sections] == ["news"]
    assert shown == [("a0001", "news")]


def test_news_already_sent_is_not_repeated_but_events_return_as_reminders() -> None:
    event = row(2, "event", starts_at=datetime(2026, 12, 5, 13, 30, tzinfo=JST), shown_before=True)
    sections, _ = sections_of([row(1, "news", shown_before=True), event])
    assert [s.key for s in sections] == ["events"]
    assert sections[0].items[0].is_reminder


def test_calls_are_sorted_by_deadline_and_news_by_sector() -> None:
    late = row(1, "call", deadline_at=datetime(2026, 12, 20, tzinfo=JST))
    soon = row(2, "call", deadline_at=datetime(2026, 12, 1, tzinfo=JST))
    gov = row(3, "news", sector="government")
    ind = row(4, "news", sector="industry")
    sections, _ = sections_of([late, soon, gov, ind])
    assert [i.activity_id for i in sections[0].items] == ["a0002", "a0001"]
    assert [i.activity_id for i in sections[1].items] == ["a0004", "a0003"]


def test_items_outside_the_period_are_not_news() -> None:
    old = row(1, "news", reported_at=datetime(2026, 10, 31, 23, tzinfo=JST))
    assert sections_of([old]) == ((), [])


def test_non_https_links_are_not_put_in_the_mail() -> None:
    sections, _ = sections_of([row(1, "news", url="http://example.jp/x")])
    assert sections[0].items[0].url is None


@pytest.fixture
def settings(workdir) -> Settings:
    from renkei.core.settings import load_settings

    return load_settings(workdir / "renkei.toml")


def test_caps_keep_500_activities_under_the_clipping_limit(settings: Settings) -> None:
    start = datetime(2026, 11, 20, 10, tzinfo=JST)
    rows = [
        row(i, ("event", "call", "news", "success_case")[i % 4],
            starts_at=start + timedelta(days=i % 40) if i % 4 == 0 else None,
            deadline_at=start + timedelta(days=30) if i % 4 == 1 else None,
            venue="鳥取大学 コラボレーション・プラザ" if i % 4 == 0 else None)
        for i in range(500)
    ]  # fmt: skip
    sections, shown = sections_of(rows, cap=settings.newsletter.section_cap)
    assert sum(len(s.items) + s.more_count for s in sections) == 500
    assert all(len(s.items) <= settings.newsletter.section_cap for s in sections)
    issue = build_issue(
        sections, PERIOD, number=1, settings=settings, editorial="今月の巻頭言です。",
        generated_at=datetime(2026, 11, 25, tzinfo=UTC),
    )  # fmt: skip
    rendered = render_issue(issue)
    assert len(rendered.html.encode("utf-8")) < MAX_HTML_BYTES
    assert "ほか" in rendered.html  # the rest are linked, not dropped silently
    assert rendered.subject == "中国地域産学官連携通信 第1号（2026年11月）"
    # The preheader counts what the mail carries (12 a section), as the 目次 does.
    assert issue.preheader.startswith("イベント12件・公募12件・お知らせ24件｜")
    assert rendered.text.count("件は公開データの活動一覧（CSV・JSON）でご覧いただけます：") == 4
    assert len(shown) == sum(len(s.items) for s in sections)


def test_preheader_counts_the_items_the_mail_carries(settings: Settings) -> None:
    rows = [row(i, "call", deadline_at=datetime(2026, 12, 20, tzinfo=JST)) for i in range(5)]
    rows += [row(10 + i, "news") for i in range(3)]
    sections, _ = sections_of(rows, cap=2)
    assert [(s.key, len(s.items), s.more_count) for s in sections] == [
        ("calls", 2, 3),
        ("news", 2, 1),
    ]
    issue = build_issue(
        sections, PERIOD, number=1, settings=settings, editorial=None,
        generated_at=datetime(2026, 11, 25, tzinfo=UTC),
    )  # fmt: skip
    assert issue.preheader == "公募2件・お知らせ2件｜2026年11月の産学官連携情報"
    assert "活動情報（4件）をお届けします。" in render_issue(issue).text


def test_period_parsing() -> None:
    assert Period.parse("2026-02").end == date(2026, 2, 28)
    with pytest.raises(ValueError, match="not YYYY-MM"):
        Period.parse("2026-13")
    assert Period.containing(datetime(2026, 11, 30, 16, tzinfo=UTC)).issue_id == "2026-12"


def test_edited_text_and_names_reach_the_renderer_without_invisible_characters() -> None:
    edits = Edits(titles={"a0001": "差し替え\x00件名\u202e"}, summaries={"a0001": "概要\u2066。"})
    rows = [row(1, "news", member_name="国立大学法人\u200f鳥取大学", venue="会場\x07")]
    chosen = sort_into_sections(
        frame(rows), PERIOD, as_of=AS_OF, cap=12, more_url="https://example.jp/data/", edits=edits
    )
    item = chosen.sections[0].items[0]
    assert (item.title, item.summary, item.venue, item.organisers[0].name) == (
        "差し替え件名", "概要。", "会場", "国立大学法人鳥取大学",
    )  # fmt: skip


def test_pinned_items_come_first_and_push_the_cap_and_hidden_wins_over_a_pin() -> None:
    rows = [row(i, "news") for i in range(1, 4)]
    rows.append(row(4, "news", hidden=True, hidden_reason="記入例"))
    edits = Edits(pinned=frozenset({"a0003", "a0004"}))
    chosen = sort_into_sections(
        frame(rows), PERIOD, as_of=AS_OF, cap=2, more_url="https://example.jp/data/", edits=edits
    )
    assert [i.activity_id for i in chosen.sections[0].items] == ["a0003", "a0001"]
    assert chosen.sections[0].more_count == 1
    assert [e.line() for e in chosen.excluded] == [
        "a0002「活動2」（国立大学法人鳥取大学）：上限超過（会員機関のお知らせ・成果は2件まで）",
        "a0004「活動4」（国立大学法人鳥取大学）：非表示（記入例）",
    ]


def test_an_ended_event_is_news_only_when_reported_after_it_began_in_the_period() -> None:
    began = datetime(2026, 11, 3, 13, tzinfo=JST)
    report = row(1, "event", starts_at=began, reported_at=datetime(2026, 11, 4, 9, tzinfo=JST))
    notice = row(2, "event", starts_at=began, reported_at=datetime(2026, 11, 1, 9, tzinfo=JST))
    chosen = sort_into_sections(
        frame([report, notice]), PERIOD, as_of=date(2026, 11, 5), cap=12,
        more_url="https://example.jp/data/",
    )  # fmt: skip
    assert chosen.shown == [("a0001", "news")]
    assert [e.reason for e in chosen.excluded] == ["終了済み（11月3日終了）"]
