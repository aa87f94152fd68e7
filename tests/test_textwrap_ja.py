"""Width-aware wrapping of Japanese plain text (35 full-width characters = 70 columns)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from renkei.newsletter.phrasing import phrases
from renkei.newsletter.textwrap_ja import (
    NO_LINE_END,
    NO_LINE_START,
    display_width,
    is_single_url,
    wrap_line,
    wrap_text,
)

LONG_URL = "https://www.example.jp/" + "very-long-path/" * 8 + "page?id=1234567890&lang=ja"


def _check_lines(lines: list[str], width: int = 70) -> None:
    for line in lines:
        if not is_single_url(line):
            assert display_width(line) <= width, line
            assert display_width(line, ambiguous_width=1) <= width, line


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("abc", 3),
        ("日本語", 6),
        ("ｺﾗﾎﾞ", 4),  # half-width katakana (incl. the half-width voiced mark) count 1
        ("ＡＢＣ１", 8),  # full-width ASCII counts 2
        ("か\u3099", 2),  # combining voiced mark counts 0
        ("2026年12月5日（土）13:30〜16:00", 31),
        ("①※", 4),  # ambiguous width: 2 by default (Japanese fonts draw them wide)
    ],
)
def test_display_width(text: str, width: int) -> None:
    assert display_width(text) == width


def test_ambiguous_width_can_be_strict() -> None:
    assert display_width("①※━", ambiguous_width=1) == 3


def test_short_lines_are_left_exactly_as_they_are() -> None:
    line = "  主催：[学] 国立大学法人広島大学（広島県）  "
    assert wrap_line(line) == [line]
    text = "一行目\n\n  二行目\n"
    assert wrap_text(text) == text


def test_long_japanese_line_wraps_at_35_full_width_characters() -> None:
    line = "あ" * 100
    lines = wrap_line(line)
    assert lines == ["あ" * 35, "あ" * 35, "あ" * 30]
    _check_lines(lines)


def test_wrapping_loses_no_characters() -> None:
    line = (
        "地域企業と大学・高専等との共同研究に対し、1件あたり上限300万円を助成します。"
        "対象経費、申請様式などの詳細は募集要項をご確認ください。Society 5.0 の実現に向け、"
        "DX（デジタルトランスフォーメーション）に取り組む企業を募集します。"
    )
    lines = wrap_line(line)
    assert len(lines) > 1
    _check_lines(lines)
    assert "".join(lines).replace(" ", "") == line.replace(" ", "")


def test_long_url_stays_whole_on_its_own_line() -> None:
    line = f"詳しくは {LONG_URL} をご覧ください。"
    lines = wrap_line(line)
    assert LONG_URL in lines
    assert lines[0] == "詳しくは"
    assert lines[-1] == "をご覧ください。"
    _check_lines(lines)


def test_url_is_never_broken_even_when_it_would_fit_partly() -> None:
    url = "https://www.example.jp/event/2026/forum?id=42"
    for k in range(0, 40):
        line = "あ" * k + url + "を参照。"
        lines = wrap_line(line, width=40)
        assert any(url in part for part in lines), (k, lines)
        _check_lines(lines, width=40)


def test_url_line_of_exactly_a_lone_url_is_exempt() -> None:
    assert wrap_line(LONG_URL) == [LONG_URL]
    assert is_single_url("  " + LONG_URL)
    assert is_single_url("mailto:info@example.jp")
    assert is_single_url("%%UNSUBSCRIBE_URL%%")
    assert not is_single_url("詳しくは " + LONG_URL)


def test_markers_and_mail_links_are_unbreakable() -> None:
    for k in range(25, 40):
        line = "あ" * k + "mailto:sangaku@hiroshima-u.example.jp" + "%%UNSUBSCRIBE_URL%%"
        lines = wrap_line(line)
        joined = "\n".join(lines)
        assert "mailto:sangaku@hiroshima-u.example.jp" in joined
        assert "%%UNSUBSCRIBE_URL%%" in joined


@pytest.mark.parametrize("k", range(25, 40))
@pytest.mark.parametrize("tail", ["。", "、", "」", "）", "」。", "ー"])
def test_kinsoku_no_line_starts_with_closing_punctuation(k: int, tail: str) -> None:
    line = "あ" * k + "「い」" + "う" * (34 - k) + tail + "え" * 20
    lines = wrap_line(line)
    _check_lines(lines)
    for part in lines[1:]:
        assert part[0] not in NO_LINE_START, lines
    assert "".join(lines) == line


@pytest.mark.parametrize("k", range(28, 40))
@pytest.mark.parametrize("opener", ["「", "（", "『"])
def test_kinsoku_no_line_ends_with_opening_bracket(k: int, opener: str) -> None:
    line = "か" * k + opener + "かっこ内の語" + "き" * 40
    lines = wrap_line(line)
    _check_lines(lines)
    for part in lines[:-1]:
        assert part[-1] not in NO_LINE_END, lines
    assert "".join(lines) == line


def test_exact_kinsoku_case_moves_the_last_character_down() -> None:
    line = "あ" * 35 + "。次の文です。"
    assert wrap_line(line) == ["あ" * 34, "あ。次の文です。"]


def test_latin_words_are_kept_whole() -> None:
    line = "あ" * 33 + "Society 5.0 を目指して"
    lines = wrap_line(line)
    assert lines[0] == "あ" * 33
    assert lines[1].startswith("Society 5.0")


def test_over_long_plain_word_is_hard_broken_to_fit() -> None:
    word = "A" * 150
    lines = wrap_line(word)
    assert lines == ["A" * 70, "A" * 70, "A" * 10]


def test_hanging_indent_is_repeated_but_full_width_indent_is_not() -> None:
    lines = wrap_line("  " + "い" * 60)
    assert lines == ["  " + "い" * 34, "  " + "い" * 26]
    lines = wrap_line("\u3000" + "う" * 60)
    assert lines == ["\u3000" + "う" * 34, "う" * 26]


def test_wrap_text_preserves_blank_lines_and_wraps_each_line() -> None:
    text = "見出し\n\n" + "え" * 50 + "\n短い行\n"
    assert wrap_text(text) == "見出し\n\n" + "え" * 35 + "\n" + "え" * 15 + "\n短い行\n"


# --- words are not broken: lines break between BudouX phrases ----------------------------

SENTENCE = (
    "詳細は募集要項をご確認のうえ、所定の申込書に必要事項を記入し、"
    "当日の会場受付までご提出ください。"
)


@pytest.mark.parametrize("width", range(20, 41))
def test_lines_break_only_between_phrases_so_words_stay_whole(width: int) -> None:
    lines = wrap_line(SENTENCE, width=width)
    _check_lines(lines, width=width)
    assert "".join(lines) == SENTENCE
    ends, pos = set(), 0
    for phrase in phrases(SENTENCE):
        pos += len(phrase)
        ends.add(pos)
    pos = 0
    for line in lines:
        pos += len(line)
        assert pos in ends, lines
    assert not any(a.endswith("会") and b.startswith("場") for a, b in pairwise(lines))


def test_card_line_wraps_between_phrases_with_its_indent() -> None:
    line = "  会場：広島大学東千田キャンパス 未来創生センター（広島市中区東千田町1-1-89）大会議室"
    assert wrap_line(line) == [
        "  会場：広島大学東千田キャンパス 未来創生センター（広島市中区",
        "  東千田町1-1-89）大会議室",
    ]


def test_a_phrase_wider_than_the_line_falls_back_to_characters() -> None:
    text = "国際産学連携インキュベーションマネジメントプログラム"
    assert phrases(text) == ["国際産学連携インキュベーションマネジメント", "プログラム"]
    assert wrap_line(text, width=20) == [
        "国際産学連携インキュ",
        "ベーションマネジメン",
        "トプログラム",
    ]


def test_wrapped_text_has_no_zero_width_space() -> None:
    assert "\u200b" not in wrap_text(SENTENCE * 3)


# --- list marks hang; a short tail takes the phrase before it -----------------------------

SYMPOSIUM = "◇ 鳥取大学 産学官連携シンポジウム2026「乾燥地研究が拓く地域産業の未来」"


def test_a_marked_title_hangs_under_its_text_and_carries_its_last_phrase_down() -> None:
    assert wrap_line(SYMPOSIUM) == [
        "◇ 鳥取大学 産学官連携シンポジウム2026「乾燥地研究が拓く",
        "   地域産業の未来」",
    ]


def test_numbered_lines_hang_under_the_text_after_the_number() -> None:
    line = "1. " + "連携ハイライト（機関・地域をまたぐ取組）" * 2
    assert wrap_line(line) == [
        "1. 連携ハイライト（機関・地域をまたぐ取組）連携ハイライト（機関・",
        "   地域をまたぐ取組）",
    ]


def test_a_short_last_line_stays_when_no_phrase_would_lengthen_it() -> None:
    line = "あ" * 36  # one phrase wider than the line: no phrase to carry down
    assert wrap_line(line) == ["あ" * 35, "あ"]


def test_phrases_never_split_a_number() -> None:
    from itertools import pairwise

    from renkei.newsletter.phrasing import phrases

    parts = phrases("2026年12月の産学官連携シンポジウム2026")
    assert "".join(parts) == "2026年12月の産学官連携シンポジウム2026"
    assert not any(a[-1:].isdigit() and b[:1].isdigit() for a, b in pairwise(parts))
