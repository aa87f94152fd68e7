"""Event facts other than dates, read from titles and summaries with Polars regexes.

venue (会場：/場所：/開催場所：/【会場】), online ('online' | 'hybrid': オンライン, Zoom,
Teams, Webex, ウェビナー, ライブ配信; ハイブリッド, 併用, or a physical venue plus an online
word), fee (参加費無料, 無料, 有料, amounts in 円), capacity (定員50名, 先着30名) and
audience (対象：…). Every value comes with the phrase it was read from, for fact_notes.
Input text is the NFKC text prepared by transforms.facts (whitespace collapsed).

Speed: ``side_fields`` runs on the distinct titles (or summaries) that contain one of the
literal words every pattern needs (FIELD_HINT), ``combine_fields`` per row with cheap
coalesces; online/hybrid reads title + summary together, only where ONLINE_HINT occurs.
"""

from __future__ import annotations

import polars as pl

__all__ = ["FIELD_HINT", "LABEL_STOP", "ONLINE_HINT", "combine_fields", "side_fields"]

# Labels that end a venue/audience value in collapsed text (会場: A 定員: 50名 …).
_LABELS = (
    "日時|開催日時|開催日|日程|期日|会場|場所|開催場所|定員|募集人数|参加費|受講料|参加料|費用|料金"
    "|対象|対象者|参加対象|申込|申し込み|申込方法|申込締切|締切|〆切|主催|共催|後援|協力|問い?合わ?せ"
    "|お問い?合わ?せ|内容|講師|プログラム|テーマ|概要|詳細|備考|持ち物|アクセス|URL|登壇者|演題"
    "|形式|開催形式|参加方法|定員数|その他"
)
# ・ ends a value only as a bullet (after a space, or right before a label):
# not inside a name such as 鳥取大学 コラボレーション・プラザ.
LABEL_STOP = (
    rf"(?:\s*[【■◆●◇○▼□※\[]|\s+・|・(?:{_LABELS})\s*[】\]]?\s*[::]|\s+(?:{_LABELS})\s*[】\]]?\s*[::]|[。]|\s*$"
    r"|\s+(?:参加費|参加無料|受講料|定員|先着|対象|申込|お申込|主催|共催|問い?合わ?せ|お問い?合わ?せ))"
)

_VENUE_RE = (
    r"(?:開催場所|開催会場|開催地|会場|場所)\s*(?:[】\]]\s*:?|:)\s*"
    r"(?P<v>[^\s:。【■◆●][^:。]{0,60}?)"
)
_AUDIENCE_RE = (
    r"(?:参加対象|募集対象|対象者|対象)\s*(?:[】\]]\s*:?|:)\s*"
    r"(?P<v>[^\s:。【■◆●][^:。]{0,50}?)"
)
_FEE_LABEL_RE = (
    r"(?:参加費|受講料|参加料|聴講料|会費|費用|料金|入場料)\s*[】\]]?\s*(?:は|:)?\s*"
    r"(?P<v>無料|有料|\d[\d,]*\s*円)"
)
_FEE_FREE_RE = (
    r"(?:参加|入場|受講|聴講|参加費|受講料|参加料)(?:は|:)?\s*無料|無料(?:セミナー|講演会|講座|"
    r"イベント|相談会|開催|です|でご参加|で参加|で受講|でご受講)"
)
_CAPACITY_RE = (
    r"(?:(?:定員|募集人数|募集定員|定員数)\s*[】\]]?\s*:?\s*(?:先着\s*)?|先着\s*)"
    r"(?P<v>\d[\d,]*\s*(?:名|人|社|組|者))"
)
_AND = r"(?:参加)?(?:と|及び|および|または|/)"
_HYBRID_RE = rf"ハイブリッド|併用|会場{_AND}オンライン|オンライン{_AND}会場|来場.{{0,10}}オンライン"
_ONLINE_RE = (
    r"オンライン(?:開催|配信|形式|セミナー|講座|会議|説明会|参加|で開催|にて|\(|$|\s|・|/)|Zoom|ZOOM|zoom"
    r"|Teams|Webex|WebEx|ウェビナー|ウエビナー|ライブ配信|Web開催|WEB開催|web開催|Web会議"
)
_ONLINE_ONLY_VENUE = r"^(?:オンライン|Zoom|ZOOM|Teams|Webex|Web|WEB|ウェビナー|ライブ配信)"


# Literal words without which no field pattern can match (a cheap prefilter).
FIELD_HINT = (
    "会場|場所|開催地|対象|定員|募集人数|先着|参加費|受講料|参加料|聴講料|会費|費用|料金|入場料"
    "|無料"
)
ONLINE_HINT = (
    "ハイブリッド|併用|オンライン|Zoom|ZOOM|zoom|Teams|Webex|WebEx|ウェビナー|ウエビナー|ライブ配信"
    "|Web開催|WEB開催|web開催|Web会議"
)
_FIELDS = (
    ("venue", "会場", _VENUE_RE, LABEL_STOP),
    ("audience", "対象", _AUDIENCE_RE, LABEL_STOP),
    ("capacity", "定員", _CAPACITY_RE, ""),
    ("fee", "参加費", _FEE_LABEL_RE, ""),
)


def _note(fact: str, where: str, phrase: pl.Expr) -> pl.Expr:
    short = phrase.str.strip_chars(" (/・").str.slice(0, 40)
    return pl.format(f"{fact}は{where}の『{{}}』から読み取りました", short)


def side_fields(df: pl.DataFrame, text: str, where: str, out: str) -> pl.DataFrame:
    """Per distinct text: ``{out}_{name}`` and ``{out}_{name}_note`` for venue, audience,
    capacity, fee (labelled value, whitespace removed) and ``{out}_free_note`` (参加無料 …).
    Notes are set only where the value is.

    Each match is found without groups (fast) and stored, then its groups are read from
    the match alone (eager Polars does not share repeated subexpressions).
    """
    found = [(name, fact, rf"(?P<all>{pattern}){stop}") for name, fact, pattern, stop in _FIELDS]
    df = df.with_columns(
        pl.col(text).str.extract_all(rf"{pattern}{stop}").list.first().alias(f"_m_{name}")
        for name, _, pattern, stop in _FIELDS
    ).with_columns(
        pl.col(f"_m_{name}").str.extract_groups(grouped).alias(f"_m_{name}")
        for name, _, grouped in found
    )
    cols: list[pl.Expr] = []
    for name, fact, _ in found:
        v = pl.col(f"_m_{name}").struct.field("v").str.strip_chars(" ,、/")
        phrase = pl.col(f"_m_{name}").struct.field("all")
        if name == "fee":
            v = v.str.replace_all(r"\s+", "")
        else:
            v = _blank(v)
        cols += [
            v.alias(f"{out}_{name}"),
            pl.when(v.is_not_null()).then(_note(fact, where, phrase)).alias(f"{out}_{name}_note"),
        ]
    free = pl.col(text).str.extract(rf"({_FEE_FREE_RE})", 1)
    cols.append(_note("参加費", where, free).alias(f"{out}_free_note"))
    return df.with_columns(cols).drop(f"_m_{name}" for name, _, _ in found)


SIDE_FIELDS = (
    "venue", "venue_note", "audience", "audience_note", "capacity", "capacity_note", "fee",
    "fee_note", "free_note",
)  # fmt: skip


def combine_fields(df: pl.DataFrame, t: str, s: str, prefix: str = "_f") -> pl.DataFrame:
    """Add {prefix}_venue, _audience, _capacity, _fee and their _note columns from the side
    columns ``{t}_*`` (title) and ``{s}_*`` (summary): the summary first, then the title."""
    cols: list[pl.Expr] = []
    for name in ("venue", "audience", "capacity"):
        sv = pl.col(f"{s}_{name}")
        cols += [
            pl.coalesce(sv, f"{t}_{name}").alias(f"{prefix}_{name}"),
            pl.when(sv.is_not_null())
            .then(pl.col(f"{s}_{name}_note"))
            .otherwise(pl.col(f"{t}_{name}_note"))
            .alias(f"{prefix}_{name}_note"),
        ]
    sv, tv = pl.col(f"{s}_fee"), pl.col(f"{t}_fee")
    s_free, t_free = pl.col(f"{s}_free_note"), pl.col(f"{t}_free_note")
    any_free = s_free.is_not_null() | t_free.is_not_null()
    cols += [
        pl.coalesce(sv, tv, pl.when(any_free).then(pl.lit("無料"))).alias(f"{prefix}_fee"),
        pl.coalesce(pl.col(f"{s}_fee_note"), pl.col(f"{t}_fee_note"), s_free, t_free).alias(
            f"{prefix}_fee_note"
        ),
    ]
    return df.with_columns(cols)


def online_fields(df: pl.DataFrame, title: str, summary: str, prefix: str = "_f") -> pl.DataFrame:
    """Add {prefix}_online ('online' | 'hybrid') and its note: explicit hybrid words, or an
    online word plus a physical venue ({prefix}_venue must exist)."""
    both = pl.concat_str(pl.col(title), pl.col(summary), separator=" ")
    hybrid = both.str.extract(rf"({_HYBRID_RE})", 1)
    online = both.str.extract(rf"({_ONLINE_RE})", 1)
    venue = pl.col(f"{prefix}_venue")
    physical = venue.is_not_null() & ~venue.str.contains(_ONLINE_ONLY_VENUE)
    return df.with_columns(
        pl.when(hybrid.is_not_null())
        .then(pl.lit("hybrid"))
        .when(online.is_not_null() & physical)
        .then(pl.lit("hybrid"))
        .when(online.is_not_null())
        .then(pl.lit("online"))
        .alias(f"{prefix}_online"),
        pl.when(hybrid.is_not_null())
        .then(_note("開催形式（会場とオンラインの併用）", "本文", hybrid))
        .when(online.is_not_null() & physical)
        .then(_note("開催形式（会場とオンラインの併用）", "本文", online))
        .when(online.is_not_null())
        .then(_note("開催形式（オンライン）", "本文", online))
        .alias(f"{prefix}_online_note"),
    )


def _blank(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.len_chars() > 0).then(expr)
