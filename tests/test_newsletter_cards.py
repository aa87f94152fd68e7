"""Item cards show their facts once: labelled lines, and a summary without those facts."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from newsletter_samples import CHUKEIREN, HIROSHIMA_U, JST, sample_issue

from renkei.newsletter.card_facts import (
    card_facts,
    card_summary,
    summary_without_facts,
    venue_text,
)
from renkei.newsletter.compose import _item
from renkei.newsletter.model import Item, Section
from renkei.newsletter.phrasing import ZWSP, phrase_markup
from renkei.newsletter.preview import Draft, write_preview
from renkei.newsletter.render import render_issue

KEEP_ALL = '<span style="word-break:keep-all;overflow-wrap:anywhere">'

# A feed item as members write them: the facts are in the summary's own lines.
SEMINAR = Item(
    activity_id="ev-0100",
    title="【2/6開催】DX推進セミナー～生成AIの業務活用（製造業編）～",
    summary=(
        "製造業の現場で生成AIを使いこなすためのセミナーです。"
        " 開催日：2027年2月6日（土）13:30～16:00"
        " 会場：広島大学東千田キャンパス 未来創生センター"
        " 参加費：無料 定員：50名（先着順） 申込締切：1月29日（金）"
        " 講師は県内企業の導入担当者です。"
    ),
    url="https://www.hiroshima-u.example.jp/event/dx-seminar",
    category="event",
    organisers=(HIROSHIMA_U, CHUKEIREN),
    starts_at=datetime(2027, 2, 6, 13, 30, tzinfo=JST),
    ends_at=datetime(2027, 2, 6, 16, 0, tzinfo=JST),
    all_day=False,
    venue="広島大学東千田キャンパス 未来創生センター",
    deadline_at=datetime(2027, 1, 29, tzinfo=JST),
    online="hybrid",
    fee="無料",
    capacity="50名（先着順）",
    audience="県内の製造業の経営者・技術者",
    fact_notes=(
        "開催日は本文の「開催日：2027年2月6日（土）13:30～16:00」から読み取りました\n"
        "締切は本文の「申込締切：1月29日（金）」から読み取りました"
    ),
)


def _one_item_issue(item: Item):
    issue = sample_issue(editorial=None)
    return replace(issue, sections=(Section("events", "開催予定のイベント", (item,)),))


def _card_lines(text: str, title: str) -> list[str]:
    """The text part's lines of the card whose ◇ line starts with ``title``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"◇ {title}"))
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return lines[start:end]


def test_text_card_shows_each_fact_on_a_labelled_line_and_the_summary_without_them() -> None:
    text = render_issue(_one_item_issue(SEMINAR)).text
    assert _card_lines(text, "【2/6開催】") == [
        "◇ 【2/6開催】DX推進セミナー～生成AIの業務活用（製造業編）～",
        "  イベント・セミナー",
        "  日時：2027年2月6日（土）13:30〜16:00",
        "  会場：広島大学東千田キャンパス 未来創生センター（オンライン併用）",
        "  締切：2027年1月29日（金）",
        "  参加費：無料",
        "  定員：50名（先着順）",
        "  対象：県内の製造業の経営者・技術者",
        "  主催：[学] 国立大学法人広島大学（広島県）",
        "  共催：[産] 中国経済連合会（広島県）",
        "  問い合わせ：国立大学法人広島大学 sangaku@hiroshima-u.example.jp",
        "  問い合わせ：中国経済連合会 082-000-0000",
        # the rest of the summary, wrapped between phrases (「講師は」 stays whole)
        "  製造業の現場で生成AIを使いこなすためのセミナーです。 講師は",
        "  県内企業の導入担当者です。",
        "  https://www.hiroshima-u.example.jp/event/dx-seminar",
    ]


def test_html_card_shows_the_same_labelled_lines_once() -> None:
    html = render_issue(_one_item_issue(SEMINAR)).html
    meta = (
        '<div class="meta">日時：2027年2月6日（土）13:30〜16:00<br />'
        "会場：広島大学東千田キャンパス 未来創生センター（オンライン併用）<br />"
        "<b>締切：2027年1月29日（金）</b><br />参加費：無料<br />定員：50名（先着順）<br />"
        "対象：県内の製造業の経営者・技術者<br />"
        "主催：[学] 国立大学法人広島大学（広島県）／共催：[産] 中国経済連合会（広島県）<br />"
    )
    assert meta in html
    assert (
        '<div style="margin-top:4px">製造業の現場で生成AIを使いこなすためのセミナーです。'
        " 講師は県内企業の導入担当者です。</div>"
    ) in html
    for once in ("2027年2月6日", "未来創生センター", "50名", "参加費"):
        assert html.count(once) == 1, once
    assert "開催日：" not in html and "申込締切" not in html
    assert "読み取りました" not in html  # fact notes are for the reviewer only


def test_card_without_facts_shows_no_empty_lines() -> None:
    bare = replace(
        SEMINAR,
        starts_at=None, ends_at=None, venue=None, deadline_at=None, online=None,
        fee=None, capacity=None, audience=None, summary="会員向けのお知らせです。",
    )  # fmt: skip
    assert card_facts(bare) == []
    text = render_issue(_one_item_issue(bare)).text
    lines = _card_lines(text, "【2/6開催】")
    assert lines[1:3] == ["  イベント・セミナー", "  主催：[学] 国立大学法人広島大学（広島県）"]
    assert "  会員向けのお知らせです。" in lines


@pytest.mark.parametrize(
    ("venue", "online", "expected"),
    [
        ("コンベックス岡山", None, "コンベックス岡山"),
        (None, None, None),
        ("  ", None, None),
        (None, "online", "オンライン"),
        ("Zoom", "online", "オンライン（Zoom）"),
        ("オンライン（Zoom）", "online", "オンライン（Zoom）"),
        ("広島大学", "hybrid", "広島大学（オンライン併用）"),
        (None, "hybrid", "オンライン併用"),
        ("広島大学（Zoom併用）", "hybrid", "広島大学（Zoom併用）"),
    ],
)
def test_venue_line_carries_the_online_mark(
    venue: str | None, online: str | None, expected: str | None
) -> None:
    assert venue_text(venue, online) == expected


@pytest.mark.parametrize(
    ("summary", "shown", "expected"),
    [
        # one-line summaries (whitespace collapsed by normalise)
        (
            "セミナーを開催します。 日時：2月6日（金） 13:30～16:00 会場：広島市 詳細はWebで。",
            {"date": "", "venue": "広島市"},
            "セミナーを開催します。 詳細はWebで。",
        ),
        # a session qualifier after the time goes with it (no stray 「初回）」)
        (
            "実践的に学ぶプログラムです。 日時：1月20日（水）18:00～20:00（初回）",
            {"date": ""},
            "実践的に学ぶプログラムです。",
        ),
        (
            "講座です。 日時：1月15日・22日・29日 各回18:30～20:30 会場：鳥取大学",
            {"date": ""},
            "講座です。 会場：鳥取大学",
        ),
        # a fact the card does not show stays in the summary
        (
            "セミナーを開催します。 日時：2月6日（金） 会場：広島市",
            {"date": ""},
            "セミナーを開催します。 会場：広島市",
        ),
        # lines, bullets and bracketed labels
        (
            "【日時】2月6日（金）13:30～\n■会場：オンライン（Zoom）\n・締切：3月6日17時必着\n内容：講演",
            {"date": "", "venue": "", "deadline": ""},
            "内容：講演",
        ),
        # a venue with a space is removed whole when it is the shown venue
        (
            "開催場所：東千田キャンパス 未来創生センター 参加無料",
            {"venue": "東千田キャンパス 未来創生センター"},
            "参加無料",
        ),
        # prose that merely contains a label word is kept
        (
            "対象企業を募集します。会場の都合により定員は先着順です。",
            {"audience": "中小企業", "venue": "広島", "capacity": "30名"},
            "対象企業を募集します。会場の都合により定員は先着順です。",
        ),
        # a date label whose value is not a date is kept
        (
            "日時：未定（決まり次第お知らせします）",
            {"date": ""},
            "日時：未定（決まり次第お知らせします）",
        ),
        ("参加費：3,000円（資料代）。 定員：30名", {"fee": "3,000円", "capacity": "30名"}, ""),
        ("", {"date": ""}, ""),
    ],
)
def test_summary_without_facts(summary: str, shown: dict[str, str], expected: str) -> None:
    assert summary_without_facts(summary, shown) == expected


def test_summary_facts_are_removed_only_when_the_card_shows_them() -> None:
    no_dates = replace(SEMINAR, starts_at=None, ends_at=None, deadline_at=None)
    assert card_summary(no_dates) == (
        "製造業の現場で生成AIを使いこなすためのセミナーです。"
        " 開催日：2027年2月6日（土）13:30～16:00 申込締切：1月29日（金）"
        " 講師は県内企業の導入担当者です。"
    )


# --- Japanese line breaking in the HTML --------------------------------------------------


def test_headings_and_titles_wrap_between_budoux_phrases() -> None:
    assert phrase_markup("連携ハイライト（機関・地域をまたぐ取組）") == (
        f"{KEEP_ALL}連携ハイライト{ZWSP}（機関・{ZWSP}地域を{ZWSP}またぐ{ZWSP}取組）</span>"
    )
    assert phrase_markup("<b>&") == "&lt;b&gt;&amp;"  # one phrase: escaped, no span
    assert phrase_markup(f"会場{ZWSP}案内") == "会場案内"
    issue = replace(
        _one_item_issue(SEMINAR),
        sections=(
            Section("collaboration", "連携ハイライト（機関・地域をまたぐ取組）", (SEMINAR,)),
        ),
    )
    html = render_issue(issue).html
    heading = phrase_markup("連携ハイライト（機関・地域をまたぐ取組）")
    assert f'padding-bottom:6px">{heading}</div>' in html  # the section heading
    assert f'<a href="#sec-collaboration">{heading}</a>' in html  # the table of contents
    assert f'<a href="{SEMINAR.url}">{phrase_markup(SEMINAR.title)}</a>' in html


def test_zero_width_spaces_stay_inside_keep_all_spans_and_out_of_text_and_subject() -> None:
    rendered = render_issue(_one_item_issue(SEMINAR))
    outside = re.sub(rf"{re.escape(KEEP_ALL)}[^<]*(?:<(?!/span>)[^<]*)*</span>", "", rendered.html)
    assert rendered.html.count(ZWSP) >= 4
    assert ZWSP not in outside
    assert ZWSP not in rendered.text
    assert ZWSP not in rendered.subject
    title_tag = re.search(r"<title>(.*?)</title>", rendered.html, re.S)
    assert title_tag and ZWSP not in title_tag.group(1)


# --- facts from the warehouse row, and the reviewer's view of their notes ----------------


def test_item_built_from_a_candidate_row_carries_the_facts() -> None:
    row = {
        "activity_id": "a1", "title": "DXセミナー", "summary": "本文", "category": "event",
        "url": "https://example.jp/a1", "member_id": "aca-13", "member_name": "広島大学",
        "sector": "academia", "prefecture": "広島県", "contact": None, "organisers": None,
        "starts_at": None, "ends_at": None, "all_day": True, "venue": "Zoom",
        "deadline_at": None, "published_at": None, "online": "online", "fee_text": "無料",
        "capacity_text": "100名", "audience_text": "どなたでも",
        "fact_notes": "会場は本文の「会場：Zoom」から読み取りました",
    }  # fmt: skip
    item = _item(row)
    assert (item.online, item.fee, item.capacity, item.audience) == (
        "online", "無料", "100名", "どなたでも",
    )  # fmt: skip
    assert item.fact_notes == "会場は本文の「会場：Zoom」から読み取りました"
    assert card_facts(item) == [
        ("会場", "オンライン（Zoom）"), ("参加費", "無料"),
        ("定員", "100名"), ("対象", "どなたでも"),
    ]  # fmt: skip
    for column in ("online", "fee_text", "capacity_text", "audience_text", "fact_notes"):
        del row[column]  # a frame without the facts columns still builds items
    assert _item(row).fee is None


def test_preview_page_lists_fact_notes_for_the_reviewer(tmp_path: Path) -> None:
    rendered = render_issue(_one_item_issue(SEMINAR))
    draft = Draft(
        "2026-11", "draft", rendered.subject, rendered.html, rendered.text, "0" * 64,
        fact_notes=(("ev-0100", SEMINAR.title, SEMINAR.fact_notes or ""),),
    )  # fmt: skip
    page = write_preview(draft, tmp_path, "https://example.jp/unsubscribe").read_text()
    assert (
        "<h2>本文から読み取った項目（確認用・メールには載りません）</h2>\n<ul>\n"
        " <li><strong>【2/6開催】DX推進セミナー～生成AIの業務活用（製造業編）～</strong>"
        "（<code>ev-0100</code>）"
        "<br>・開催日は本文の「開催日：2027年2月6日（土）13:30～16:00」から読み取りました"
        "<br>・締切は本文の「申込締切：1月29日（金）」から読み取りました</li>\n</ul>"
    ) in page
    bare = Draft("2026-11", "draft", rendered.subject, rendered.html, rendered.text, "0" * 64)
    assert (
        "本文から読み取った項目" not in write_preview(bare, tmp_path, "https://x.jp/u").read_text()
    )


@pytest.mark.parametrize(
    ("status", "shown", "command"),
    [
        (
            "draft",
            "下書き（未承認）",
            "承認：<code>renkei approve 2026-11 --by 氏名 --sha 000000000000</code>",
        ),
        ("approved", "承認済み（未送信）", "送信：<code>renkei send 2026-11</code>"),
        ("sent", "配信済み", None),
    ],
)
def test_preview_page_shows_the_status_in_japanese_and_the_next_command_only(
    tmp_path: Path, status: str, shown: str, command: str | None
) -> None:
    rendered = render_issue(_one_item_issue(SEMINAR))
    draft = Draft("2026-11", status, rendered.subject, rendered.html, rendered.text, "0" * 64)
    page = write_preview(draft, tmp_path, "https://example.jp/unsubscribe").read_text()
    assert f'<div>状態：<strong id="status">{shown}</strong>　号：2026-11</div>' in page
    assert f"状態：{status}" not in page
    if command:
        assert f" <div>{command}</div>\n" in page
    assert page.count("renkei approve") == (1 if status == "draft" else 0)
    assert page.count("renkei send") == (1 if status == "approved" else 0)


def test_separate_session_days_show_as_their_schedule_not_one_range() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from renkei.newsletter.card_facts import card_facts
    from renkei.newsletter.model import Item

    jst = ZoneInfo("Asia/Tokyo")
    item = Item(
        activity_id="a1",
        title="Ruby講座",
        summary="",
        url=None,
        category="training",
        organisers=(),
        starts_at=datetime(2026, 12, 19, 9, 30, tzinfo=jst),
        ends_at=datetime(2027, 1, 16, 16, 0, tzinfo=jst),
        schedule="全2回（12月19日・1月16日）各日9:30～16:00",
    )
    assert card_facts(item)[0] == ("日時", "全2回（12月19日・1月16日）各日9:30～16:00")
