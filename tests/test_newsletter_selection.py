"""Selection rules a reviewer can trust (issue 17, acceptance 3), on a real DuckDB warehouse.

The December issue is drafted for a send date of 2026-12-05: events that ended on the 2nd
and 3rd are not upcoming, a call that closed on the 4th is not open, a call published on
20 November with a deadline two months ahead is in, a call already in 第1号 is not repeated,
a pinned call whose deadline passed is in with a warning, the fourth upcoming event is over
the cap of 3, a hidden and a dropped item and a merged duplicate are named — each with its
reason, word for word, in the `renkei draft` output, the preview page and the approval
request.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from conftest import renkei_cli

from renkei import pipeline
from renkei.core.errors import ApprovalError
from renkei.core.settings import Settings
from renkei.core.staging import write_batch
from renkei.newsletter import approval
from renkei.newsletter.editing import edit_issue
from renkei.newsletter.review import preview
from renkei.normalize.activities import write_activities
from warehouse.connection import open_warehouse
from warehouse.queries import registered

JST = ZoneInfo("Asia/Tokyo")
SEND_DATE = date(2026, 12, 5)
REGISTRY = [
    "aca-01,国立大学法人鳥取大学,academia,学,鳥取県,prefecture,,renkei@tottori-u.example.jp",
    "gov-04,岡山県,government,官,岡山県,prefecture,,",
    "ind-04,岡山県商工会議所連合会,industry,産,岡山県,prefecture,,",
]


def jst(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


def activity(
    activity_id: str,
    title: str,
    category: str,
    published: datetime,
    member_id: str = "aca-01",
    starts: datetime | None = None,
    ends: datetime | None = None,
    deadline: datetime | None = None,
) -> dict[str, object]:
    return {
        "activity_id": activity_id, "member_id": member_id, "source": "feed",
        "source_ref": "https://www.tottori-u.example.jp/feed.rdf", "stage_id": activity_id,
        "title": title, "title_key": title, "summary": f"{title}のご案内です。",
        "url": f"https://www.tottori-u.example.jp/news/{activity_id}.html",
        "category": category, "category_rule": "test", "starts_at": starts, "ends_at": ends,
        "all_day": starts is None or starts.hour == 0, "published_at": published,
        "deadline_at": deadline, "venue": "鳥取大学" if starts else None,
        "content_sha256": activity_id, "first_seen_at": published,
    }  # fmt: skip


def upsert(settings: Settings, rows: list[dict[str, object]]) -> None:
    """Through the normaliser's own activity writes; columns not given are NULL (so the
    batch keeps up with columns later migrations add)."""
    with open_warehouse(settings.warehouse) as con:
        schema = con.sql("SELECT * EXCLUDE (updated_at) FROM activities LIMIT 0").pl().schema
        frame = pl.DataFrame([{c: r.get(c) for c in schema} for r in rows], schema=schema)
        with registered(con, batch=frame):
            write_activities(con, datetime.now(UTC))


def issue_items(settings: Settings, issue_id: str) -> dict[str, list[str]]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT section, activity_id FROM issue_items WHERE issue_id = ? ORDER BY ALL",
            [issue_id],
        ).fetchall()
    found: dict[str, list[str]] = {}
    for section, activity_id in rows:
        found.setdefault(section, []).append(activity_id)
    return found


@pytest.fixture
def december(settings_for) -> Settings:
    """第1号 (2026-11) sent on 18 November with one call; then December's activities."""
    settings = settings_for(REGISTRY)
    settings = settings.model_copy(
        update={"newsletter": settings.newsletter.model_copy(update={"section_cap": 3})}
    )
    pipeline.sync_registry(settings)
    upsert(settings, [
        activity("call-sent", "共同研究助成（第1号で案内済み）", "call", jst(11, 5),
                 deadline=jst(12, 25)),
    ])  # fmt: skip
    first = pipeline.draft(settings, "2026-11", as_of=date(2026, 11, 18))
    assert first.created and issue_items(settings, "2026-11") == {"calls": ["call-sent"]}
    pipeline.approve(settings, "2026-11", by="山田")
    assert pipeline.send(settings, "2026-11").sent == 1
    upsert(settings, [
        activity("ev-dec02", "知財セミナー（12月2日）", "event", jst(11, 20),
                 starts=jst(12, 2, 13, 30), ends=jst(12, 2, 16)),
        activity("ev-dec03", "技術交流会（12月3日）", "event", jst(11, 21), starts=jst(12, 3)),
        activity("ev-report", "産学連携フォーラム 開催報告", "event", jst(12, 3, 9),
                 starts=jst(12, 1, 13)),
        activity("ev-running", "ものづくり展示会（12月4日～6日）", "event", jst(11, 10),
                 member_id="gov-04", starts=jst(12, 4), ends=jst(12, 6)),
        activity("ev-dec10", "DX実践セミナー", "event", jst(12, 1), member_id="ind-04",
                 starts=jst(12, 10, 13, 30)),
        activity("ev-dec12", "創業塾2026", "event", jst(12, 1, 11), member_id="ind-04",
                 starts=jst(12, 12, 10)),
        activity("ev-dec20", "親子ものづくり体験フェア", "event", jst(12, 1, 12),
                 member_id="ind-04", starts=jst(12, 20, 10)),
        activity("call-nov20", "研究開発補助金の公募（締切1月20日）", "call", jst(11, 20),
                 member_id="gov-04", deadline=jst(1, 20, year=2027)),
        activity("call-closed", "実証支援事業の公募（締切12月4日）", "call", jst(12, 1),
                 member_id="gov-04", deadline=jst(12, 4, 17)),
        activity("call-pinned", "試作開発助成（締切12月1日）", "call", jst(11, 10),
                 deadline=jst(12, 1)),
        activity("news-hidden", "【記入例】産学連携セミナー", "news", jst(12, 2)),
        activity("news-dropped", "広報誌を発行しました", "news", jst(12, 3)),
        activity("news-ok", "共同研究の成果を発表しました", "news", jst(12, 4)),
    ])  # fmt: skip
    with open_warehouse(settings.warehouse) as con:  # the co-host's copy of ev-dec10, merged
        merges = pl.DataFrame(
            [("ev-dec10-okayama", "ev-dec10", "gov-04", "same_title_date", 1.0)],
            schema=["merged_activity_id", "activity_id", "member_id", "rule", "score"],
            orient="row",
        )
        write_batch(con, "replace_activity_merges", merges)
    pipeline.hide(settings, "news-hidden", by="事務局 佐藤", reason="テンプレートの記入例の行")
    return settings


EXCLUDED_BEFORE_EDITS = [
    "ev-dec02「知財セミナー（12月2日）」（国立大学法人鳥取大学）：終了済み（12月2日終了）",
    "ev-dec03「技術交流会（12月3日）」（国立大学法人鳥取大学）：終了済み（12月3日終了）",
    "ev-dec20「親子ものづくり体験フェア」（岡山県商工会議所連合会）："
    "上限超過（開催予定のイベントは3件まで）",
    "call-sent「共同研究助成（第1号で案内済み）」（国立大学法人鳥取大学）：第1号に掲載済み",
    "call-pinned「試作開発助成（締切12月1日）」（国立大学法人鳥取大学）：締切済み（12月1日締切）",
    "call-closed「実証支援事業の公募（締切12月4日）」（岡山県）：締切済み（12月4日締切）",
    "news-hidden「【記入例】産学連携セミナー」（国立大学法人鳥取大学）："
    "非表示（テンプレートの記入例の行）",
    "ev-dec10-okayama「DX実践セミナー」（岡山県）：重複（ev-dec10「DX実践セミナー」に統合）",
]


def test_a_draft_for_a_send_date_includes_and_excludes_exactly_with_reasons(
    december: Settings,
) -> None:
    report = pipeline.draft(december, "2026-12", as_of=SEND_DATE)

    assert issue_items(december, "2026-12") == {
        "calls": ["call-nov20"],  # published the month before, open until 20 January
        "events": ["ev-dec10", "ev-dec12", "ev-running"],  # running on the send date
        "news": ["ev-report", "news-dropped", "news-ok"],  # a report of a past event: news
    }
    assert [e.line() for e in report.excluded] == EXCLUDED_BEFORE_EDITS
    assert report.summary().split("\n")[1:] == [
        f"  excluded: {line}" for line in EXCLUDED_BEFORE_EDITS
    ]

    edited = edit_issue(
        december, "2026-12", by="事務局 佐藤", drop=["news-dropped"], pin=["call-pinned"],
        as_of=SEND_DATE,
    )  # fmt: skip

    assert issue_items(december, "2026-12") == {
        "calls": ["call-nov20", "call-pinned"],  # pinned, although its deadline passed
        "events": ["ev-dec10", "ev-dec12", "ev-running"],
        "news": ["ev-report", "news-ok"],
    }
    warning = (
        "call-pinned「試作開発助成（締切12月1日）」（国立大学法人鳥取大学）："
        "締切済み（12月1日締切）ですが、固定表示のため掲載します"
    )
    dropped = "news-dropped「広報誌を発行しました」（国立大学法人鳥取大学）：編集で除外"
    after = [line for line in EXCLUDED_BEFORE_EDITS if not line.startswith("call-pinned")]
    after.insert(6, dropped)  # in candidate order (events by start, then by report date)
    assert [(e.included, e.line()) for e in edited.excluded] == [
        (False, line) for line in after[:4]
    ] + [(True, warning)] + [(False, line) for line in after[4:]]

    page = preview(december, "2026-12").read_text("utf-8")
    assert "<h2>載せなかった候補（8件）</h2>" in page
    assert "送信日 2026-12-05 時点" in page
    assert all(f"<li>{line}</li>" in page for line in after)
    assert f"<h3>固定表示の注意</h3>\n<ul>\n <li>{warning}</li>" in page

    request = approval.approval_request(
        "2026-12", edited.summary(), Path("preview.html"), edited.content_sha256 or "", None
    )
    listed = "".join(f"- {line}\n" for line in after)
    assert f"#### 載せなかった候補（8件）\n\n{listed}\n" in request
    assert f"#### 固定表示の注意\n\n- {warning}\n\n" in request


def test_the_draft_command_prints_every_exclusion_with_its_reason(december: Settings) -> None:
    config = december.source
    text = config.read_text("utf-8").replace("section_cap = 12", "section_cap = 3")
    config.write_text(text, encoding="utf-8")
    ran = renkei_cli(
        "draft", "--period", "2026-12", "--as-of", "2026-12-05", "--config", str(config)
    )
    assert ran.returncode == 0, ran.stderr
    first, *rest = ran.stdout.strip().split("\n")
    assert first.startswith("issue 2026-12: draft with 7 items (send date 2026-12-05), sha256 ")
    assert rest == [f"  excluded: {line}" for line in EXCLUDED_BEFORE_EDITS]
    bad = renkei_cli("draft", "--period", "2026-12", "--as-of", "5/12", "--config", str(config))
    assert bad.returncode != 0
    assert "--as-of '5/12': write the send date as YYYY-MM-DD" in bad.stderr


def test_the_stale_send_guard_still_applies_to_a_draft_made_for_a_send_date(
    settings_for,
) -> None:
    """An event listed as upcoming that begins between approval and send stops the send."""
    settings = settings_for(REGISTRY)
    pipeline.sync_registry(settings)
    now = datetime.now(JST)
    soon = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    upsert(settings, [
        activity("ev-soon", "まもなく開催の講演会", "event", now - timedelta(days=1),
                 starts=soon)
    ])  # fmt: skip
    period = f"{soon.year:04d}-{soon.month:02d}"
    assert pipeline.draft(settings, period, as_of=now.date()).item_count == 1
    pipeline.approve(settings, period, by="山田")
    approval.ensure_fresh(settings, period)  # nothing has begun yet
    with pytest.raises(ApprovalError, match=r"1 listed event\(s\) began after approval"):
        approval.ensure_fresh(settings, period, now=soon + timedelta(minutes=1))


def test_a_pinned_activity_of_another_period_is_added_above_the_cap(december: Settings) -> None:
    """`renkei edit --pin` adds an activity the period's rules would not list at all; the
    cap gives way to it (the last unpinned news item is cut instead)."""
    pipeline.draft(december, "2026-12", as_of=SEND_DATE)
    upsert(december, [activity("news-old", "10月の成果報告", "news", jst(10, 2))])
    report = edit_issue(december, "2026-12", by="事務局 佐藤", pin=["news-old"], as_of=SEND_DATE)
    assert issue_items(december, "2026-12")["news"] == ["ev-report", "news-dropped", "news-old"]
    assert report.excluded[-2].line() == (
        "news-ok「共同研究の成果を発表しました」（国立大学法人鳥取大学）："
        "上限超過（会員機関のお知らせ・成果は3件まで）"
    )


def test_a_call_of_last_month_without_a_known_deadline_is_named_and_can_be_pinned(
    december: Settings,
) -> None:
    """The reported case: a feed call published on 20 November whose deadline was not read
    was left out of December's draft with no reason, and pinning it did nothing."""
    upsert(december, [activity("call-nodate", "共同研究の公募について", "call", jst(11, 20))])
    report = pipeline.draft(december, "2026-12", as_of=SEND_DATE)
    line = (
        "call-nodate「共同研究の公募について」（国立大学法人鳥取大学）："
        "対象期間外（11月20日の掲載、締切不明）"
    )
    assert line in [e.line() for e in report.excluded]
    edit_issue(december, "2026-12", by="事務局 佐藤", pin=["call-nodate"], as_of=SEND_DATE)
    assert issue_items(december, "2026-12")["calls"] == ["call-nodate", "call-nov20"]
