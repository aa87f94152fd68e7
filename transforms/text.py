"""Text cleaning expressions: one form for display, one for matching.

Display text keeps the original characters (①, 〜/～, 髙, ㈱ …) because members and the
open dataset must see what the source wrote; only markup, half-width katakana, full-width
ASCII letters/digits and whitespace are tidied. Match keys use NFKC and drop punctuation,
so that the same title typed two ways gives the same key.

Characters nobody can see are removed at the door (``strip_invisible``): NUL and the other
C0/C1 controls (tab, newline and CR aside: they are whitespace and collapse like it), the
bidi embedding/override/isolate/mark characters and every other invisible format
character (Unicode category Cf), and the noncharacters U+FFFE/U+FFFF that XML forbids.
Japanese text needs none of them: ZWJ (U+200D) only glues emoji sequences (👨‍💻 reads as
👨💻 without it), and the variation selectors that Japanese names do need (IVS, U+E0100–
U+E01EF, e.g. 葛󠄀) are category Mn, not Cf, so they are kept.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

import polars as pl

from transforms.entities import REFERENCE, decode_references, drop_nul_references

__all__ = [
    "INVISIBLE_CLASS",
    "INVISIBLE_RANGES",
    "display_text",
    "match_key",
    "member_name_key",
    "strip_invisible",
    "strip_invisible_text",
    "summarize",
]

# Code points removed from every text at the door, as inclusive ranges. Written out rather
# than taken from \p{Cf} so that Polars (Rust regex) and Python (re) remove exactly the
# same characters, whatever Unicode version either was built with.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    # C0 controls except tab (09), newline (0A) and CR (0D); DEL and the C1 controls
    (0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F),
    # Cf, Unicode 15.1: soft hyphen, Arabic/Syriac/Mongolian format marks, ZWSP/ZWNJ/ZWJ,
    # LRM/RLM (200E/200F), bidi embeddings and overrides (202A–202E), word joiner and
    # invisible operators (2060–2064), bidi isolates (2066–2069) and the deprecated
    # format characters (206A–206F), BOM/ZWNBSP, interlinear annotation, tag characters
    (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
    # noncharacters that XML 1.0 does not allow (an Atom feed with one does not parse)
    (0xFFFE, 0xFFFF),
)  # fmt: skip


def _halfwidth_katakana_map() -> dict[str, str]:
    """Half-width katakana (U+FF61–U+FF9F) → full-width, voiced pairs (ﾀﾞ → ダ) included.

    Built from NFKC one character at a time so that only these characters change.
    """
    singles = {chr(c): unicodedata.normalize("NFKC", chr(c)) for c in range(0xFF61, 0xFFA0)}
    # Stand-alone sound marks: NFKC gives *combining* marks (U+3099/U+309A); use the
    # spacing forms so a lone ﾞ does not silently attach to the previous character.
    singles["ﾞ"] = "゛"
    singles["ﾟ"] = "゜"
    pairs: dict[str, str] = {}
    for c in range(0xFF66, 0xFF9E):
        for mark in ("ﾞ", "ﾟ"):
            composed = unicodedata.normalize("NFKC", chr(c) + mark)
            if len(composed) == 1:
                pairs[chr(c) + mark] = composed
    # Pairs first: with leftmost=True, replace_many prefers the earlier pattern.
    return {**pairs, **singles}


def _fullwidth_alnum_map() -> dict[str, str]:
    """Full-width digits and Latin letters → ASCII (２０２６ → 2026, ＡＢＣ → ABC)."""
    ranges = ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    return {chr(c): chr(c - 0xFEE0) for lo, hi in ranges for c in range(lo, hi + 1)}


_DISPLAY_CHAR_MAP: dict[str, str] = {**_halfwidth_katakana_map(), **_fullwidth_alnum_map()}

# Tags whose boundaries separate words: replaced by a space rather than removed.
_BLOCK_TAGS = r"br|p|div|li|ul|ol|tr|td|th|table|h[1-6]|dt|dd|dl|blockquote|section|article"

# Range marks unified in match keys. NFKC already turns ～ (U+FF5E) into ~ and － into -;
# 〜 (U+301C) and the dashes survive NFKC, so they are listed explicitly. The long vowel
# mark ー is *not* a range mark and is left alone.
_RANGE_MARKS = ["〜", "-", "‐", "‑", "‒", "–", "—", "―", "−", "⁓", "～", "－"]

_LEGAL_FORMS = (
    # Longer forms first: regex alternation takes the first alternative that matches.
    "地方独立行政法人",
    "独立行政法人",
    "公益財団法人",
    "一般財団法人",
    "公益社団法人",
    "一般社団法人",
    "国立大学法人",
    "公立大学法人",
    "学校法人",
    "株式会社",
    "有限会社",
    r"\(地独\)",
    r"\(公財\)",
    r"\(一財\)",
    r"\(公社\)",
    r"\(一社\)",
    r"\(独\)",
    r"\(株\)",
    r"\(有\)",
    r"\(財\)",
    r"\(社\)",
)
_LEGAL_FORM_GROUP = "(?:" + "|".join(_LEGAL_FORMS) + ")+"


# Markup removal, in order: (pattern, replacement). The same patterns run as Polars
# expressions and, for text that decodes into new markup, as Python regexes.
# After a tag's name, "(?:>|[^\w>][^>]*>)" is "\b[^>]*>" written without \b: Rust's regex
# cannot use its fast automaton for a Unicode word boundary in non-ASCII text (2.6× slower
# on Japanese summaries).
_TAG_REST = r"(?:>|[^\w>][^>]*>)"
_MARKUP_STEPS: tuple[tuple[str, str], ...] = (
    (r"(?is)<!--.*?-->", ""),
    (rf"(?is)<script{_TAG_REST}.*?</script\s*>", ""),
    (rf"(?is)<style{_TAG_REST}.*?</style\s*>", ""),
    # An unclosed <script>/<style> hides everything after it: drop the rest.
    (r"(?is)<(?:script|style)(?:\W.*)?$", ""),
    (rf"(?i)</?\s*(?:{_BLOCK_TAGS}){_TAG_REST}", " "),
    (r"</?[A-Za-z][^>]*>|<![^>]*>", ""),
)
_MARKUP_RE = tuple((re.compile(pattern), repl) for pattern, repl in _MARKUP_STEPS)
# What a value must contain for each step to change it: a batch without it skips the step
# (comments, scripts and styles are rare; a regex pass over a column is not free).
_MARKUP_GUARDS: tuple[str, ...] = (
    "<!--", "(?i)<script", "(?i)<style", "(?i)<(?:script|style)", "<", "<",
)  # fmt: skip
_MAX_DECODE_ROUNDS = 10


def _strip_markup_py(text: str) -> str:
    for pattern, repl in _MARKUP_RE:
        text = pattern.sub(repl, text)
    return text


def _char_class(escape: str) -> str:
    return (
        "[" + "".join(escape.format(a) + "-" + escape.format(b) for a, b in INVISIBLE_RANGES) + "]"
    )


INVISIBLE_CLASS = _char_class(r"\x{{{:X}}}")  # Rust regex (Polars)
_INVISIBLE_RE = re.compile(_char_class(r"\U{:08X}"))  # Python re, the same code points
# &#0; / &#x0; decode to U+FFFD (html.unescape follows HTML5): a NUL reference is dropped
# instead. Every other reference to a removed character decodes to it and is then removed.
_NUL_REFERENCE_RE = re.compile(r"&#(?:0+(?![0-9])|[xX]0+(?![0-9a-fA-F]));?")


def strip_invisible(expr: pl.Expr) -> pl.Expr:
    """``expr`` without the characters of INVISIBLE_RANGES (tab, newline and CR are kept)."""
    return expr.str.replace_all(INVISIBLE_CLASS, "")


def strip_invisible_text(text: str) -> str:
    """strip_invisible for one Python string (text that did not come through normalise,
    such as the secretariat's edits)."""
    return _INVISIBLE_RE.sub("", text)


_DISPLAY_CHAR_RE = re.compile(
    "|".join(re.escape(k) for k in sorted(_DISPLAY_CHAR_MAP, key=len, reverse=True))
)


def _tidy_chars_py(text: str) -> str:
    text = _INVISIBLE_RE.sub("", text)
    return _DISPLAY_CHAR_RE.sub(lambda m: _DISPLAY_CHAR_MAP[m.group(0)], text)


def _decode(text: str) -> str:
    """Decode entities until nothing changes, tidying widths and removing markup each round.

    ``&lt;script&gt;`` (escaped markup, common in RSS descriptions) decodes to a tag and is
    removed like one, so no decoded text can carry active content, and cleaning the
    result again gives the same text (idempotence). Widths are tidied before markup is
    looked for, so ``&lt;ＡＢ&gt;`` is treated exactly as ``<AB>`` would be.
    """
    for _ in range(_MAX_DECODE_ROUNDS):
        decoded = html.unescape(_NUL_REFERENCE_RE.sub("", text))
        if decoded == text:
            break
        text = _strip_markup_py(_tidy_chars_py(decoded))
    return text


def _strip_markup_batch(s: pl.Series) -> pl.Series:
    """_MARKUP_STEPS over a batch; every step's pattern starts with "<", so a batch with no
    "<" (most plain titles) skips the six passes."""
    if not s.str.contains("<", literal=True).any():
        return s
    for (pattern, repl), guard in zip(_MARKUP_STEPS, _MARKUP_GUARDS, strict=True):
        if guard == "<" or s.str.contains(guard, literal=guard[0] == "<").any():
            s = s.str.replace_all(pattern, repl)
    return s


def _where(s: pl.Series, pattern: str, change: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``change`` applied only to the values that match ``pattern`` (all of them when most
    do): most text has no invisible character, no full-width digit, no markup."""
    if len(s) <= _SMALL:  # a few values: changing them costs less than looking first
        return change(s)
    mask = s.str.contains(pattern).fill_null(False)
    hits = mask.sum()
    if hits == 0:
        return s
    if hits * 2 > len(s):
        return change(s)
    out = s.clone()
    out.scatter(mask.arg_true(), change(s.filter(mask)))
    return out


_SMALL = 64

# Any character _DISPLAY_CHAR_MAP changes (each key starts with one of them).
_DISPLAY_CHAR_CLASS = (
    "[" + "".join(sorted({rf"\x{{{ord(k[0]):X}}}" for k in _DISPLAY_CHAR_MAP})) + "]"
)
# What "\s+" → " " and stripping spaces would change.
_UNTIDY_SPACING = r"[\s&&[^ ]]| {2}|^ | $"


def _tidy_chars(s: pl.Series) -> pl.Series:
    """_tidy_chars_py over a batch."""
    s = _where(s, INVISIBLE_CLASS, lambda v: v.str.replace_all(INVISIBLE_CLASS, ""))
    return _where(
        s, _DISPLAY_CHAR_CLASS, lambda v: v.str.replace_many(_DISPLAY_CHAR_MAP, leftmost=True)
    )


def _display_batch(s: pl.Series) -> pl.Series:
    # Invisible characters and widths first: a full-width letter, a NUL or a zero-width
    # space must not hide a tag. Decoding removes them again from what entities produce.
    # Entities are decoded *after* tags are removed, as html.unescape does (the
    # reference); see transforms/entities.py for how in Polars.
    s = _unescape_batch(_where(_tidy_chars(s), "<", _strip_markup_batch))
    return _where(s, _UNTIDY_SPACING, lambda v: v.str.replace_all(r"\s+", " ").str.strip_chars(" "))


def _unescape_batch(s: pl.Series) -> pl.Series:
    """_decode over a batch, vectorised: each round decodes every value that still holds a
    reference (transforms/entities.py), then tidies and strips markup from what changed.
    Values without a reference are never touched: html.unescape leaves them as they are.
    tests/test_transforms_entities.py checks it against _decode value by value."""
    if not s.str.contains("&", literal=True).any():  # the usual batch: nothing to decode
        return s  # (a literal search first: the reference regex is dear to build per call)
    pending = s.str.contains(REFERENCE).fill_null(False).arg_true()
    if pending.is_empty():
        return s
    out = s.clone()
    for _ in range(_MAX_DECODE_ROUNDS):
        text = out.gather(pending)
        decoded = decode_references(drop_nul_references(text))
        changed = decoded != text
        if not changed.any():
            break
        pending = pending.filter(changed)
        cleaned = _strip_markup_batch(_tidy_chars(decoded.filter(changed)))
        out.scatter(pending, cleaned)
        pending = pending.filter(cleaned.str.contains(REFERENCE))
        if pending.is_empty():
            break
    return out


def display_text(expr: pl.Expr) -> pl.Expr:
    """Plain display text: invisible characters and markup removed, kana/ASCII widths
    tidied, whitespace collapsed.

    Null stays null; the result may be the empty string (e.g. a title that was only tags).
    display_text(display_text(x)) == display_text(x).
    """
    return expr.map_batches(_display_batch, return_dtype=pl.String, is_elementwise=True)


def match_key(expr: pl.Expr) -> pl.Expr:
    """Key for dedup and matching: NFKC, lower case, range marks unified, no spaces/punctuation.

    Punctuation is Unicode category P plus "other symbols" (★, ※, ■ …); range marks are
    first unified to "~" (a math symbol, so it survives) so that 13:30〜16:00 and
    13:30-16:00 give the same key. match_key(match_key(x)) == match_key(x).
    """
    return (
        expr.str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_many(dict.fromkeys(_RANGE_MARKS, "~"))
        .str.replace_all(r"[\s\p{P}\p{So}]", "")
        # Removing a space can leave a combining mark next to a base letter (´ is NFKC
        # " \u0301"): normalise again so that a key of a key is the same key.
        .map_batches(_nfkc_again, return_dtype=pl.String, is_elementwise=True)
    )


# What a second NFKC can change once spaces and punctuation are gone: combining marks (a
# removed space leaves one next to a letter; lower-casing İ gives i + U+0307) and Hangul
# jamo, which compose with what comes before them. tests/test_transforms_text.py checks
# every code point, alone and after a removed space, against normalising again always.
_RECOMPOSES = r"[\p{M}\x{1100}-\x{11FF}\x{A960}-\x{A97F}\x{D7B0}-\x{D7FF}]"


def _nfkc_again(s: pl.Series) -> pl.Series:
    if not s.str.contains(_RECOMPOSES).any():  # the usual batch: NFKC would change nothing
        return s
    return s.str.normalize("NFKC")


def member_name_key(expr: pl.Expr) -> pl.Expr:
    """match_key of an institution name without legal-form prefixes/suffixes.

    (公財)ちゅうごく産業創造センター and 公益財団法人ちゅうごく産業創造センター give the same key.
    NFKC runs first, so （公財）, (公財) and ㈱ are all covered by the half-width forms.
    """
    return match_key(
        expr.str.normalize("NFKC")
        .str.replace_all(r"\s+", "")
        .str.replace(f"^{_LEGAL_FORM_GROUP}", "")
        .str.replace(f"{_LEGAL_FORM_GROUP}$", "")
    )


def summarize(expr: pl.Expr, max_chars: int) -> pl.Expr:
    """Shorten to at most ``max_chars`` characters.

    Longer text is cut after the last 「。」 within the limit; with no 「。」 there, it is cut
    at ``max_chars - 1`` characters and 「…」 is appended.
    """
    if max_chars < 2:
        raise ValueError(f"max_chars must be at least 2, got {max_chars}")
    head = expr.str.head(max_chars)
    at_sentence = head.str.extract(r"(?s)^(.*。)", 1)
    ellipsis = pl.concat_str(expr.str.head(max_chars - 1).str.strip_chars_end(), pl.lit("…"))
    return (
        pl.when(expr.str.len_chars() <= max_chars)
        .then(expr)
        .when(at_sentence.is_not_null())
        .then(at_sentence)
        .otherwise(ellipsis)
    )
