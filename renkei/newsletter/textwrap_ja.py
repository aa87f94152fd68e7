"""Display-width-aware line wrapping for Japanese plain-text mail.

Width is counted in display columns: East Asian Width F/W count 2, everything else 1,
combining marks and control characters 0. Ambiguous-width characters (class A: ①, ※, ■,
━, …, ○) count 2 by default because Japanese mail clients draw them full width; counting
them 1 would let a line overflow on exactly the screens we write for. Pass
``ambiguous_width=1`` for the strict Unicode reading. Either way a line within the limit
under the default is within it under the strict reading too.

Rules, in order of strength:
1. A URL (``https://…``, ``http://…``, ``mailto:…``) or a ``%%MARKER%%`` is never broken.
   One longer than the width stands alone on its own line.
2. No line is wider than ``width`` (except such a lone URL).
3. A Japanese word is not broken: lines break between BudouX phrases (文節, see
   :mod:`renkei.newsletter.phrasing`), so 「会場」 or 「取組）」 is never split; only a phrase
   wider than a line is broken between its characters.
4. Kinsoku: a line does not start with 。、」）… nor end with 「（…; when the only way to
   satisfy this would be an empty or overlong line, rule 2 wins.
Latin words are kept whole (broken only when longer than a line). Lines already within the
width are returned unchanged. Continuation lines repeat the leading indentation of the
original line (ASCII spaces only: a leading full-width space is a 字下げ, not repeated);
after a list mark and a space (「◇ 」「■ 」「1. 」) they are indented under the text that
follows the mark. A last line narrower than ``SHORT_TAIL`` columns (「未来」」 alone) takes
the previous line's last phrase with it, when that phrase fits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from renkei.newsletter.phrasing import phrases

DEFAULT_WIDTH = 70  # = 35 full-width characters

# Characters that must not begin a line (行頭禁則).
NO_LINE_START = frozenset(
    "、。，．,.:;：；？！?!"
    "」』）)］]｝}〕〉》】〙〗〟’”"
    "ー…‥〜～・"
    "ゝゞヽヾ々"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
)
# Characters that must not end a line (行末禁則).
NO_LINE_END = frozenset("「『（(［[｛{〔〈《【〘〖〝‘“")

# A list mark and its space: continuation lines hang under the text after it.
_MARK_RE = re.compile(r"(?:[◇◆■□●○◎・※]|[0-9]{1,2}\.) ")
SHORT_TAIL = 8  # display columns: a last line narrower than this is carried down to

# Unbreakable runs: URLs / mail links / delivery markers, then other Latin "words".
_URL_RE = r"(?:https?://|mailto:)[!-~]+|%%[A-Z][A-Z0-9_]*%%"
_TOKEN_RE = re.compile(rf"(?P<url>{_URL_RE})|(?P<word>[!-~]+)|(?P<space> +)|(?P<char>.)", re.S)
URL_RE = re.compile(_URL_RE)


def char_width(ch: str, ambiguous_width: int = 2) -> int:
    """Display columns of one character."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cc", "Cf", "Mn", "Me"):
        return 0
    eaw = unicodedata.east_asian_width(ch)
    if eaw in ("F", "W"):
        return 2
    if eaw == "A":
        return ambiguous_width
    return 1


def display_width(text: str, ambiguous_width: int = 2) -> int:
    """Display columns of a string (no newlines expected)."""
    return sum(char_width(ch, ambiguous_width) for ch in text)


def is_single_url(line: str) -> bool:
    """True when the line, stripped, is exactly one URL or marker (exempt from the width)."""
    return URL_RE.fullmatch(line.strip()) is not None


@dataclass(frozen=True)
class _Atom:
    text: str
    width: int
    kind: str  # url | word | space | char


def _atoms(text: str, ambiguous_width: int) -> list[_Atom]:
    return [
        _Atom(m.group(), display_width(m.group(), ambiguous_width), m.lastgroup or "char")
        for m in _TOKEN_RE.finditer(text)
    ]


def _break_ok(atoms: list[_Atom], i: int) -> bool:
    """May a line break fall before atoms[i]?"""
    if i <= 0 or i >= len(atoms):
        return False
    before, after = atoms[i - 1], atoms[i]
    if after.kind == "space":
        return False  # break after the spaces instead; they are dropped at the break
    if after.text[0] in NO_LINE_START:
        return False
    return not (before.kind != "space" and before.text[-1] in NO_LINE_END)


def _phrase_breaks(atoms: list[_Atom], avail: int) -> set[int]:
    """Indices i where a break before atoms[i] falls between two phrases: BudouX phrase
    boundaries, after a space, around a URL, and anywhere inside a phrase
    wider than ``avail`` (it cannot be kept whole)."""
    starts: dict[int, int] = {}
    offset = 0
    for i, a in enumerate(atoms):
        starts[offset] = i
        offset += len(a.text)
    text = "".join(a.text for a in atoms)
    ok: set[int] = set()
    pos = 0
    for phrase in phrases(text):
        inner = [starts[p] for p in range(pos, pos + len(phrase)) if p in starts]
        if inner:
            ok.add(inner[0])
            if sum(atoms[i].width for i in inner) > avail:
                ok.update(inner)
        pos += len(phrase)
    for i, a in enumerate(atoms):
        if a.kind in ("space", "url"):
            ok.update((i, i + 1))
    return ok


def _split_word(atom: _Atom, room: int, width: int, ambiguous_width: int) -> list[str]:
    """Hard-break an over-long non-URL word: first piece fits ``room``, others ``width``."""
    pieces: list[str] = []
    cur, cur_w, limit = "", 0, room
    for ch in atom.text:
        w = char_width(ch, ambiguous_width)
        if cur and cur_w + w > limit:
            pieces.append(cur)
            cur, cur_w, limit = "", 0, width
        cur += ch
        cur_w += w
    if cur:
        pieces.append(cur)
    return pieces


def _hang(line: str, width: int, ambiguous_width: int) -> tuple[str, str, str]:
    """(first-line indent, continuation indent, body) of a line to wrap."""
    indent = line[: len(line) - len(line.lstrip(" "))]
    if display_width(indent, ambiguous_width) > width // 2:
        indent = ""
    body = line[len(indent) :]
    mark = _MARK_RE.match(body)
    hang = indent
    if mark:
        hang = indent + " " * display_width(mark.group(), ambiguous_width)
        if display_width(hang, ambiguous_width) > width // 2:
            hang = indent
    return indent, hang, body


def _breaks(atoms: list[_Atom], at_phrase: set[int], avails: tuple[int, int]) -> list[int]:
    """Start indices of the lines (the first line has avails[0] columns, others [1])."""
    starts: list[int] = []
    start, n = 0, len(atoms)
    while start < n:
        # Skip spaces at the start of a continuation line.
        while starts and start < n and atoms[start].kind == "space":
            start += 1
        if start >= n:
            break
        avail = avails[1] if starts else avails[0]
        starts.append(start)
        used = 0
        j = start
        while j < n and used + atoms[j].width <= avail:
            used += atoms[j].width
            j += 1
        if j >= n:
            break
        if j == start:
            start += 1  # a lone URL wider than the line: it stands alone, unbroken
            continue
        # Latest break in (start, j] between phrases that kinsoku allows; else between
        # phrases; else one kinsoku allows; else a forced break at j.
        spans = range(j, start, -1)
        start = next(
            (b for b in spans if b in at_phrase and _break_ok(atoms, b)),
            next(
                (b for b in spans if b in at_phrase and atoms[b].kind != "space"),
                next((b for b in spans if _break_ok(atoms, b)), j),
            ),
        )
    return starts


def _carry_short_tail(
    atoms: list[_Atom], starts: list[int], at_phrase: set[int], avail: int
) -> list[int]:
    """Move the last break back one phrase when the last line is a short tail and the
    phrase makes it one no longer (characters of a phrase wider than a line are not
    carried one by one)."""
    if len(starts) < 2:
        return starts
    prev, last = starts[-2], starts[-1]
    tail = sum(a.width for a in atoms[last:])
    if tail >= SHORT_TAIL or any(a.kind == "url" for a in atoms[last:]):
        return starts
    for b in range(last - 1, prev, -1):
        if b in at_phrase and _break_ok(atoms, b) and atoms[b].kind != "space":
            if SHORT_TAIL <= sum(a.width for a in atoms[b:]) <= avail:
                return [*starts[:-1], b]
            break
    return starts


def wrap_line(line: str, width: int = DEFAULT_WIDTH, ambiguous_width: int = 2) -> list[str]:
    """Wrap one line (no newline inside) into lines of at most ``width`` columns."""
    if display_width(line, ambiguous_width) <= width:
        return [line]
    indent, hang, body = _hang(line.rstrip(), width, ambiguous_width)
    avails = (
        width - display_width(indent, ambiguous_width),
        width - display_width(hang, ambiguous_width),
    )
    avail = min(avails)
    # Over-long plain words are pre-split so that everything but URLs fits a line.
    fitted: list[_Atom] = []
    for a in _atoms(body, ambiguous_width):
        if a.kind == "word" and a.width > avail:
            fitted.extend(
                _Atom(p, display_width(p, ambiguous_width), "char")
                for p in _split_word(a, avail, avail, ambiguous_width)
            )
        else:
            fitted.append(a)
    atoms = fitted
    at_phrase = _phrase_breaks(atoms, avail)
    starts = _carry_short_tail(atoms, _breaks(atoms, at_phrase, avails), at_phrase, avails[1])
    ends = [*starts[1:], len(atoms)]
    out = [
        (hang if k else indent) + "".join(a.text for a in atoms[s:e]).rstrip(" ")
        for k, (s, e) in enumerate(zip(starts, ends, strict=True))
    ]
    return out or [line]


def wrap_text(text: str, width: int = DEFAULT_WIDTH, ambiguous_width: int = 2) -> str:
    """Wrap every line of ``text``; short lines (and blank lines) are kept as they are."""
    lines: list[str] = []
    for line in text.split("\n"):
        lines.extend(wrap_line(line, width, ambiguous_width))
    return "\n".join(lines)
