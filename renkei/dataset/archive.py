"""The public archive of sent issues: one page per issue, an index and ``issues.atom``.

Each page is the sent HTML with the per-recipient parts filled neutrally (no name, the
general unsubscribe page) and every e-mail address other than the issuer's removed.

An item the secretariat hid (``renkei hide``) after the issue was sent is withheld from the
page: its card is replaced by the notice 「この項目は事務局により非公開としました。」, so the
page still shows what was sent, with the item's place and the counts (目次, 件数) as they
were, but none of its text. A card is found by the per-item comments the compiled HTML
carries (``renkei.newsletter.interest_order``) and the item's title (and its link, when
it had one). A page on which a hidden item's title still appears after that is not
published at all (listed as 「非公開」 in the index) rather than published with it.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from itertools import pairwise
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl
from jinja2 import Environment, select_autoescape

from renkei.core.settings import Settings
from renkei.dataset.atom import ATOM, tag_base
from renkei.newsletter.interest_order import END_MARK, ITEM_MARK
from renkei.newsletter.render import personalise, public_consult_link

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
INDEX = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>{{ title }}</title></head><body>
<h1>{{ title }}</h1><ul id="issues">
{% for i in issues %}<li>{% if i.withheld %}第{{ i.number }}号 {{ i.subject }}（事務局により非公開）
{% else %}<a href="{{ i.href }}">第{{ i.number }}号 {{ i.subject }}</a>
{% endif %}（{{ i.sent_on }}）</li>
{% endfor %}</ul><p><a href="../issues.atom">Atom フィード</a></p></body></html>
"""


def public_html(html: str, settings: Settings) -> str:
    """The sent HTML without personal parts."""
    base = settings.console.public_url  # 「相談する」: the public page (sign in by mail)
    page = personalise(
        html,
        recipient_name="読者各位",
        unsubscribe_url=settings.issuer.unsubscribe_url,
        consult=public_consult_link(base) if base else None,
    )
    keep = {settings.issuer.contact_email.lower()}
    if settings.issuer.unsubscribe_mailto:
        keep.add(settings.issuer.unsubscribe_mailto.lower())
    return EMAIL.sub(
        lambda m: m.group(0) if m.group(0).lower() in keep else "（メールアドレス省略）", page
    )


WITHHELD_NOTICE = "この項目は事務局により非公開としました。"
WITHHELD_CARD = (
    '<tr><td align="left" class="card" style="padding:12px 20px;"><div style="font-size:14px;'
    f'color:#555555">{WITHHELD_NOTICE}</div></td></tr>'
)
_TAG = re.compile(r"<[^>]*>")
_NOT_TEXT = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")


def _plain(html: str) -> str:
    """Visible text, for matching: no tags, entities decoded, NFKC, no spaces."""
    text = html_lib.unescape(_TAG.sub("", html))
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text))


def _is_card_of(card: str, hidden: dict) -> bool:
    titles = [_plain(t) for t in (hidden.get("title"), hidden.get("edited_title")) if t]
    if not any(t and t in _plain(card) for t in titles):
        return False
    url = hidden.get("url")
    return not url or f'href="{html_lib.escape(url)}"' in card or f'href="{url}"' in card


def withhold_hidden(html: str, hidden: list[dict]) -> tuple[str, bool]:
    """(the sent HTML with each hidden item's card replaced by the notice, whether any
    hidden item's title still shows: then the page must not be published)."""
    if not hidden:
        return html, False
    bounds = sorted(
        [(m.start(), m.end()) for m in ITEM_MARK.finditer(html)]
        + [(m.start(), m.end()) for m in re.finditer(re.escape(END_MARK), html)]
    )
    parts, pos = [], 0
    for (start, end), (following, _) in pairwise(bounds):
        card = html[end:following]
        if ITEM_MARK.fullmatch(html[start:end]) and any(_is_card_of(card, h) for h in hidden):
            parts += [html[pos:end], WITHHELD_CARD]
            pos = following
    redacted = "".join([*parts, html[pos:]])
    shown = _plain(redacted)
    titles = {_plain(t) for h in hidden for t in (h.get("title"), h.get("edited_title")) if t}
    return redacted, any(t and t in shown for t in titles)


def write_archive(
    issues: pl.DataFrame, folder: Path, settings: Settings, hidden: pl.DataFrame | None = None
) -> list[Path]:
    """issues/<id>.html per sent issue, issues/index.html and issues.atom; ``hidden``: the
    hidden items of sent issues (``dataset_hidden_in_sent_issues``), withheld."""
    pages = folder / "issues"
    pages.mkdir(exist_ok=True)
    files: list[Path] = []
    listed = []
    by_issue: dict[str, list[dict]] = {}
    for item in (hidden if hidden is not None else pl.DataFrame()).iter_rows(named=True):
        by_issue.setdefault(item["issue_id"], []).append(item)
    for row in issues.iter_rows(named=True):
        path = pages / f"{row['issue_id']}.html"
        page, withheld = withhold_hidden(row["html"], by_issue.get(row["issue_id"], []))
        if not withheld:
            path.write_text(public_html(page, settings), encoding="utf-8")
            files.append(path)
        sent_on = row["sent_at"].date().isoformat()
        listed.append({**row, "href": path.name, "sent_on": sent_on, "withheld": withheld})
    index = pages / "index.html"
    env = Environment(autoescape=select_autoescape(default=True))
    title = f"{settings.newsletter.title} バックナンバー"
    index.write_text(env.from_string(INDEX).render(title=title, issues=listed), "utf-8")
    files.append(index)
    feed = folder / "issues.atom"
    feed.write_bytes(_feed(listed, settings, title))
    files.append(feed)
    return files


def _feed(issues: list[dict], settings: Settings, title: str) -> bytes:
    ET.register_namespace("", ATOM)
    base = tag_base(settings.issuer.website)
    site = settings.newsletter.dataset_url.rstrip("/") + "/"
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "ja"})

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    sub(feed, "id", base + "issues")
    sub(feed, "title", title)
    newest = issues[0]["sent_at"].isoformat(timespec="seconds") if issues else None
    sub(feed, "updated", newest or "1970-01-01T00:00:00+00:00")
    sub(feed, "link", rel="self", href=site + "issues.atom", type="application/atom+xml")
    sub(sub(feed, "author"), "name", settings.issuer.name)
    for issue in issues:
        if issue.get("withheld"):  # no page to link to
            continue
        entry = sub(feed, "entry")
        sub(entry, "id", f"{base}issue:{issue['issue_id']}")
        sub(entry, "title", f"第{issue['number']}号 {issue['subject']}")
        sub(entry, "updated", issue["sent_at"].isoformat(timespec="seconds"))
        sub(entry, "link", rel="alternate", href=f"{site}issues/{issue['href']}", type="text/html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"
