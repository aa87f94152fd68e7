"""Rendering an Issue into the newsletter's HTML (MJML) and plain-text parts."""

from __future__ import annotations

import html as html_lib
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from newsletter_samples import ISSUER, JST, bulk_issue, sample_issue, sample_items

from renkei.newsletter.dates_ja import (
    jp_date,
    jp_datetime_range,
    jp_deadline,
    jp_month_label,
    jp_period,
)
from renkei.newsletter.model import Item, Organiser, Section
from renkei.newsletter.render import (
    MAX_HTML_BYTES,
    RECIPIENT_MARKER,
    UNSUBSCRIBE_MARKER,
    NewsletterTooLarge,
    get_environment,
    render_issue,
    render_mjml,
    validate_links,
)
from renkei.newsletter.textwrap_ja import display_width, is_single_url

TEMPLATES = Path(__file__).resolve().parents[1] / "newsletter_templates"
HREF_RE = re.compile(r'href="([^"]*)"')


@pytest.fixture(scope="module")
def sample():
    return render_issue(sample_issue())


def all_items(issue):
    return [it for s in issue.sections for it in s.items]


def visible(html: str) -> str:
    """The HTML without the U+200B that titles and headings carry between their phrases."""
    return html.replace("\u200b", "")


# --- the HTML part -----------------------------------------------------------------------


def test_sample_renders_with_header_and_every_item(sample) -> None:
    issue = sample_issue()
    html = sample.html
    assert sample.subject == issue.subject
    assert html.startswith("<!doctype html>")
    assert '<html lang="ja"' in html
    assert issue.title in html
    assert "第12号" in html
    assert "2026年11月号" in html
    assert "期間 2026年11月1日〜11月30日" in html
    assert issue.preheader in html  # mj-preview
    assert f"<title>{issue.subject}</title>" in html
    for item in all_items(issue):
        assert html_lib.escape(item.title, quote=False) in visible(html), item.title
    size = len(html.encode("utf-8"))
    print(f"sample issue HTML: {size:,} bytes")
    assert size < 40_000


def test_editorial_shown_with_line_breaks_and_omitted_when_absent(sample) -> None:
    assert "巻頭言" in sample.html
    assert re.search(r"ご紹介します。<br ?/?>共同研究", sample.html)
    assert "巻頭言" not in render_issue(sample_issue(editorial=None)).html


def test_greeting_carries_the_recipient_marker(sample) -> None:
    assert f"{RECIPIENT_MARKER} ご担当者様" in sample.html
    assert sample.text.startswith(f"{RECIPIENT_MARKER} ご担当者様\n")


def test_footer_shows_what_the_mail_law_requires(sample) -> None:
    html = sample.html
    footer = html[html.index("発行：") :]
    assert ISSUER.name in footer
    assert ISSUER.postal_address in footer
    assert f'<a href="mailto:{ISSUER.contact_email}">{ISSUER.contact_email}</a>' in footer
    assert f'<a href="{ISSUER.website}">' in footer
    # The refusal statement sits immediately before the refusal link.
    assert f'配信停止をご希望の方は、こちらから手続きできます：<a href="{UNSUBSCRIBE_MARKER}">' in (
        footer
    )


def test_markers_survive_mjml_verbatim(sample) -> None:
    assert UNSUBSCRIBE_MARKER == "%%UNSUBSCRIBE_URL%%"
    assert RECIPIENT_MARKER == "%%RECIPIENT_NAME%%"
    assert f'href="{UNSUBSCRIBE_MARKER}"' in sample.html
    assert sample.html.count(RECIPIENT_MARKER) == 1
    assert "%25%25" not in sample.html


def test_no_mjml_tags_leak_and_no_images(sample) -> None:
    assert "<mj-" not in sample.html
    assert "</mj-" not in sample.html
    assert "<img" not in sample.html.lower()
    assert "src=" not in sample.html.lower()


def test_every_href_is_https_mailto_anchor_or_marker(sample) -> None:
    hrefs = HREF_RE.findall(sample.html)
    assert hrefs
    assert validate_links(sample.html) == []
    for href in hrefs:
        assert href.startswith(("https://", "mailto:", "#")) or href == UNSUBSCRIBE_MARKER, href


def test_toc_links_to_each_section_anchor(sample) -> None:
    issue = sample_issue()
    toc = re.findall(r'href="#([^"]+)"', sample.html)
    assert toc == ["sec-events", "sec-calls", "sec-news", "sec-training"]
    for anchor in toc:
        assert f'id="{anchor}"' in sample.html
    assert "目次" in sample.html
    # The number shown in this mail (3), not 3 + ほか 4 件.
    assert "開催予定のイベント</span></a>（3件）" in visible(sample.html)
    for s in issue.sections:
        assert s.title in visible(sample.html)


def test_empty_sections_are_left_out() -> None:
    issue = sample_issue()
    issue = replace(issue, sections=(*issue.sections, Section("empty", "空のセクション", ())))
    r = render_issue(issue)
    assert "空のセクション" not in r.html
    assert "空のセクション" not in r.text


def test_more_link_when_items_were_cut(sample) -> None:
    url = "https://www.collabo-center.example.jp/data/events?issue=2026-11"
    # Says where the link really leads: the open data's activity list, not "こちら".
    assert f'ほか4件は<a href="{url}">公開データ</a>の活動一覧（CSV・JSON）でご覧いただけます' in (
        sample.html
    )
    assert (
        "  ほか4件は公開データの活動一覧（CSV・JSON）でご覧いただけます：\n  " + url + "\n"
    ) in sample.text


def test_every_count_the_reader_sees_is_the_number_of_items_in_the_mail(sample) -> None:
    # 3 + 2 + 2 + 3 items shown; the events section also has ほか 4 件 that the mail
    # does not carry, so they are counted nowhere but in their own footer line.
    assert "2026年11月号の会員機関の活動情報（10件）をお届けします。" in sample.text
    assert "活動情報（10件）をお届けします。" in sample.html
    assert (
        "【目次】\n1. 開催予定のイベント（3件）\n2. 公募・助成（2件）\n"
        "3. お知らせ・成果（2件）\n4. 人材育成・研修ほか（3件）\n"
    ) in sample.text
    toc = re.findall(r'<a href="#sec-[^"]+">.*?</a>（(\d+)件）', visible(sample.html))
    assert toc == ["3", "2", "2", "3"]
    assert "（7件）" not in sample.text and "（7件）" not in sample.html


def test_item_card_details(sample) -> None:
    html = sample.html
    assert "イベント・セミナー" in html and "公募・助成" in html and "成功事例" in html
    assert "再掲" in html
    assert "日時：2026年12月5日（土）13:30〜16:00" in html
    assert "日時：2026年12月10日（木）〜12月11日（金）" in html  # all-day range, no time
    assert "日時：2026年12月24日（木）14:00〜" in html  # start only
    assert "会場：広島大学東千田キャンパス 未来創生センター" in html
    assert "締切：2026年11月28日（土）" in html
    assert "締切：2026年12月20日（日）17:00" in html
    assert "[学] 国立大学法人広島大学（広島県）" in html
    assert "[産] 中国経済連合会（広島県）" in html
    assert "[金] 株式会社山陰合同銀行（島根県）" in html
    assert "[官] 岡山県（岡山県）" in html
    assert (
        '問い合わせ：国立大学法人広島大学 <a href="mailto:sangaku@hiroshima-u.example.jp">'
        "sangaku@hiroshima-u.example.jp</a>"
    ) in html
    assert "問い合わせ：中国経済連合会 082-000-0000" in html  # a phone number is not linked
    assert '<a href="https://www.pref.okayama.example.jp/sangyo/">' in html
    assert '<a href="https://www.hiroshima-u.example.jp/news/forum2026">' in html
    # An item with no url shows its title unlinked.
    assert (
        'margin:2px 0 4px"><span style="word-break:keep-all;overflow-wrap:anywhere">'
        "金融機関職員向け 目利き力向上研修</span></div>"
    ) in visible(html)


def test_look_japanese_fonts_accent_and_mobile_column(sample) -> None:
    html = sample.html
    assert "Hiragino Kaku Gothic ProN" in html and "Meiryo" in html and "sans-serif" in html
    assert 'name="viewport"' in html
    assert "mj-column-per-100" in html  # one full-width column, stacks on phones
    assert "#0b5a8a" in html


def test_autoescape_in_html_but_not_in_text() -> None:
    evil = "<script>alert('x')</script> & 〈特集〉"
    issue = sample_issue()
    first = replace(issue.sections[0].items[0], title=evil, summary="a < b & c")
    sections = (replace(issue.sections[0], items=(first,)), *issue.sections[1:])
    r = render_issue(replace(issue, sections=sections, editorial="<b>太字</b>"))
    assert "<script>" not in r.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 〈特集〉" in visible(r.html)
    assert "a &lt; b &amp; c" in r.html
    assert "&lt;b&gt;太字&lt;/b&gt;" in r.html
    # text/plain is not HTML: it shows the characters as typed.
    assert evil in r.text
    assert "a < b & c" in r.text


def test_templates_autoescape_per_extension() -> None:
    env = get_environment()
    assert env.get_template("layout.mjml.j2").environment.autoescape("layout.mjml.j2")
    assert env.autoescape("partials/item_card.mjml.j2") is True
    assert env.autoescape("newsletter.txt.j2") is False
    assert get_environment() is env  # cached


def test_importing_render_reads_no_template_files() -> None:
    code = (
        "import renkei.newsletter.render as r;"
        "assert r.get_environment.cache_info().currsize == 0;"
        "assert r._templates_dir.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=TEMPLATES.parent)


def test_all_template_files_exist() -> None:
    names = ["layout.mjml.j2", "newsletter.txt.j2"] + [
        f"partials/{n}.mjml.j2" for n in ("header", "toc", "section", "item_card", "footer")
    ]
    for name in names:
        assert (TEMPLATES / name).is_file(), name
    # includes, not mj-include
    assert "mj-include" not in render_mjml(sample_issue())


# --- links -------------------------------------------------------------------------------


def test_validate_links_lists_offenders() -> None:
    html = (
        '<a href="https://ok.example.jp/">a</a><a href="mailto:a@b.jp">b</a>'
        f'<a href="{UNSUBSCRIBE_MARKER}">c</a><a href="#sec-events">d</a>'
        '<a href="http://insecure.example.jp/">e</a><a href="javascript:alert(1)">f</a>'
        '<a href=\'/relative\'>g</a><a href="">h</a><a href="https://">i</a>'
        '<a href="https://ok.example.jp/?a=1&amp;b=2">j</a>'
    )
    assert validate_links(html) == [
        "http://insecure.example.jp/",
        "javascript:alert(1)",
        "/relative",
        "",
        "https://",
    ]


@pytest.mark.parametrize("url", ["http://www.example.jp/old", "javascript:alert(1)", "/x"])
def test_render_refuses_non_https_item_links(url: str) -> None:
    issue = sample_issue()
    first = replace(issue.sections[0].items[0], url=url)
    sections = (replace(issue.sections[0], items=(first,)), *issue.sections[1:])
    with pytest.raises(ValueError, match=re.escape(url)):
        render_issue(replace(issue, sections=sections))


def test_http_contact_is_shown_as_text_not_refused() -> None:
    org = Organiser("gov-99", "某市", "government", "広島県", "http://www.city.example.jp/")
    item = replace(sample_items()["news"][0], organisers=(org,))
    issue = sample_issue(sections=(Section("news", "お知らせ", (item,)),))
    r = render_issue(issue)
    assert "問い合わせ：某市 http://www.city.example.jp/" in r.html


def test_contact_text_is_escaped_around_a_linked_address() -> None:
    from renkei.newsletter.render import contact_markup

    assert str(contact_markup("<b>窓口</b> info@cci.example.jp & 086-000-0000")) == (
        '&lt;b&gt;窓口&lt;/b&gt; <a href="mailto:info@cci.example.jp">info@cci.example.jp</a>'
        " &amp; 086-000-0000"
    )
    assert str(contact_markup("https://www.example.jp/contact")) == (
        '<a href="https://www.example.jp/contact">お問い合わせページ</a>'
    )


@pytest.mark.parametrize(
    ("name", "contact", "line"),
    [
        ("岡山県商工会議所連合会", "岡山県商工会議所連合会 事業推進課 info@cci.example.jp",
         "問い合わせ：岡山県商工会議所連合会 事業推進課 info@cci.example.jp"),
        ("国立大学法人鳥取大学", "鳥取大学 研究推進機構 082-000-0000",
         "問い合わせ：鳥取大学 研究推進機構 082-000-0000"),
        ("(公財)ちゅうごく産業創造センター", "ちゅうごく産業創造センター　０８２－０００－００００",
         "問い合わせ：ちゅうごく産業創造センター　０８２－０００－００００"),
        ("岡山県", "産業振興課 086-000-0000", "問い合わせ：岡山県 産業振興課 086-000-0000"),
    ],
)  # fmt: skip
def test_a_contact_that_names_its_organiser_does_not_repeat_the_name(
    name: str, contact: str, line: str
) -> None:
    org = Organiser("ind-99", name, "industry", "岡山県", contact)
    item = replace(sample_items()["news"][0], organisers=(org,))
    r = render_issue(sample_issue(sections=(Section("news", "お知らせ", (item,)),)))

    assert f"  {line}\n" in r.text
    linked = line.replace(
        "info@cci.example.jp", '<a href="mailto:info@cci.example.jp">info@cci.example.jp</a>'
    )  # an address inside the contact text is a link in the HTML part
    assert f"{linked}<br />" in r.html


# --- size ----------------------------------------------------------------------------------


def test_typical_30_item_issue_stays_under_the_gmail_clip_limit() -> None:
    r = render_issue(bulk_issue(30))
    size = len(r.html.encode("utf-8"))
    print(f"30-item issue HTML: {size:,} bytes ({size / MAX_HTML_BYTES:.0%} of the limit)")
    assert size < MAX_HTML_BYTES
    assert size < 70_000  # leave room for longer summaries and per-recipient substitution


def test_the_size_check_counts_consult_links_at_their_sent_length() -> None:
    """The compiled HTML carries a short marker per item; each reader's message carries a
    link of some 200 bytes there. A bulletin that fits only with the markers is refused."""
    from renkei.core.consult_link import link_maker
    from renkei.newsletter.render import CONSULT_LINK_BYTES, CONSULT_MARKER, render_html

    linked = replace(bulk_issue(60), extra={"consult": "1"})
    compiled = len(render_html(linked).encode("utf-8"))
    assert compiled < MAX_HTML_BYTES  # the markers alone would pass
    with pytest.raises(NewsletterTooLarge) as err:
        render_issue(linked)
    markers = [m.group(0) for m in CONSULT_MARKER.finditer(render_html(linked))]
    assert len(markers) == 60
    assert err.value.size == compiled + sum(CONSULT_LINK_BYTES - len(m) for m in markers)
    assert err.value.section_bytes > 15 * CONSULT_LINK_BYTES  # its 15 links counted too
    render_issue(bulk_issue(60))  # the same items without links fit
    sent = link_maker("k" * 48, "https://renkei.chugoku-sangakukan.example.jp",
                      "member.of.the.secretariat@example.ac.jp", "2026-12")  # fmt: skip
    assert len(sent("0123456789abcdef0123")) <= CONSULT_LINK_BYTES


def test_oversized_issue_names_its_largest_section() -> None:
    big = bulk_issue(200, sections=1).sections[0]
    big = replace(big, key="events", title="開催予定のイベント")
    issue = sample_issue()
    issue = replace(issue, sections=(big, *issue.sections[1:]))
    with pytest.raises(NewsletterTooLarge) as info:
        render_issue(issue)
    err = info.value
    assert err.size > MAX_HTML_BYTES == err.limit
    assert err.section_key == "events"
    assert err.section_items == 200
    assert err.section_bytes > MAX_HTML_BYTES // 2
    msg = str(err)
    assert "「開催予定のイベント」（200件" in msg
    assert "上限を下げてください" in msg
    assert "'events'" in msg and "lower that section's cap" in msg


def test_size_limit_is_a_parameter() -> None:
    with pytest.raises(NewsletterTooLarge):
        render_issue(sample_issue(), max_bytes=10_000)


# --- the text part -------------------------------------------------------------------------


def test_text_lines_fit_70_columns_except_lone_urls(sample) -> None:
    long_url = "https://www.example.jp/" + "path/" * 20 + "?id=1"
    issue = sample_issue()
    first = replace(
        issue.sections[0].items[0],
        url=long_url,
        summary="とても長い説明文です。" * 12 + f"詳細は {long_url} をご覧ください。",
    )
    sections = (replace(issue.sections[0], items=(first,)), *issue.sections[1:])
    for text in (sample.text, render_issue(replace(issue, sections=sections)).text):
        for line in text.splitlines():
            if is_single_url(line):
                continue
            assert display_width(line, ambiguous_width=1) <= 70, line
            assert display_width(line) <= 70, line
        for line in text.splitlines()[1:]:
            assert not line.lstrip().startswith(("。", "、", "」", "）")), line
    long_text = render_issue(replace(issue, sections=sections)).text
    assert f"  {long_url}" in long_text.splitlines()


SYMPOSIUM = "鳥取大学 産学官連携シンポジウム2026「乾燥地研究が拓く地域産業の未来」"


def test_a_wrapped_card_title_hangs_under_the_title_and_leaves_no_short_tail() -> None:
    issue = sample_issue()
    card = replace(issue.sections[0].items[0], title=SYMPOSIUM)
    sections = (replace(issue.sections[0], items=(card,)), *issue.sections[1:])
    lines = render_issue(replace(issue, sections=sections)).text.splitlines()
    at = lines.index("◇ 鳥取大学 産学官連携シンポジウム2026「乾燥地研究が拓く")
    assert lines[at + 1] == "   地域産業の未来」"  # under the title text, not 「未来」」 alone
    assert lines[at + 2] == "  イベント・セミナー"


def test_text_urls_are_whole(sample) -> None:
    lines = sample.text.splitlines()
    for item in all_items(sample_issue()):
        if item.url:
            assert f"  {item.url}" in lines, item.url


def test_text_content_and_footer(sample) -> None:
    text = sample.text
    assert "中国地域産学官連携通信" in text
    assert "第12号　2026年11月号" in text
    assert "■ 開催予定のイベント\n" + "━" * 35 + "\n" in text
    assert "◇ ものづくり技術展示商談会 in 岡山【再掲】" in text
    assert "  日時：2026年12月5日（土）13:30〜16:00" in text
    assert "  締切：2026年12月20日（日）17:00" in text
    assert "  問い合わせ：国立大学法人広島大学 sangaku@hiroshima-u.example.jp" in text
    assert "【目次】\n1. 開催予定のイベント（3件）\n" in text
    assert f"発行：{ISSUER.name}" in text
    assert f"所在地：{ISSUER.postal_address}" in text
    assert f"お問い合わせ：{ISSUER.contact_email}" in text
    assert text.endswith(
        f"配信停止をご希望の方は、こちらから手続きできます：\n{UNSUBSCRIBE_MARKER}\n"
    )
    assert "\n\n\n" not in text
    assert "{{" not in text and "{%" not in text


# --- dates ---------------------------------------------------------------------------------


def _jst(*a: int) -> datetime:
    return datetime(*a, tzinfo=JST)


@pytest.mark.parametrize(
    ("start", "end", "all_day", "expected"),
    [
        (
            _jst(2026, 12, 5, 13, 30),
            _jst(2026, 12, 5, 16, 0),
            False,
            "2026年12月5日（土）13:30〜16:00",
        ),
        (_jst(2026, 12, 5, 13, 30), None, False, "2026年12月5日（土）13:30〜"),
        (_jst(2026, 12, 5), None, True, "2026年12月5日（土）"),
        (_jst(2026, 12, 5), _jst(2026, 12, 5), True, "2026年12月5日（土）"),
        (_jst(2026, 12, 5), _jst(2026, 12, 7), True, "2026年12月5日（土）〜12月7日（月）"),
        (_jst(2026, 12, 28), _jst(2027, 1, 5), True, "2026年12月28日（月）〜2027年1月5日（火）"),
        (
            _jst(2026, 12, 5, 13, 30),
            _jst(2026, 12, 6, 16, 0),
            False,
            "2026年12月5日（土）13:30〜12月6日（日）16:00",
        ),
        (_jst(2026, 12, 5, 9, 5), _jst(2026, 12, 4), False, "2026年12月5日（土）9:05〜"),
        (date(2026, 12, 6), None, True, "2026年12月6日（日）"),
        (None, None, True, ""),
    ],
)
def test_jp_datetime_range(start, end, all_day, expected) -> None:
    assert jp_datetime_range(start, end, all_day) == expected


def test_aware_utc_times_are_shown_in_japan_time() -> None:
    start = datetime(2026, 12, 5, 4, 30, tzinfo=UTC)
    assert jp_datetime_range(start, start + timedelta(hours=2, minutes=30), False) == (
        "2026年12月5日（土）13:30〜16:00"
    )
    # 20:00 UTC on the 4th is already the 5th in Japan.
    assert jp_date(datetime(2026, 12, 4, 20, 0, tzinfo=UTC)) == "2026年12月5日（土）"


def test_every_weekday_mark() -> None:
    marks = [jp_date(date(2026, 11, 30) + timedelta(days=i))[-3:] for i in range(7)]
    assert marks == ["（月）", "（火）", "（水）", "（木）", "（金）", "（土）", "（日）"]


def test_deadline_period_and_month_label() -> None:
    assert jp_deadline(_jst(2026, 12, 20)) == "2026年12月20日（日）"
    assert jp_deadline(_jst(2026, 12, 20, 23, 59)) == "2026年12月20日（日）"
    assert jp_deadline(_jst(2026, 12, 20, 17, 0)) == "2026年12月20日（日）17:00"
    assert jp_deadline(date(2026, 12, 20)) == "2026年12月20日（日）"
    assert jp_period(date(2026, 11, 1), date(2026, 11, 30)) == "2026年11月1日〜11月30日"
    assert jp_period(date(2026, 12, 16), date(2027, 1, 15)) == "2026年12月16日〜2027年1月15日"
    assert jp_month_label(date(2026, 11, 1), date(2026, 11, 30)) == "2026年11月号"
    assert jp_month_label(date(2026, 2, 1), date(2026, 2, 28)) == "2026年2月号"
    assert jp_month_label(date(2026, 11, 1), date(2026, 11, 15)) is None


def test_half_month_issue_shows_the_period_only() -> None:
    r = render_issue(
        sample_issue(
            period_start=date(2026, 11, 16), period_end=date(2026, 11, 30), subject="第12号"
        )
    )
    assert re.search(r"第12号<br ?/?>期間 2026年11月16日〜11月30日", r.html)
    assert "月号" not in r.html


def test_item_without_organisers_or_dates_still_renders() -> None:
    item = Item("x-1", "お知らせのみ", "", "https://example.jp/x", "unknown-category", ())
    r = render_issue(sample_issue(sections=(Section("news", "お知らせ", (item,)),)))
    assert "お知らせのみ" in r.html
    assert "その他" in r.html  # unknown category falls back to その他
    assert "主催" not in r.html and "日時" not in r.html
