"""The public archive of sent issues: one page per issue, an index and ``issues.atom``.

Each page is the sent HTML with the per-recipient parts filled neutrally (no name, the
general unsubscribe page) and every e-mail address other than the issuer's removed.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl
from jinja2 import Environment, select_autoescape

from renkei.core.settings import Settings
from renkei.dataset.atom import ATOM, tag_base
from renkei.newsletter.render import personalise

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
INDEX = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>{{ title }}</title></head><body>
<h1>{{ title }}</h1><ul id="issues">
{% for i in issues %}<li><a href="{{ i.href }}">第{{ i.number }}号 {{ i.subject }}</a>
（{{ i.sent_on }}）</li>
{% endfor %}</ul><p><a href="../issues.atom">Atom フィード</a></p></body></html>
"""


def public_html(html: str, settings: Settings) -> str:
    """The sent HTML without personal parts."""
    page = personalise(
        html, recipient_name="読者各位", unsubscribe_url=settings.issuer.unsubscribe_url
    )
    keep = {settings.issuer.contact_email.lower()}
    if settings.issuer.unsubscribe_mailto:
        keep.add(settings.issuer.unsubscribe_mailto.lower())
    return EMAIL.sub(
        lambda m: m.group(0) if m.group(0).lower() in keep else "（メールアドレス省略）", page
    )


def write_archive(issues: pl.DataFrame, folder: Path, settings: Settings) -> list[Path]:
    """issues/<id>.html per sent issue, issues/index.html and issues.atom."""
    pages = folder / "issues"
    pages.mkdir(exist_ok=True)
    files: list[Path] = []
    listed = []
    for row in issues.iter_rows(named=True):
        path = pages / f"{row['issue_id']}.html"
        path.write_text(public_html(row["html"], settings), encoding="utf-8")
        files.append(path)
        listed.append({**row, "href": path.name, "sent_on": row["sent_at"].date().isoformat()})
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
        entry = sub(feed, "entry")
        sub(entry, "id", f"{base}issue:{issue['issue_id']}")
        sub(entry, "title", f"第{issue['number']}号 {issue['subject']}")
        sub(entry, "updated", issue["sent_at"].isoformat(timespec="seconds"))
        sub(entry, "link", rel="alternate", href=f"{site}issues/{issue['href']}", type="text/html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"
