"""Interests first: each contact's bulletin lists the items matching their interests first
within every section, from one compiled bulletin (one variant per distinct ordering)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest
from delivery_support import (
    ISSUE_ID,
    SUBJECT,
    ScriptedServer,
    approve_issue,
    registry_rows,
    with_smtp,
)
from newsletter_samples import sample_issue

from renkei import pipeline
from renkei.delivery.message import Bulletin, MessageFactory, Recipient, build_message
from renkei.delivery.subscribers import add_subscriber, make_subscriber
from renkei.newsletter.interest_order import Layout, strip_marks
from renkei.newsletter.render import render_issue
from warehouse.connection import open_warehouse

ISSUE = sample_issue()
RENDERED = render_issue(ISSUE)
TITLES = {i.activity_id: i.title[:12] for s in ISSUE.sections for i in s.items}
APPROVED = {
    "events": ["ev-0001", "ev-0002", "ev-0003"],
    "calls": ["call-0001", "call-0002"],
    "news": ["news-0001", "news-0002"],
    "training": ["tr-0001", "tr-0002", "tr-0003"],
}


def order_in(body: str) -> dict[str, list[str]]:
    """Activity ids per section, in the order their titles appear in ``body``."""
    start = body.find('id="sec-')  # HTML: from the first section (the preheader names one)
    body = (body[start:] if start >= 0 else body).replace("\u200b", "")  # between phrases
    found = {}
    for key, ids in APPROVED.items():
        found[key] = sorted(ids, key=lambda i: body.index(TITLES[i]))
    return found


def test_the_compiled_bulletin_marks_every_card_and_both_parts_line_up() -> None:
    layout = Layout.of(RENDERED.html, RENDERED.text)
    assert layout.aligned
    assert [len(s.starts) for s in layout.html_sections] == [3, 2, 2, 3]
    assert layout.tags[1] == {"category:event", "sector:government", "prefecture:岡山県"}
    assert layout.tags[9] == {"category:other"}  # no organisers: only its category


@pytest.mark.parametrize(
    ("interests", "changed"),
    [
        (
            ("prefecture:岡山県",),
            {
                "events": ["ev-0002", "ev-0001", "ev-0003"],
                "training": ["tr-0002", "tr-0001", "tr-0003"],
            },
        ),
        (("category:other",), {"training": ["tr-0003", "tr-0001", "tr-0002"]}),
        (
            ("sector:finance", "prefecture:山口県"),
            {
                "events": ["ev-0003", "ev-0001", "ev-0002"],
                "calls": ["call-0002", "call-0001"],
                "training": ["tr-0002", "tr-0001", "tr-0003"],
            },
        ),
        ((), {}),
        (("prefecture:沖縄県",), {}),  # matches nothing: the approved order
    ],
)
def test_matching_items_come_first_within_each_section_in_both_parts(
    interests: tuple[str, ...], changed: dict[str, list[str]]
) -> None:
    html, text = Layout.of(RENDERED.html, RENDERED.text).variant(
        Layout.of(RENDERED.html, RENDERED.text).matches(interests)
    )
    expected = {**APPROVED, **changed}
    assert order_in(html) == expected
    assert order_in(text) == expected
    # same content otherwise: the same lines, the same bytes, no card comments left
    assert sorted(text.splitlines()) == sorted(RENDERED.text.splitlines())
    assert len(html) == len(strip_marks(RENDERED.html))
    assert "rk-item" not in html and "rk-items-end" not in html


def test_a_text_part_that_does_not_line_up_keeps_the_approved_order() -> None:
    broken = RENDERED.text.replace("\n◇ ", "\n◆ ", 1)  # one item no longer recognisable
    layout = Layout.of(RENDERED.html, broken)
    assert not layout.aligned
    html, text = layout.variant(layout.matches(["prefecture:岡山県"]))
    assert text == broken and order_in(html) == APPROVED


def test_factory_splices_the_same_message_as_the_email_package_for_every_name_length() -> None:
    bulletin = Bulletin(ISSUE_ID, RENDERED.subject, RENDERED.html, RENDERED.text)
    factory = MessageFactory(bulletin, settings_issuer())
    now = datetime(2026, 11, 25, tzinfo=UTC)
    names = ["大", "ab", "広島", "abcd", "鳥取大学", "x広島y", "国立大学法人広島大学"]
    for n, name in enumerate(names):
        who = Recipient(f"c{n}@example.jp", "aca-01", name, interests=("prefecture:岡山県",))
        token = "t" * (n + 1)  # the unsubscribe link's length varies too
        fast = message_from_bytes(factory.build(who, now=now, token=token), policy=policy.default)
        slow = message_from_bytes(
            bytes(build_message(bulletin, who, settings_issuer(), now=now, token=token)),
            policy=policy.default,
        )
        for kind in ("plain", "html"):
            assert fast.get_body((kind,)).get_content() == slow.get_body((kind,)).get_content()
        assert not fast.defects and not any(p.defects for p in fast.iter_parts())
    assert factory.variants == 1


def settings_issuer():
    from test_delivery import ISSUER

    return ISSUER


def test_send_gives_each_contact_their_order_from_one_variant_per_pattern(settings_for) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    digest = Bulletin(ISSUE_ID, SUBJECT, RENDERED.html, RENDERED.text).content_sha256()
    with open_warehouse(settings.warehouse) as con:  # the sample bulletin, compiled, approved
        con.execute(
            "UPDATE newsletter_issues SET html = $h, text = $t, content_sha256 = $d,"
            " approved_sha256 = $d",
            {"h": RENDERED.html, "t": RENDERED.text, "d": digest},
        )
    add_subscriber(
        settings,
        make_subscriber("okayama@member01.example.jp", "aca-01", "ja", "prefecture:岡山県"),
    )
    add_subscriber(
        settings,
        make_subscriber("gov@member01.example.jp", "aca-01", "ja", "sector:government"),
    )  # the same items as 岡山県 here: the same variant
    with ScriptedServer() as server:
        report = pipeline.send(with_smtp(settings, server.port), ISSUE_ID)
    assert report.sent == 5
    assert report.variants == 2  # approved order + "岡山県 first", not one per recipient
    by_to = {m["To"]: m for m in server.parsed()}
    interested = {
        **APPROVED,
        "events": ["ev-0002", "ev-0001", "ev-0003"],
        "training": ["tr-0002", "tr-0001", "tr-0003"],
    }
    for to, expected in [
        ("okayama@member01.example.jp", interested),
        ("gov@member01.example.jp", interested),
        ("renkei@member00.example.jp", APPROVED),
    ]:
        msg = by_to[to]
        html = msg.get_body(("html",)).get_content()
        text = msg.get_body(("plain",)).get_content()
        assert order_in(html) == expected, to
        assert order_in(text) == expected, to
        assert "rk-item" not in html
