"""The bulletin's 技術ニーズ・シーズ section: the needs and seeds the secretariat approved
that are still open on the send date (renkei.collaboration.needs posts and reviews them).
An anonymous one carries no member name; answers come through 「相談する」 (``need-<id>``)."""

from __future__ import annotations

from typing import Any

from renkei.newsletter.model import Item, Section

TITLE = "技術ニーズ・シーズ（会員が求める技術・提供できる技術）"


def needs_section(rows: list[dict[str, Any]]) -> tuple[Section, ...]:
    """One section of the approved needs and seeds (none when there are none)."""
    if not rows:
        return ()
    items = tuple(
        Item(
            activity_id=r["need_id"],
            title=r["title"],
            summary=(
                f"（{r['member_name'] or '匿名の会員機関'}より・"
                f"{r['expires_on'].month}月{r['expires_on'].day}日まで掲載）{r['body']}"
            ),
            url=None,
            category=r["kind"],
            organisers=(),
        )
        for r in rows
    )
    return (Section("needs", TITLE, items),)
