"""Personalised messages are built one recipient at a time and dropped once handed over:
memory does not grow with the number of recipients (issue 22)."""

from __future__ import annotations

import dataclasses
import gc
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from newsletter_samples import sample_issue

from renkei.core.mail_transport import Reply
from renkei.core.settings import ConsoleSettings, IssuerSettings, Settings
from renkei.delivery.message import Bulletin, MessageFactory, Recipient
from renkei.delivery.send import SendReport, _Run
from renkei.delivery.unsubscribe import make_token
from renkei.newsletter.render import render_issue

ISSUER = IssuerSettings(
    name="中国地域産学官コラボレーションセンター", postal_address="広島県広島市中区",
    contact_email="collabo@example.jp", website="https://example.jp/",
    unsubscribe_url="https://example.jp/unsubscribe",
)  # fmt: skip
NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
SECRET = b"test-secret"
KEY = "test-console-key"
PUBLIC_URL = "https://renkei.example.jp"
INTERESTS = [(), ("sector:finance",), ("prefecture:岡山県",), ("category:call", "sector:industry")]


@pytest.fixture(scope="module")
def bulletin() -> Bulletin:
    out = render_issue(dataclasses.replace(sample_issue(), extra={"consult": "1"}))
    assert "%%CONSULT:" in out.html
    return Bulletin("2026-12", "件名", out.html, out.text)


def recipients(n: int) -> Iterator[Recipient]:
    for i in range(n):
        yield Recipient(
            f"m{i}@example.jp", f"m{i}", f"会員機関{i % 97}", "ja", INTERESTS[i % len(INTERESTS)]
        )


def peak(run: Callable[[int], int], n: int) -> int:
    """Peak traced memory (bytes) while ``run`` handles ``n`` recipients."""
    run(len(INTERESTS))  # caches and the prepared orderings, outside the measurement
    gc.collect()
    tracemalloc.start()
    try:
        assert run(n) > 0
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_building_messages_one_at_a_time_takes_no_more_memory_for_more_recipients(
    bulletin: Bulletin,
) -> None:
    factory = MessageFactory(bulletin, ISSUER)

    def build_all(n: int) -> int:  # as the send does: token, links, build, hand over
        size = 0
        for r in recipients(n):
            token = make_token(SECRET, bulletin.issue_id, r.email)
            links = f"{PUBLIC_URL}/portal/consult/{r.member_id}/".__add__  # unsigned: cheaper
            size += len(factory.build(r, now=NOW, token=token, consult=links))
        return size

    one_message = build_all(1)
    small, large = peak(build_all, 100), peak(build_all, 1_000)
    # Holding the messages would be ~900 more of them. Allow twenty: tracemalloc counts
    # every thread, and a test worker's other threads allocate meanwhile.
    assert large < small + 20 * one_message, (small, large, one_message)
    assert factory.variants == len(INTERESTS)  # one per ordering, never per recipient


class HandOver:
    """A transport that takes each message (counting its bytes) and keeps none."""

    name = "counting"

    def __init__(self) -> None:
        self.messages = 0
        self.size = 0

    def deliver(self, data: bytes, *, handed_over: Any, while_waiting: Any = None,
                **_: Any) -> Reply:  # fmt: skip
        self.messages += 1
        self.size += len(data)
        handed_over()
        if while_waiting is not None:
            while_waiting()  # the send builds the next message while the server reads
        return Reply(250, "ok")

    def close(self) -> None:
        pass


class Journal:
    def __init__(self) -> None:
        self.records = 0

    def record(self, state: dict[str, Any]) -> None:
        self.records += 1


def test_the_send_loop_hands_each_message_over_and_keeps_at_most_the_next(
    bulletin: Bulletin,
) -> None:
    settings = Settings(issuer=ISSUER, console=ConsoleSettings(public_url=PUBLIC_URL))
    factory = MessageFactory(bulletin, ISSUER)

    def send_all(n: int) -> int:
        transport, journal = HandOver(), Journal()
        run = _Run(None, settings, transport, factory, SECRET, None,  # type: ignore[arg-type]
                   SendReport(bulletin.issue_id), journal, lambda _: None)  # type: ignore[arg-type]  # fmt: skip
        run.consult_key = KEY
        people = recipients(n)  # made as they come, so only messages could pile up
        current: Recipient | None = next(people)
        while current is not None:
            upcoming = next(people, None)
            run.deliver(current, 0, upcoming)
            # nothing kept but the next recipient's message, built while the server read
            assert run.ahead is None or run.ahead[0] is upcoming
            current = upcoming
        assert transport.messages == run.report.sent == n
        assert journal.records == 3 * n  # sending, handed_over, sent: states, not bodies
        return transport.size

    one_message = send_all(1)  # signed links (link_maker), as configured
    small, large = peak(send_all, 50), peak(send_all, 500)
    assert large < small + 20 * one_message, (small, large, one_message)  # holding: ~450
