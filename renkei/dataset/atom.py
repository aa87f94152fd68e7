"""activities.atom: one aggregated feed of the latest activities of all members (Planet-style)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import polars as pl

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 200


def tag_base(website: str, since_year: int = 2026) -> str:
    """A tag URI prefix (RFC 4151) from the publisher's host: stable entry ids."""
    return f"tag:{urlsplit(website).hostname or 'renkei.invalid'},{since_year}:"


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def feed_bytes(
    entries: pl.DataFrame, *, title: str, website: str, self_url: str, publisher: str
) -> bytes:
    """RFC 4287 Atom; entry ids are tag URIs from the activity id."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "ja"})

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    base = tag_base(website)
    sub(feed, "id", base + "activities")
    sub(feed, "title", title)
    updated = entries["updated_at"].max() if entries.height else None
    stamp = _iso(updated) if isinstance(updated, datetime) else "1970-01-01T00:00:00+00:00"
    sub(feed, "updated", stamp)
    sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=website, type="text/html")
    sub(sub(feed, "author"), "name", publisher)
    for row in entries.iter_rows(named=True):
        entry = sub(feed, "entry")
        sub(entry, "id", f"{base}activity:{row['activity_id']}")
        sub(entry, "title", row["title"])
        sub(entry, "updated", _iso(row["updated_at"]))
        published = row["published_at"] or row["first_seen_at"]
        sub(entry, "published", _iso(published))
        sub(sub(entry, "author"), "name", row["member_name"])
        if row["url"]:
            sub(entry, "link", rel="alternate", href=row["url"], type="text/html")
        sub(entry, "category", term=row["category"])
        if row["summary"]:
            sub(entry, "summary", row["summary"])
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"
