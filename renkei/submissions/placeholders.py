"""Rows that are the template's example, or carry its placeholders, are refused.

A member who leaves the example row of ``renkei template`` in its report would otherwise
publish 「産学連携セミナー ～共同研究の始め方～」 as a real event. One Polars expression
(``placeholder_reason``) gives a row's reason, or null:

- the example row: its 件名 is the example's, and so is one of 概要, URL, 会場 or
  問い合わせ先 (compared after NFKC, case, spaces and punctuation: ``match_key``) —
  「テンプレートの記入例の行です。削除してからご提出ください」;
- otherwise, a placeholder URL in the URL column: the template's example URL, or a bare
  placeholder host (``https://example.jp``, ``https://www.example.com/``). Only the URL
  column is judged, and only these forms: real-looking pages under placeholder domains
  (``https://www.okayama-cci.example.jp/seminar.html``) are how the demo and its tests
  stand in for members' sites, and stay accepted;
- and/or a placeholder phone number in 問い合わせ先: every digit group zero (or x, ○):
  ``000-0000``, ``0000-00-0000``, ``00-0000-0000``, ``xxx-xxxx``, or the template's own
  ``082-000-0000``. A real area code with zeros after it (``0857-00-0000``) is accepted.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from renkei.submissions.template import COLUMNS
from transforms.text import match_key

_EXAMPLE = {header.split("（")[0]: example for header, _, example in COLUMNS}
EXAMPLE_ROW_REASON = "テンプレートの記入例の行です。削除してからご提出ください"
URL_REASON = "記入例のままのURL「{}」です。実際の案内ページのURLを書くか、空欄にしてください"
PHONE_REASON = (
    "記入例のままの電話番号「{}」が問い合わせ先にあります。実際の番号を書くか、消してください"
)
# the template's example values, by field of the submission frame
_EXAMPLE_FIELDS = {
    "summary": _EXAMPLE["概要"],
    "url": _EXAMPLE["URL"],
    "venue": _EXAMPLE["会場"],
    "contact": _EXAMPLE["問い合わせ先"],
}
_PLACEHOLDER_HOSTS = r"(?:www\.)?example\.(?:jp|com|org|net|co\.jp)"
_PLACEHOLDER_URL = rf"(?i)^\s*(?:https?://)?{_PLACEHOLDER_HOSTS}/?\s*$"
_EXAMPLE_PHONE = _EXAMPLE["問い合わせ先"].split()[-1]  # 082-000-0000
_DIGIT = r"[0xX○〇*]"
_PHONE = rf"{_DIGIT}{{2,5}}(?:-{_DIGIT}{{2,4}}){{1,2}}|{_EXAMPLE_PHONE}"
# a whole number: not preceded or followed by a digit, letter or dash (0857-00-0000 is real)
_PLACEHOLDER_PHONE = rf"(?:^|[^0-9A-Za-z-])({_PHONE})(?:$|[^0-9A-Za-z-])"
_DASHES = {"－": "-", "‐": "-", "ー": "-", "―": "-", "−": "-", "‑": "-"}


@cache
def _key(value: str) -> str:
    return pl.select(match_key(pl.lit(value))).item()


def _same(field: str, example: str) -> pl.Expr:
    return match_key(pl.col(field)) == pl.lit(_key(example))


def _exact_reason() -> pl.Expr:
    """The reason, worked out in full (every key, every normalisation) for every row."""
    example_row = _same("title", _EXAMPLE["件名"]) & pl.any_horizontal(
        _same(field, value).fill_null(False) for field, value in _EXAMPLE_FIELDS.items()
    )
    url = pl.col("url").str.normalize("NFKC")
    contact = pl.col("contact").str.normalize("NFKC").str.replace_many(_DASHES)
    phone = contact.str.extract(_PLACEHOLDER_PHONE)
    placeholders = pl.concat_str(
        pl.when(
            url.str.contains(_PLACEHOLDER_URL) | (match_key(url) == _key(_EXAMPLE["URL"]))
        ).then(pl.format(URL_REASON, "url")),
        pl.when(contact.str.contains(_PLACEHOLDER_PHONE)).then(pl.format(PHONE_REASON, phone)),
        separator="；",
        ignore_nulls=True,
    )
    return (
        pl.when(example_row.fill_null(False))
        .then(pl.lit(EXAMPLE_ROW_REASON))
        .when(placeholders != "")
        .then(placeholders)
    )


# Two ideographs of the example 件名. The NFKC of a text (and so its match_key) holds an
# ideograph only if the text does: an ideograph is never composed from, or into, anything
# else, and no other character's NFKD holds these two (tests/test_submissions_template_rows.py
# checks every code point). So a 件名 without both cannot be the example's.
_TITLE_MARKS = ("携", "究")


def _candidates(fields: pl.DataFrame) -> pl.Series:
    """A cheap superset of the rows _exact_reason gives a reason: a 件名 holding the
    example's ideographs; a URL that is not ASCII (NFKC may change it), or, ASCII, matches
    the placeholder form as written (NFKC leaves ASCII as it is) or has the example's
    letters and digits (its key is them: everything else in it would be removed or keep the
    keys apart); a placeholder phone number (worked out exactly: it is cheap)."""
    example_url = _key(_EXAMPLE["URL"])
    if not example_url.isascii() or not example_url.isalnum():
        raise ValueError("the example URL's key is expected to be ASCII letters and digits")
    title, url = pl.col("title"), pl.col("url")
    ascii_url = url.str.len_bytes() == url.str.len_chars()
    contact = pl.col("contact").str.normalize("NFKC").str.replace_many(_DASHES)
    return fields.select(
        pl.all_horizontal(title.str.contains(c, literal=True) for c in _TITLE_MARKS).fill_null(
            False
        )
        | (
            ~ascii_url
            | url.str.contains(_PLACEHOLDER_URL)
            | (url.str.to_lowercase().str.replace_all("[^a-z0-9]", "") == example_url)
        ).fill_null(False)
        | contact.str.contains(_PLACEHOLDER_PHONE).fill_null(False)
    ).to_series()


def _reasons(rows: pl.Series) -> pl.Series:
    """_exact_reason over a struct of title and the _EXAMPLE_FIELDS, worked out only for
    the rows ``_candidates`` lets through (all others have none): the keys and NFKC of every
    row were most of the time of judging a file."""
    fields = rows.struct.unnest()
    maybe = _candidates(fields)
    out = pl.Series(rows.name, [None] * len(rows), dtype=pl.String)
    if maybe.any():
        found = fields.filter(maybe).select(_exact_reason()).to_series()
        out = out.scatter(maybe.arg_true(), found)
    return out


def placeholder_reason() -> pl.Expr:
    """The reason a row is refused as the template's example or placeholder, else null."""
    return pl.struct("title", *_EXAMPLE_FIELDS).map_batches(
        _reasons, return_dtype=pl.String, is_elementwise=True
    )
