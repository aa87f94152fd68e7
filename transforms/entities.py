"""HTML character references decoded in Polars, a batch at a time, exactly as the standard
library's ``html.unescape`` decodes each value.

Polars has no entity decoder, and the named-entity table (2,000+ names, legacy names
without ";", numeric forms) is not a fixed list of patterns. So a batch is decoded in two
vectorised steps: every reference in it is found with the regex ``html.unescape`` itself
uses, each *distinct* reference is decoded once by ``html.unescape``, and all of them are
replaced in one Aho-Corasick pass (``str.replace_many``, longest first).

Why that equals ``html.unescape`` value by value: ``html.unescape`` replaces the
leftmost, greedy matches of its pattern one after another. Every string in the pattern
list is itself such a match, so wherever one of them occurs the pattern matches there, and
the longest of them starting at that place is the greedy match (all of them start with
"&", and the pattern never crosses another "&", so no pattern can start inside a match).
tests/test_transforms_entities.py compares the two on generated text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import polars as pl

__all__ = ["REFERENCE", "decode_references", "drop_nul_references"]

# html.unescape's own pattern (Lib/html/__init__.py, _charref), in Rust regex syntax.
REFERENCE = r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\x0C <&#;]{1,32};?)"
# Numeric references with their whole digit run: the NUL ones (all zeros) are dropped.
_NUMERIC = r"&#(?:[0-9]+|[xX][0-9a-fA-F]+);?"
_NUL = re.compile(r"&#(?:0+|[xX]0+);?")


def _replace_found(s: pl.Series, pattern: str, decode: Callable[[str], str]) -> pl.Series:
    found = s.str.extract_all(pattern).explode().drop_nulls().unique()
    # Longest first: with leftmost=True the earlier pattern wins among those that start at
    # the same place, and those are prefixes of one another.
    patterns = sorted(found.to_list(), key=len, reverse=True)
    replacements = [decode(p) for p in patterns]
    if patterns == replacements:  # nothing would change (also: nothing found)
        return s
    return s.str.replace_many(patterns, replacements, leftmost=True)


def drop_nul_references(s: pl.Series) -> pl.Series:
    """``s`` without &#0; / &#x0; references (any number of zeros, ";" optional).

    html.unescape decodes them to U+FFFD (HTML5); renkei drops them instead.
    """
    return _replace_found(s, _NUMERIC, lambda ref: "" if _NUL.fullmatch(ref) else ref)


def decode_references(s: pl.Series) -> pl.Series:
    """``html.unescape`` of every value of ``s`` (null stays null)."""
    return _replace_found(s, REFERENCE, html.unescape)
