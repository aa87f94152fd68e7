"""transforms.entities and the batch decode in display_text: equal to the standard
library (html.unescape) and to the one-value reference (_decode), value by value."""

from __future__ import annotations

import html

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.entities import decode_references, drop_nul_references
from transforms.text import _NUL_REFERENCE_RE, _decode, _unescape_batch

# Pieces that make references, near-references and markup likely in generated text.
_PIECES = [
    "&", "#", "x", "X", "0", "00", "1", "3", "9", "a", "f", "F", "g", ";", " ", "\t", "<", ">",
    "amp", "lt", "gt", "quot", "nbsp", "ampere", "copy", "notin", "not", "AMP", "&#0",
    "&#x0", "&lt;", "&gt;", "script", "/script", "&amp;", "&#12290;", "&#x3042;", "&#1114112;",
    "&#128512", "&#55296;", "&#x80;", "b", "p", "!--", "--", "研究", "ｶ", "ﾞ", "０",
    "\u200b", "\x00", "&#8203;", "&#65398;&#65438;",
]  # fmt: skip
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=14).map("".join)
_BATCH = st.lists(st.one_of(st.none(), _TEXT), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(_BATCH)
def test_decode_references_equals_html_unescape(values: list[str | None]) -> None:
    s = pl.Series("v", values, dtype=pl.String)
    assert decode_references(s).to_list() == [
        None if v is None else html.unescape(v) for v in values
    ]


@settings(max_examples=300, deadline=None)
@given(_BATCH)
def test_drop_nul_references_equals_the_regex_with_lookahead(values: list[str | None]) -> None:
    s = pl.Series("v", values, dtype=pl.String)
    assert drop_nul_references(s).to_list() == [
        None if v is None else _NUL_REFERENCE_RE.sub("", v) for v in values
    ]


@settings(max_examples=300, deadline=None)
@given(_BATCH)
def test_batch_decode_equals_decoding_each_value(values: list[str | None]) -> None:
    s = pl.Series("v", values, dtype=pl.String)
    assert _unescape_batch(s).to_list() == [
        v if v is None or "&" not in v else _decode(v) for v in values
    ]


def test_references_decode_in_rounds_with_markup_removed_between() -> None:
    s = pl.Series("v", ["A&amp;lt;script&amp;gt;x()", "&amp;amp;", "R&D　&#12290;", "&#0;&#x00"])
    assert _unescape_batch(s).to_list() == ["A", "&", "R&D　。", ""]


def test_a_batch_without_references_is_returned_as_it_is() -> None:
    s = pl.Series("v", ["研究", None, "a<b"])
    assert _unescape_batch(s) is s
