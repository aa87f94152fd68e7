"""Plain-text tables for the secretariat's terminal that line up with Japanese text.

Full-width characters take two columns (East Asian Width W/F), so a column of institution
names stays aligned; ``renkei feeds`` and ``renkei submissions`` print with it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping


def width(text: str) -> int:
    """Terminal columns ``text`` takes."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cell(text: str, columns: int, right: bool) -> str:
    pad = " " * (columns - width(text))
    return pad + text if right else text + pad


def format_table(
    rows: list[dict[str, object]],
    *,
    numeric: Collection[str] = (),
    cut: Mapping[str, int] | None = None,
) -> str:
    """Headings and rows, columns two spaces apart; ``numeric`` columns right-aligned, and a
    ``cut`` column shortened to that many characters (…)."""
    if not rows:
        return ""
    cells = [{k: str(v) for k, v in row.items()} for row in rows]
    for column, chars in (cut or {}).items():
        for row in cells:
            if len(row[column]) > chars:
                row[column] = row[column][: chars - 1] + "…"
    names = list(rows[0])
    widths = {c: max(width(c), *(width(r[c]) for r in cells)) for c in names}
    lines = ["  ".join(_cell(c, widths[c], c in numeric) for c in names).rstrip()]
    lines += [
        "  ".join(_cell(r[c], widths[c], c in numeric) for c in names).rstrip() for r in cells
    ]
    return "\n".join(lines)
