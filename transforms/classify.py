"""Keyword classification of activities into categories and council action guidelines.

The dictionary lives in ``renkei/data/classification.toml`` (edited by the secretariat);
``rules_from_mapping`` validates its parsed form, ``classify`` applies it with vectorised
when/then chains (one branch per keyword, in priority order).
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from transforms.text import display_text, match_key

__all__ = ["CATEGORIES", "GUIDELINES", "Rules", "classify", "rules_from_mapping", "rules_from_toml"]

CATEGORIES = ("event", "call", "news", "success_case", "training", "other")
GUIDELINES = (1, 2, 3)
_SECTIONS = ("phrases", "categories", "member_categories", "guidelines")
# Categories a dated event word in the title turns into ``event`` (a dated 見学会 showing a
# success case is still an event); call and training keep their own sections.
_DATED_EVENT_OVER = ("success_case", "news")


@dataclass(frozen=True)
class Rules:
    """Classification rules; every tuple is in priority order (first match wins).

    categories: (category, keyword) pairs.
    member_categories: (word in a member's own 区分, category) pairs; matched as a substring
        of the 区分 after NFKC, so 「セミナー・イベント」 matches セミナー.
    guidelines: (guideline number, keyword) pairs.
    phrases: (phrase, category) pairs, e.g. 受講者募集 → training: tried before every
        keyword, and in the title before the member's 区分 too.
    """

    categories: tuple[tuple[str, str], ...]
    member_categories: tuple[tuple[str, str], ...]
    guidelines: tuple[tuple[int, str], ...]
    phrases: tuple[tuple[str, str], ...] = ()


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _keywords(section: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"分類辞書 [{section}] の「{key}」は文字列のリストにしてください")
    words = [_nfkc(v) for v in value]
    if any(not w for w in words):
        raise ValueError(f"分類辞書 [{section}] の「{key}」に空のキーワードがあります")
    return words


def rules_from_mapping(d: Mapping[str, Any]) -> Rules:
    """Build Rules from the parsed classification TOML; ValueError names any bad key."""
    unknown = [k for k in d if k not in _SECTIONS]
    if unknown:
        raise ValueError(f"分類辞書に未知の項目があります：{', '.join(map(str, unknown))}")
    phrases: list[tuple[str, str]] = []
    for phrase, name in dict(d.get("phrases", {})).items():
        if name not in CATEGORIES:
            raise ValueError(
                f"分類辞書 [phrases] の「{phrase}」の分類「{name}」は未知の分類です"
                f"（使えるのは {', '.join(CATEGORIES)}）"
            )
        if not _nfkc(phrase):
            raise ValueError("分類辞書 [phrases] に空の語句があります")
        phrases.append((_nfkc(phrase), name))
    categories: list[tuple[str, str]] = []
    for name, value in dict(d.get("categories", {})).items():
        if name not in CATEGORIES:
            raise ValueError(
                f"分類辞書 [categories] の「{name}」は未知の分類です"
                f"（使えるのは {', '.join(CATEGORIES)}）"
            )
        categories.extend((name, word) for word in _keywords("categories", name, value))
    members: list[tuple[str, str]] = []
    for word, name in dict(d.get("member_categories", {})).items():
        if name not in CATEGORIES:
            raise ValueError(
                f"分類辞書 [member_categories] の「{word}」の分類「{name}」は未知の分類です"
                f"（使えるのは {', '.join(CATEGORIES)}）"
            )
        if not _nfkc(word):
            raise ValueError("分類辞書 [member_categories] に空の区分があります")
        members.append((_nfkc(word), name))
    guidelines: list[tuple[int, str]] = []
    for key, value in dict(d.get("guidelines", {})).items():
        try:
            number = int(key)
        except (TypeError, ValueError):
            number = -1
        if number not in GUIDELINES:
            raise ValueError(
                f"分類辞書 [guidelines] の「{key}」は指針番号（1, 2, 3）ではありません"
            )
        guidelines.extend((number, word) for word in _keywords("guidelines", str(key), value))
    return Rules(tuple(categories), tuple(members), tuple(guidelines), tuple(phrases))


def rules_from_toml(text: str) -> Rules:
    """Parse classification TOML text (the caller reads the file) into Rules."""
    return rules_from_mapping(tomllib.loads(text))


def _keys(words: list[str]) -> list[str]:
    """match_key of each word, computed with the same expression used on the data."""
    return (
        pl.Series("w", words, dtype=pl.String)
        .to_frame()
        .select(match_key(pl.col("w")))["w"]
        .to_list()
    )


def _priority(words: list[str]) -> dict[str, int]:
    """match_key of each word → the index of the first word with that key."""
    priority: dict[str, int] = {}
    for index, key in enumerate(_keys(words)):
        if key and key not in priority:
            priority[key] = index
    return priority


def _found(text: pl.Expr, keys: list[str]) -> pl.Expr:
    """Every occurrence of every key in ``text`` (Aho-Corasick, overlapping so that 発表 is
    also seen inside 発表会): one scan serves every rule that looks in that text."""
    if not keys:
        return pl.lit(None, dtype=pl.List(pl.String()))
    return text.str.extract_many(keys, overlapping=True)


def _first_index(found: list[pl.Expr], priority: dict[str, int]) -> pl.Expr:
    """Index of the earliest-listed word found in the first text that has any word.

    Every word is tried in the title before the summary: ``found`` holds, per text, the
    keys found there (a superset of ``priority``'s keys is fine: the others are ignored).
    """
    if not priority:
        return pl.lit(None, dtype=pl.Int32())
    keys, ranks = list(priority), list(priority.values())
    best = [
        f.list.eval(
            pl.element().replace_strict(keys, ranks, default=None, return_dtype=pl.Int32())
        ).list.min()
        for f in found
    ]
    return pl.coalesce(best)


def _label(index: pl.Expr, labels: list[Any], dtype: pl.DataType) -> pl.Expr:
    if not labels:
        return pl.lit(None, dtype=dtype)
    return index.replace_strict(list(range(len(labels))), labels, default=None, return_dtype=dtype)


def classify(
    df: pl.DataFrame,
    rules: Rules,
    *,
    title: str = "title",
    summary: str = "summary",
    category_text: str = "category_text",
    source_kind: str = "source_kind",
    starts_at: str = "starts_at",
) -> pl.DataFrame:
    """Add category, category_rule, guideline (Int8) and guideline_rule.

    Category precedence: a phrase in the title (``keyword:受講者募集``); else the member's
    own 区分 when it maps (``member:区分=公募``); else the first phrase or keyword, by rule
    priority (phrases first), in the title, then in the summary (``keyword:セミナー``); else
    ``default`` — ``news`` for feed items, ``other`` for CSV rows. Then a dated activity
    (``starts_at`` set; a frame without that column counts as undated) whose title has an
    event keyword becomes ``event`` if it was success_case or news (``dated:見学会``),
    unless a title phrase decided it (「開催報告」 stays news).
    Guideline: first guideline keyword in title, then summary; else null.
    """

    def text_col(name: str) -> pl.Expr:
        return pl.col(name).cast(pl.String).fill_null("")

    pairs = [(c, w) for w, c in rules.phrases] + list(rules.categories)
    words = [w for _, w in pairs]
    p_words = [w for w, _ in rules.phrases]
    e_words = [w for c, w in rules.categories if c == "event"]
    g_words = [w for _, w in rules.guidelines]
    member_words = [w for w, _ in rules.member_categories]
    kw, ph, ev, gl = (_priority(w) for w in (words, p_words, e_words, g_words))
    mem = _priority(member_words)
    in_title = list({**kw, **ph, **ev, **gl})  # one scan of the title for every rule
    in_summary = list({**kw, **gl})

    # Keys are computed once into temporary columns, then scanned once per text.
    df = df.with_columns(
        _k_title=match_key(text_col(title)),
        _k_summary=match_key(text_col(summary)),
        _k_member=match_key(text_col(category_text)),
    ).with_columns(
        _f_title=_found(pl.col("_k_title"), in_title),
        _f_summary=_found(pl.col("_k_summary"), in_summary),
        _f_member=_found(pl.col("_k_member"), list(mem)),
    )
    texts = [pl.col("_f_title"), pl.col("_f_summary")]
    df = df.with_columns(
        _kw=_first_index(texts, kw),
        _ph=_first_index(texts[:1], ph),
        _ev=_first_index(texts[:1], ev),
        _gl=_first_index(texts, gl),
        _mem=_first_index([pl.col("_f_member")], mem),
    )
    member_shown = display_text(text_col(category_text)).str.normalize("NFKC")

    keyword_rule = _label(pl.col("_kw"), [f"keyword:{w}" for w in words], pl.String())
    keyword_cat = _label(pl.col("_kw"), [c for c, _ in pairs], pl.String())
    phrase_rule = _label(pl.col("_ph"), [f"keyword:{w}" for w in p_words], pl.String())
    phrase_cat = _label(pl.col("_ph"), [c for _, c in rules.phrases], pl.String())
    dated_rule = _label(pl.col("_ev"), [f"dated:{w}" for w in e_words], pl.String())
    if starts_at not in df.columns:
        dated_rule = pl.lit(None, dtype=pl.String())
    else:
        dated_rule = pl.when(pl.col(starts_at).is_not_null()).then(dated_rule)
    member_cat = _label(pl.col("_mem"), [c for _, c in rules.member_categories], pl.String())
    default_cat = (
        pl.when(pl.col(source_kind) == "feed").then(pl.lit("news")).otherwise(pl.lit("other"))
    )
    guideline = _label(pl.col("_gl"), [g for g, _ in rules.guidelines], pl.Int8())
    guideline_rule = _label(pl.col("_gl"), [f"keyword:{w}" for w in g_words], pl.String())

    return (
        df.with_columns(
            _phrase_cat=phrase_cat,
            _phrase_rule=phrase_rule,
            _member_cat=member_cat,
            _keyword_cat=keyword_cat,
            _keyword_rule=keyword_rule,
            _dated_rule=dated_rule,
        )
        .with_columns(
            category=pl.coalesce("_phrase_cat", "_member_cat", "_keyword_cat", default_cat),
            category_rule=pl.when(pl.col("_phrase_rule").is_not_null())
            .then(pl.col("_phrase_rule"))
            .when(pl.col("_member_cat").is_not_null())
            .then(pl.concat_str(pl.lit("member:区分="), member_shown))
            .when(pl.col("_keyword_rule").is_not_null())
            .then(pl.col("_keyword_rule"))
            .otherwise(pl.lit("default")),
            guideline=guideline,
            guideline_rule=guideline_rule,
        )
        .with_columns(
            _dated=pl.col("_phrase_cat").is_null()
            & pl.col("_dated_rule").is_not_null()
            & pl.col("category").is_in(_DATED_EVENT_OVER)
        )
        .with_columns(
            category=pl.when("_dated").then(pl.lit("event")).otherwise("category"),
            category_rule=pl.when("_dated").then("_dated_rule").otherwise("category_rule"),
        )
        .drop(
            "_phrase_cat",
            "_phrase_rule",
            "_member_cat",
            "_keyword_cat",
            "_keyword_rule",
            "_dated_rule",
            "_dated",
            "_k_title",
            "_k_summary",
            "_k_member",
            "_f_title",
            "_f_summary",
            "_f_member",
            "_kw",
            "_ph",
            "_ev",
            "_gl",
            "_mem",
        )
    )
