"""Render an Issue into the HTML (MJML) and plain-text parts of the newsletter.

Templates live in the ``newsletter_templates`` package (Jinja2): ``layout.mjml.j2`` with
partials under ``partials/`` for the HTML part, ``newsletter.txt.j2`` for the text part.
HTML templates are autoescaped, the text template is not. The text part is wrapped to
70 display columns (35 full-width characters) by :mod:`renkei.newsletter.textwrap_ja`.
Each card shows its facts as labelled lines and its summary without them
(:mod:`renkei.newsletter.card_facts`); titles and headings in the HTML wrap only between
BudouX phrases (the ``phrases`` filter, :mod:`renkei.newsletter.phrasing`).

Per-recipient values are left as markers that the delivery stage substitutes:
``%%UNSUBSCRIBE_URL%%`` (the unsubscribe link, in an href and in the text) and
``%%RECIPIENT_NAME%%`` (the greeting). They survive MJML rendering verbatim (tested).

Links: every href in the HTML must be ``https://``, ``mailto:``, an in-page ``#anchor``
(the table of contents) or the unsubscribe marker. ``http://`` item links are refused
(``render_issue`` raises ``ValueError`` naming them): the composition stage must drop or
upgrade them, so nothing insecure reaches members silently. An organiser contact that is
not an e-mail address or an https URL (a phone number, an http URL) is shown as plain text,
not linked, so it never blocks an issue.
"""

from __future__ import annotations

import html as html_lib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape
from mjml import mjml2html

import newsletter_templates
from renkei.newsletter.card_facts import card_facts, card_summary
from renkei.newsletter.dates_ja import (
    jp_date,
    jp_datetime_range,
    jp_deadline,
    jp_month_label,
    jp_period,
)
from renkei.newsletter.interest_order import interest_tags, strip_marks
from renkei.newsletter.model import CATEGORY_JA, SECTOR_JA, Issue, Organiser, Rendered, Section
from renkei.newsletter.phrasing import phrase_markup
from renkei.newsletter.textwrap_ja import DEFAULT_WIDTH, wrap_text
from transforms.text import match_key, member_name_key

UNSUBSCRIBE_MARKER = "%%UNSUBSCRIBE_URL%%"
# 「この取組について相談する」: one per item, replaced per recipient at send time
# (renkei.core.consult_link); a sample or the public page in previews and the archive.
CONSULT_MARKER = re.compile(r"%%CONSULT:([A-Za-z0-9_-]+)%%")
RECIPIENT_MARKER = "%%RECIPIENT_NAME%%"
MAX_HTML_BYTES = 102_400  # Gmail clips messages whose HTML exceeds ~102 KB
# A 「相談する」 marker (some 35 bytes) becomes the reader's own link when sent: the public
# URL, the signed reader (its address and the issue), the item and a MAC. A 45-character
# public URL and a 39-character address make 210 bytes; the size check counts each marker
# as this many, so the bulletin that is sent, not the compiled one, stays under the limit.
CONSULT_LINK_BYTES = 256
TEXT_WIDTH = DEFAULT_WIDTH  # display columns (35 full-width characters)

HTML_TEMPLATE = "layout.mjml.j2"
TEXT_TEMPLATE = "newsletter.txt.j2"

_EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
# An address inside a longer contact text (「事業推進課 info@example.jp」): ASCII only.
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_HREF_RE = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


class NewsletterTooLarge(Exception):
    """The HTML part is over MAX_HTML_BYTES; Gmail would clip it (and hide the footer)."""

    def __init__(
        self,
        size: int,
        limit: int,
        section_key: str | None,
        section_title: str | None,
        section_items: int,
        section_bytes: int,
    ) -> None:
        self.size = size
        self.limit = limit
        self.section_key = section_key
        self.section_title = section_title
        self.section_items = section_items
        self.section_bytes = section_bytes
        if section_key is None:
            ja_hint = "セクションがありません。巻頭言などを短くしてください。"
            en_hint = "There are no sections; shorten the editorial."
        else:
            ja_hint = (
                f"最も大きいセクションは「{section_title}」（{section_items}件、"
                f"約{section_bytes:,}バイト）です。このセクションの掲載件数の上限を"
                "下げてください。"
            )
            en_hint = (
                f"Largest section: '{section_key}' ({section_title}, {section_items} items, "
                f"~{section_bytes:,} bytes); lower that section's cap."
            )
        super().__init__(
            f"メルマガのHTMLが{size:,}バイトで、上限{limit:,}バイトを超えています"
            f"（Gmailで末尾が切れ、配信停止の案内が見えなくなります）。{ja_hint}\n"
            f"Newsletter HTML is {size:,} bytes, over the {limit:,}-byte limit "
            f"(Gmail clips it, hiding the unsubscribe footer). {en_hint}"
        )


# --- Jinja filters -----------------------------------------------------------------------


def sector_ja(sector: str) -> str:
    """産/学/金/官 for a sector key; the key itself when unknown."""
    return SECTOR_JA.get(sector, sector)


NEED_KIND_JA = {"need": "技術ニーズ", "seed": "技術シーズ"}


def category_ja(category: str) -> str:
    return CATEGORY_JA.get(category) or NEED_KIND_JA.get(category) or CATEGORY_JA["other"]


def contact_href(contact: str | None) -> str | None:
    """A link for an organiser contact: mailto: for e-mail, the URL for https; else None."""
    if not contact:
        return None
    c = contact.strip()
    if c.lower().startswith("mailto:"):
        c = c[len("mailto:") :]
    if _EMAIL_RE.match(c):
        return f"mailto:{c}"
    if c.lower().startswith("https://") and not any(ch.isspace() for ch in c):
        return c
    return None


def contact_markup(contact: str) -> Markup:
    """An organiser contact for the HTML part: an e-mail address or https URL as a whole
    is a link; otherwise the text, escaped, with any e-mail address in it linked."""
    href = contact_href(contact)
    if href:
        label = contact_label(contact) if href.startswith("mailto:") else "お問い合わせページ"
        return Markup('<a href="{}">{}</a>').format(href, label)
    pieces, last = [], 0
    for found in _EMAIL_IN_TEXT.finditer(contact):
        pieces.append(escape(contact[last : found.start()]))
        pieces.append(Markup('<a href="mailto:{0}">{0}</a>').format(found.group()))
        last = found.end()
    pieces.append(escape(contact[last:]))
    return Markup("").join(pieces)


def contact_label(contact: str) -> str:
    c = contact.strip()
    return c[len("mailto:") :] if c.lower().startswith("mailto:") else c


def contact_who(organiser: Organiser) -> str:
    """The name to put before an organiser's contact: none when the contact already names
    the organiser (「岡山県商工会議所連合会 事業推進課 …」 would read the name twice).

    Names match as the organisers do (NFKC, no legal form, no spaces or punctuation), so
    国立大学法人鳥取大学 is named by a contact that says 鳥取大学 研究推進機構."""
    if not organiser.contact:
        return organiser.name
    frame = pl.DataFrame({"name": [organiser.name], "contact": [organiser.contact]})
    name_key, contact_key = frame.select(
        member_name_key(pl.col("name")), match_key(pl.col("contact"))
    ).row(0)
    return "" if name_key and name_key in contact_key else organiser.name


def nl2br(value: str | None) -> Markup:
    """Escape, then turn newlines into <br> (for the editorial note)."""
    if not value:
        return Markup("")
    lines = escape(value.strip()).split("\n")
    return Markup("<br>").join(lines)


def _contacts(organisers: tuple[Organiser, ...]) -> list[Organiser]:
    return [o for o in organisers if o.contact]


@lru_cache(maxsize=1)
def _templates_dir() -> Path:
    return Path(newsletter_templates.__file__).resolve().parent


@lru_cache(maxsize=1)
def get_environment() -> Environment:
    """The (cached) Jinja environment; built on first use, not at import."""
    env = Environment(
        loader=FileSystemLoader(str(_templates_dir())),
        autoescape=select_autoescape(
            enabled_extensions=("mjml.j2", "html.j2", "html"),
            disabled_extensions=("txt.j2", "txt"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        jp_date=jp_date,
        jp_datetime_range=jp_datetime_range,
        jp_deadline=jp_deadline,
        sector_ja=sector_ja,
        category_ja=category_ja,
        contact_href=contact_href,
        contact_label=contact_label,
        contact_markup=contact_markup,
        contact_who=contact_who,
        nl2br=nl2br,
        contacts=_contacts,
        interest_tags=interest_tags,
        card_facts=card_facts,
        card_summary=card_summary,
        phrases=phrase_markup,  # HTML only: wraps between BudouX phrases
    )
    env.globals.update(
        UNSUBSCRIBE_MARKER=UNSUBSCRIBE_MARKER,
        RECIPIENT_MARKER=RECIPIENT_MARKER,
        TEXT_WIDTH=TEXT_WIDTH,
    )
    return env


# --- rendering ---------------------------------------------------------------------------


def section_anchor(section: Section) -> str:
    """The id of a section's heading, used by the table of contents."""
    key = re.sub(r"[^A-Za-z0-9_-]+", "-", section.key).strip("-") or "section"
    return f"sec-{key}"


def _context(issue: Issue) -> dict[str, object]:
    sections = [s for s in issue.sections if s.items or s.more_count]
    return {
        "issue": issue,
        "issuer": issue.issuer,
        "sections": sections,
        "anchors": {s.key: section_anchor(s) for s in sections},
        "period_label": issue.extra.get("period_label")
        or jp_month_label(issue.period_start, issue.period_end),
        "period_text": jp_period(issue.period_start, issue.period_end),
        "rule": "━" * (TEXT_WIDTH // 2),
        "consult": issue.extra.get("consult") == "1",
    }


def render_mjml(issue: Issue) -> str:
    """The MJML source (before mjml2html): for previews and template debugging."""
    return get_environment().get_template(HTML_TEMPLATE).render(_context(issue))


def render_html(issue: Issue) -> str:
    return mjml2html(render_mjml(issue))


def render_text(issue: Issue) -> str:
    raw = get_environment().get_template(TEXT_TEMPLATE).render(_context(issue))
    # Collapse runs of blank lines a template conditional may leave behind.
    raw = re.sub(r"\n{3,}", "\n\n", raw).strip("\n") + "\n"
    return wrap_text(raw, TEXT_WIDTH)


def validate_links(html: str) -> list[str]:
    """hrefs that are not https://, mailto:, an in-page #anchor or the unsubscribe marker."""
    bad: list[str] = []
    for m in _HREF_RE.finditer(html):
        href = html_lib.unescape(next(g for g in m.groups() if g is not None)).strip()
        if href == UNSUBSCRIBE_MARKER or CONSULT_MARKER.fullmatch(href):
            continue
        low = href.lower()
        if low.startswith("mailto:") and len(href) > len("mailto:"):
            continue
        if low.startswith("https://") and len(href) > len("https://"):
            continue
        if href.startswith("#") and len(href) > 1:
            continue
        bad.append(href)
    return bad


def sent_bytes(html: str) -> int:
    """The size of the HTML part as sent: each 「相談する」 marker counted as a link
    (CONSULT_LINK_BYTES)."""
    links = sum(CONSULT_LINK_BYTES - len(m.group(0)) for m in CONSULT_MARKER.finditer(html))
    return len(html.encode("utf-8")) + links


def _html_bytes(issue: Issue) -> int:
    return sent_bytes(render_html(issue))


def _largest_section(issue: Issue) -> tuple[Section | None, int]:
    """The section costing the most bytes (measured by rendering it alone)."""
    if not issue.sections:
        return None, 0
    base = _html_bytes(replace(issue, sections=()))
    costs = [(_html_bytes(replace(issue, sections=(s,))) - base, s) for s in issue.sections]
    cost, section = max(costs, key=lambda c: (c[0], len(c[1].items)))
    return section, cost


def render_issue(issue: Issue, *, max_bytes: int = MAX_HTML_BYTES) -> Rendered:
    """Render both parts. Raises ValueError for bad links, NewsletterTooLarge for size."""
    html = render_html(issue)
    bad = validate_links(html)
    if bad:
        listed = "\n".join(f"  - {h}" for h in bad)
        raise ValueError(
            "https:// か mailto: 以外のリンクがあります（http:// のリンクは掲載前に"
            "除外するか https に直してください）。\n"
            f"Links must be https:// or mailto:; offending hrefs:\n{listed}"
        )
    size = sent_bytes(html)
    if size > max_bytes:
        section, cost = _largest_section(issue)
        raise NewsletterTooLarge(
            size=size,
            limit=max_bytes,
            section_key=section.key if section else None,
            section_title=section.title if section else None,
            section_items=len(section.items) if section else 0,
            section_bytes=cost,
        )
    return Rendered(html=html, text=render_text(issue), subject=issue.subject)


@dataclass(frozen=True)
class SkippedItem:
    """An item left out of a draft because it alone breaks the renderer."""

    activity_id: str
    title: str
    reason: str

    def line(self) -> str:
        return f"{self.activity_id} 「{self.title[:40]}」: {self.reason}"


def unrenderable_items(issue: Issue) -> list[SkippedItem]:
    """The items that fail to render in an issue of their own (an item that renders alone
    is never blamed). Used after a whole-issue render failed, to leave out only those.
    Empty when the issue fails without any item (the editorial or the templates are at
    fault, not the items)."""
    try:
        render_issue(replace(issue, sections=()), max_bytes=sys.maxsize)
    except Exception:
        return []
    bad: list[SkippedItem] = []
    for section in issue.sections:
        for item in section.items:
            alone = replace(issue, sections=(replace(section, items=(item,), more_count=0),))
            try:
                render_issue(alone, max_bytes=sys.maxsize)
            except Exception as exc:  # any renderer failure: the item is the one to blame
                reason = " ".join(str(exc).split()) or type(exc).__name__
                bad.append(SkippedItem(item.activity_id, item.title, reason[:300]))
    return bad


def personalise(
    body: str, *, recipient_name: str, unsubscribe_url: str,
    consult: Callable[[str], str] | None = None,
) -> str:  # fmt: skip
    """Substitute the per-recipient parts into once-rendered HTML or text (card comments,
    see ``renkei.newsletter.interest_order``, are removed). ``consult``: activity_id → the
    consultation link (a reader's own at send time; the public page in previews and the
    archive, see ``public_consult_link``)."""
    text = (
        strip_marks(body)
        .replace(UNSUBSCRIBE_MARKER, unsubscribe_url)
        .replace(RECIPIENT_MARKER, recipient_name)
    )
    return CONSULT_MARKER.sub(lambda m: consult(m.group(1)) if consult else "", text)


def public_consult_link(base_url: str) -> Callable[[str], str]:
    """Where a reader without a personal link asks: the portal signs them in by mail."""
    return lambda activity_id: f"{base_url.rstrip('/')}/portal/consult?activity={activity_id}"
