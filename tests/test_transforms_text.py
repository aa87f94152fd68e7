"""transforms.text: display text, match keys, summaries, member-name keys."""

from __future__ import annotations

import unicodedata

import polars as pl
import pytest

from transforms.text import (
    INVISIBLE_RANGES,
    display_text,
    match_key,
    member_name_key,
    strip_invisible,
    strip_invisible_text,
    summarize,
)


def _apply(expr_fn, values: list[str | None]) -> list[str | None]:
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return df.select(expr_fn(pl.col("v")))["v"].to_list()


def _one(expr_fn, value: str | None) -> str | None:
    return _apply(expr_fn, [value])[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ｾﾐﾅｰ", "セミナー"),
        ("ﾀﾞｲｶﾞｸ ﾊﾟﾝﾌﾚｯﾄ", "ダイガク パンフレット"),
        ("ｳﾞｧｲｵﾘﾝ", "ヴァイオリン"),
        ("ｺﾗﾎﾞﾚｰｼｮﾝ｡", "コラボレーション。"),
        ("２０２６年度ＡＢＣ", "2026年度ABC"),
        ("ｱｲ①②", "アイ①②"),
        ("13:30〜16:00 ～ 髙島屋 ㈱中国", "13:30〜16:00 ～ 髙島屋 ㈱中国"),
        ("（公財）", "（公財）"),
    ],
)
def test_display_text_fixes_widths_but_keeps_special_characters(raw: str, expected: str) -> None:
    assert _one(display_text, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>第1回</p><p>説明会</p>", "第1回 説明会"),
        ("行1<br>行2<BR/>行3", "行1 行2 行3"),
        ("A&amp;B &#12354;&#x3042; &lt;b&gt;太字&lt;/b&gt; 1 &lt; 2", "A&B ああ 太字 1 < 2"),
        ("前&nbsp;後", "前 後"),
        ("<b>太字</b>と<a href='x'>リンク</a>", "太字とリンク"),
        ("a < b and c > d", "a < b and c > d"),
        ("<!-- コメント -->本文", "本文"),
    ],
)
def test_display_text_removes_markup_and_decodes_entities(raw: str, expected: str) -> None:
    assert _one(display_text, raw) == expected


def test_display_text_drops_script_and_style_content() -> None:
    hostile = (
        "<style>body{display:none}</style>お知らせ<script type='text/javascript'>"
        "alert('x')</script>です<SCRIPT>document.cookie</SCRIPT>。"
    )
    assert _one(display_text, hostile) == "お知らせです。"


def test_display_text_drops_everything_after_unclosed_script() -> None:
    assert _one(display_text, "見出し<script>steal()") == "見出し"


def test_display_text_collapses_all_whitespace_including_ideographic_space() -> None:
    assert _one(display_text, "  岡山\u3000\u3000大学\n\t 本部\u00a0 ") == "岡山 大学 本部"


def test_display_text_keeps_null_and_gives_empty_for_only_markup() -> None:
    assert _apply(display_text, [None, "<b></b>", ""]) == [None, "", ""]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ｾﾐﾅｰ開催", "セミナー 開催"),
        ("【募集】ＡＢＣ講座！", "募集 abc講座"),
        ("13:30〜16:00", "13:30～16:00"),
        ("13:30-16:00", "13:30~16:00"),
        ("13:30－16:00", "13:30—16:00"),
        ("「産学官」連携・交流会。", "産学官連携交流会"),
        ("第①回", "第1回"),
    ],
)
def test_match_key_equal_for_variants(a: str, b: str) -> None:
    assert _one(match_key, a) == _one(match_key, b)


def test_match_key_exact_value() -> None:
    assert (
        _one(match_key, "【募集】ＡＢＣ講座（第２回）　13:30〜16:00！")
        == "募集abc講座第2回1330~1600"
    )


def test_match_key_keeps_long_vowel_mark() -> None:
    assert _one(match_key, "セミナー") == "セミナー"


@pytest.mark.parametrize(
    "name",
    [
        "(公財)ちゅうごく産業創造センター",
        "（公財）ちゅうごく産業創造センター",
        "公益財団法人ちゅうごく産業創造センター",
        "公益財団法人　ちゅうごく産業創造センター",
    ],
)
def test_member_name_key_ignores_legal_form(name: str) -> None:
    assert _one(member_name_key, name) == "ちゅうごく産業創造センター"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("国立大学法人岡山大学", "岡山大学"),
        ("(独)中小企業基盤整備機構", "中小企業基盤整備機構"),
        ("地方独立行政法人鳥取県産業技術センター", "鳥取県産業技術センター"),
        ("(地独)鳥取県産業技術センター", "鳥取県産業技術センター"),
        ("株式会社中国銀行", "中国銀行"),
        ("中国銀行株式会社", "中国銀行"),
        ("㈱山陰合同銀行", "山陰合同銀行"),
        ("(株)山陰合同銀行", "山陰合同銀行"),
        ("(一社)中国経済連合会", "中国経済連合会"),
        ("学校法人広島工業大学", "広島工業大学"),
    ],
)
def test_member_name_key_strips_prefixes_and_suffixes(name: str, expected: str) -> None:
    assert _one(member_name_key, name) == expected


def test_summarize_cuts_after_last_sentence_end_within_limit() -> None:
    text = "一文目です。二文目です。三文目はとても長い文です"
    assert _one(lambda e: summarize(e, 13), text) == "一文目です。二文目です。"


def test_summarize_adds_ellipsis_when_no_sentence_end() -> None:
    assert _one(lambda e: summarize(e, 5), "あいうえおかきくけこ") == "あいうえ…"


def test_summarize_leaves_short_text_and_null_alone() -> None:
    assert _apply(lambda e: summarize(e, 5), ["あいうえお", "短い", None]) == [
        "あいうえお",
        "短い",
        None,
    ]


def test_summarize_rejects_tiny_limit() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        summarize(pl.col("v"), 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("&lt;script&gt;alert(1)&lt;/script&gt;本文", "本文"),
        ("&amp;lt;b&amp;gt;二重&amp;lt;/b&amp;gt;", "二重"),
        ("&lt;ＡＢ&gt;連絡先", "連絡先"),
        ("<\u200bb>太字", "太字"),
        ("AT&T &bogus; 1 &lt; 2", "AT&T &bogus; 1 < 2"),
    ],
)
def test_display_text_removes_escaped_markup_and_is_a_fixed_point(raw: str, expected: str) -> None:
    once = _one(display_text, raw)
    assert once == expected
    assert _one(display_text, once) == once


def test_match_key_normalises_again_exactly_when_it_would_change_something():
    """match_key skips its second NFKC for a batch with no combining mark or jamo. For every
    code point, alone and after a space the key removes, the second NFKC changes the text
    only when such a character is there, and the key is the one always normalising gives."""
    from transforms.text import _RANGE_MARKS, _RECOMPOSES

    stripped = (
        pl.col("s")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_many(dict.fromkeys(_RANGE_MARKS, "~"))
        .str.replace_all(r"[\s\p{P}\p{So}]", "")
    )
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for template in ("{}", "A {}", "가 {}"):
        frame = pl.DataFrame({"s": [template.format(c) for c in chars]})
        keys = frame.select(key=match_key(pl.col("s")), stripped=stripped).with_columns(
            again=pl.col("stripped").str.normalize("NFKC")
        )
        changed = keys.filter(pl.col("again") != pl.col("stripped"))
        assert changed["stripped"].str.contains(_RECOMPOSES).all()
        assert keys.filter(pl.col("key") != pl.col("again")).is_empty()


# --- invisible characters (issue 16) ------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("説明会\x00のご案内", "説明会のご案内"),
        ("説明会&#0;のご案内", "説明会のご案内"),
        ("説明会&#x0;&#X00;&#0000のご案内", "説明会のご案内"),
        ("説明会&amp;#0;のご案内", "説明会のご案内"),  # escaped twice, as RSS descriptions are
        ("\u202eけ付受\u202c 申込", "け付受 申込"),
        ("申込&#x202E;期限&#8238;", "申込期限"),
        ("\u2066岡山\u2069\u2067大学\u2069\u2068本部\u2069", "岡山大学本部"),
        ("\u200e鳥取\u200f\u061c大学", "鳥取大学"),
        ("ソフト\u00adハイフン\u2060と\ufeffBOM", "ソフトハイフンとBOM"),
        ("C1\x85制御\x9b文字\x7f", "C1制御文字"),
        ("ベル\x07と\x1bエスケープ", "ベルとエスケープ"),
        ("タグ\U000e0041\U000e007f文字", "タグ文字"),
        ("非文字\ufffe\uffff", "非文字"),
        ("行1\n行2\t列\r", "行1 行2 列"),  # whitespace stays whitespace (collapsed)
    ],
)
def test_display_text_removes_controls_bidi_and_invisible_format_characters(
    raw: str, expected: str
) -> None:
    assert _one(display_text, raw) == expected


def test_display_text_keeps_ideographic_variation_selectors_and_emoji_presentation() -> None:
    # IVS (category Mn) choose the glyph of a name's kanji: 葛󠄀 is not 葛 to its owner.
    assert _one(display_text, "葛\U000e0100城市・辻\U000e0101さん☎\ufe0f") == (
        "葛\U000e0100城市・辻\U000e0101さん☎\ufe0f"
    )


def test_a_control_character_cannot_hide_a_tag() -> None:
    assert _one(display_text, "<\x00script>alert(1)</script>本文") == "本文"
    assert _one(display_text, "<scr\u200bipt>alert(1)</script>本文") == "本文"


def test_strip_invisible_keeps_tab_newline_and_cr() -> None:
    assert _one(strip_invisible, "a\tb\nc\rd\x00e\u202ef") == "a\tb\nc\rdef"
    assert strip_invisible_text("a\tb\nc\rd\x00e\u202ef") == "a\tb\nc\rdef"


def test_polars_and_python_remove_exactly_the_same_code_points() -> None:
    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    removed_by_polars = {
        v for v, out in zip(every, _apply(strip_invisible, every), strict=True) if out == ""
    }
    removed_by_python = {v for v in every if strip_invisible_text(v) == ""}
    assert removed_by_polars == removed_by_python
    assert len(removed_by_polars) == sum(b - a + 1 for a, b in INVISIBLE_RANGES) == 234


def test_every_format_character_python_knows_is_removed_and_no_letter_is() -> None:
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        removed = strip_invisible_text(char) == ""
        if category == "Cf" or (category == "Cc" and char not in "\t\n\r"):
            assert removed, f"U+{code:04X} ({category}) is kept"
        elif category != "Cn":  # unassigned here, Cf in Unicode 15 (13439–1343F); FFFE/FFFF
            assert not removed, f"U+{code:04X} ({category}) is removed"
