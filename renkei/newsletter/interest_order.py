"""Interests first: reorder a compiled bulletin's items for one contact, without rendering it.

A contact's interests are tags ``sector:<sector>``, ``prefecture:<都道府県>`` and
``category:<category>`` (``renkei.delivery.subscribers``). An item matches when its category, or the
sector or prefecture of any of its organisers, is among them. The rule: **within every
section, the matching items come first, in their approved order, then the others in theirs**.
Sections, their order, the table of contents and every word stay as approved; only the order
of item cards inside a section changes. A contact without interests (or whose interests
match nothing) gets the approved order.

The compiled HTML carries the tags of each card in a comment (``<!--rk-item TAGS-->`` before
it, ``<!--rk-items-end-->`` after a section's last card; see ``section.mjml.j2``), which MJML
keeps verbatim. The plain-text part is cut by its layout: an item is a ``◇`` line and the
lines after it up to the next blank line (titles and summaries never contain a blank line);
its tags come from the HTML comment at the same position. If the two parts do not line up,
the bulletin is sent in the approved order rather than risk a garbled one.

The result depends only on which items match, so a send prepares one variant per distinct
pattern (a few), never one per recipient.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from renkei.newsletter.model import Item

ITEM_MARK = re.compile(r"<!--rk-item ?([^>]*?)-->")
END_MARK = "<!--rk-items-end-->"
_ANY_MARK = re.compile(r"<!--rk-item[^>]*?-->|<!--rk-items-end-->")
ITEM_START = "◇ "


def interest_tags(item: Item) -> str:
    """The tags an item answers to, space-separated (a Jinja filter for the card comment)."""
    tags = {f"category:{item.category}"}
    for o in item.organisers:
        if o.sector:
            tags.add(f"sector:{o.sector}")
        if o.prefecture:
            tags.add(f"prefecture:{o.prefecture}")
    return " ".join(sorted(tags))


def strip_marks(html: str) -> str:
    """The HTML without the card comments (what recipients and the archive see)."""
    return _ANY_MARK.sub("", html)


@dataclass(frozen=True)
class _Section:
    starts: tuple[int, ...]  # offset of each card's comment
    end: int  # offset of the section's end comment


@dataclass(frozen=True)
class Layout:
    """Where the cards are in one compiled bulletin (HTML and text), found once per send."""

    html: str
    text: str
    tags: tuple[frozenset[str], ...]  # per item, in document order
    html_sections: tuple[_Section, ...]
    text_lines: tuple[str, ...]
    text_blocks: tuple[tuple[int, int], ...]  # per item: [first line, end line) in text_lines

    @classmethod
    def of(cls, html: str, text: str) -> Layout:
        tags: list[frozenset[str]] = []
        sections: list[_Section] = []
        pos = 0
        for end in re.finditer(re.escape(END_MARK), html):
            marks = list(ITEM_MARK.finditer(html, pos, end.start()))
            if marks:
                sections.append(_Section(tuple(m.start() for m in marks), end.start()))
                tags.extend(frozenset(m.group(1).split()) for m in marks)
            pos = end.end()
        lines = tuple(text.split("\n"))
        return cls(html, text, tuple(tags), tuple(sections), lines, _text_blocks(lines))

    @property
    def aligned(self) -> bool:
        """Both parts show the same number of items, contiguous within each section."""
        if len(self.text_blocks) != len(self.tags):
            return False
        k = 0
        for section in self.html_sections:
            blocks = self.text_blocks[k : k + len(section.starts)]
            k += len(section.starts)
            if any(b[0] != a[1] + 1 for a, b in pairwise(blocks)):
                return False
        return True

    def matches(self, interests: Iterable[str]) -> tuple[bool, ...]:
        """Per item: does it match any of ``interests``? (the key of a variant)"""
        wanted = frozenset(interests)
        if not wanted or not self.aligned:
            return (False,) * len(self.tags)
        return tuple(bool(t & wanted) for t in self.tags)

    def variant(self, matches: tuple[bool, ...]) -> tuple[str, str]:
        """(html, text) with matching items first in each section; card comments removed."""
        if not any(matches) or all(matches):
            return strip_marks(self.html), self.text
        html_parts: list[str] = []
        lines = list(self.text_lines)
        pos = k = 0
        for section in self.html_sections:
            n = len(section.starts)
            order = _order(matches[k : k + n])
            bounds = (*section.starts, section.end)
            cards = [self.html[bounds[i] : bounds[i + 1]] for i in range(n)]
            html_parts.append(self.html[pos : section.starts[0]])
            html_parts.extend(cards[i] for i in order)
            pos = section.end
            blocks = self.text_blocks[k : k + n]
            moved: list[str] = []
            for i in order:
                if moved:
                    moved.append("")
                moved.extend(self.text_lines[blocks[i][0] : blocks[i][1]])
            lines[blocks[0][0] : blocks[-1][1]] = moved
            k += n
        html_parts.append(self.html[pos:])
        return strip_marks("".join(html_parts)), "\n".join(lines)


def _order(matches: tuple[bool, ...]) -> list[int]:
    return sorted(range(len(matches)), key=lambda i: not matches[i])  # stable


def _text_blocks(lines: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    blocks = []
    for i, line in enumerate(lines):
        if line.startswith(ITEM_START) and (i == 0 or lines[i - 1] == ""):
            end = i + 1
            while end < len(lines) and lines[end] != "":
                end += 1
            blocks.append((i, end))
    return tuple(blocks)
