"""Japanese phrases (文節) for line breaking, from BudouX.

Japanese has no spaces, so a browser may break a line between any two characters and a
phone shows 「組）」 or 「会場」 split across lines. BudouX (a small model, no dictionary,
no network) splits text into phrases; the HTML part keeps each phrase whole and allows
breaks only between them, and the text part (:mod:`renkei.newsletter.textwrap_ja`) uses the
same phrases as its unbreakable units.

HTML: :func:`phrase_markup` joins the escaped phrases with U+200B (ZERO WIDTH SPACE) inside
``<span style="word-break:keep-all;overflow-wrap:anywhere">``, as BudouX's own
``translate_html_string`` does: keep-all forbids breaks inside the phrases, U+200B allows
them between, and overflow-wrap:anywhere still breaks a phrase wider than the screen.
U+200B never goes anywhere else: not in the text part, the subject, ``<title>``, the
preheader or data files (tested).
"""

from __future__ import annotations

from functools import lru_cache

import budoux
from markupsafe import Markup, escape

ZWSP = "\u200b"
KEEP_ALL_STYLE = "word-break:keep-all;overflow-wrap:anywhere"
_KEEP_ALL_OPEN = f'<span style="{KEEP_ALL_STYLE}">'


@lru_cache(maxsize=1)
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    for part in _parser().parse(text):
        if parts and parts[-1][-1:].isdigit() and part[:1].isdigit():
            parts[-1] += part  # BudouX splits digit runs ('202', '6年'): never inside 2026
        elif part:
            parts.append(part)
    return tuple(parts)


def phrases(text: str) -> list[str]:
    """The phrases of ``text`` in order; ``"".join(phrases(t)) == t``. Empty text: []."""
    if not text:
        return []
    return list(_parse(text))


def phrase_markup(text: str | None) -> Markup:
    """Escaped HTML for a heading or title that wraps only between phrases (a Jinja filter)."""
    if not text:
        return Markup("")
    text = text.replace(ZWSP, "")
    parts = [p for p in phrases(text) if p]
    if len(parts) < 2:
        return escape(text)
    return Markup(_KEEP_ALL_OPEN) + Markup(ZWSP).join(escape(p) for p in parts) + Markup("</span>")
