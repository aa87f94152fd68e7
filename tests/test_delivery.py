"""Messages as sent: built once, personalised per recipient, over SMTP to a loopback server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller

from renkei.delivery import Bulletin, Recipient, SmtpTransport, build_message
from renkei.newsletter.render import RECIPIENT_MARKER, UNSUBSCRIBE_MARKER
from renkei.settings import IssuerSettings, MailSettings

ISSUER = IssuerSettings(
    name="中国地域産学官コラボレーションセンター",
    postal_address="〒730-0011 広島県広島市中区基町0-0",
    contact_email="collabo@example.jp",
    website="https://collabo.example.jp/",
    unsubscribe_url="https://collabo.example.jp/unsubscribe",
)
BULLETIN = Bulletin(
    "2026-11",
    "中国地域産学官連携通信 第1号（2026年11月）①～髙",
    f'<p>{RECIPIENT_MARKER} ご担当者様</p><a href="{UNSUBSCRIBE_MARKER}">配信停止</a>',
    f"{RECIPIENT_MARKER} ご担当者様\n配信停止：{UNSUBSCRIBE_MARKER}\n",
)
WHO = Recipient("renkei@tottori-u.example.jp", "aca-01", "国立大学法人鳥取大学")


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:  # aiosmtpd's Controller fails with port=0
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collector, int]]:
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_message_is_multipart_utf8_with_list_headers() -> None:
    msg = build_message(BULLETIN, WHO, ISSUER, now=datetime(2026, 11, 25, 0, 0, tzinfo=UTC))
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    raw = bytes(msg)
    assert b"=?utf-8?" in raw  # RFC 2047 subject
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == BULLETIN.subject
    # RFC 2047: the space between adjacent encoded-words is not part of the name.
    # (CPython's address parser keeps it, so decode the raw header the RFC way.)
    raw_from = message_from_bytes(raw, policy=policy.compat32)["From"]
    assert str(make_header(decode_header(raw_from))) == f"{ISSUER.name} <collabo@example.jp>"
    assert parsed["Message-ID"].startswith("<renkei.2026-11.")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        parsed["List-Unsubscribe"].strip().startswith("<https://collabo.example.jp/unsubscribe?t=")
    )
    assert "mailto:collabo@example.jp" in parsed["List-Unsubscribe"]
    text = parsed.get_body(("plain",)).get_content()
    assert text.splitlines()[0] == "国立大学法人鳥取大学 ご担当者様"


def test_message_id_is_the_same_on_a_repeated_attempt() -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert (
        build_message(BULLETIN, WHO, ISSUER, now=now)["Message-ID"]
        == build_message(BULLETIN, WHO, ISSUER, now=now)["Message-ID"]
    )


def test_smtp_transport_delivers_to_a_real_server(smtp_server) -> None:
    handler, port = smtp_server
    transport = SmtpTransport(
        MailSettings(
            transport="smtp",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            rate_per_second=100,
        )
    )
    try:
        for address in ("a@x.example.jp", "b@x.example.jp"):
            who = Recipient(address, "aca-01", "鳥取大学")
            transport.send(build_message(BULLETIN, who, ISSUER, now=datetime.now(UTC)), address)
    finally:
        transport.close()
    assert [(m[0], m[1]) for m in handler.messages] == [
        ("collabo@example.jp", ["a@x.example.jp"]),
        ("collabo@example.jp", ["b@x.example.jp"]),
    ]
    received = message_from_bytes(handler.messages[0][2], policy=policy.default)
    assert received["Subject"] == BULLETIN.subject
