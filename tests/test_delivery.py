"""Messages as sent: built once, personalised per recipient, over SMTP to a loopback server."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from urllib.parse import parse_qs, unquote, urlsplit

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from delivery_support import (
    ISSUE_ID,
    SUBJECT,
    ScriptedServer,
    approve_issue,
    delivery_rows,
    registry_rows,
    with_smtp,
)

from renkei import pipeline
from renkei.core.settings import IssuerSettings, MailSettings
from renkei.delivery.message import Bulletin, DkimSigner, MessageFactory, Recipient, build_message
from renkei.delivery.unsubscribe import load_secret, verify_token
from renkei.newsletter.render import RECIPIENT_MARKER, UNSUBSCRIBE_MARKER
from warehouse.connection import open_warehouse

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
NOW = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def test_message_is_multipart_utf8_with_list_headers() -> None:
    msg = build_message(BULLETIN, WHO, ISSUER, now=NOW, token="abc.def")
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    raw = bytes(msg)
    assert b"=?utf-8?" in raw  # RFC 2047 subject
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == BULLETIN.subject
    # RFC 2047: the space between adjacent encoded-words is not part of the name.
    raw_from = message_from_bytes(raw, policy=policy.compat32)["From"]
    assert str(make_header(decode_header(raw_from))) == f"{ISSUER.name} <collabo@example.jp>"
    assert parsed["Message-ID"].startswith("<renkei.2026-11.")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Unsubscribe"] == (
        "<https://collabo.example.jp/unsubscribe?t=abc.def>, "
        "<mailto:collabo@example.jp?subject=unsubscribe%20abc.def>"
    )
    text = parsed.get_body(("plain",)).get_content()
    assert text.splitlines() == [
        "国立大学法人鳥取大学 ご担当者様",
        "配信停止：https://collabo.example.jp/unsubscribe?t=abc.def",
    ]


def test_message_id_is_the_same_on_a_repeated_attempt() -> None:
    first = build_message(BULLETIN, WHO, ISSUER, now=NOW)["Message-ID"]
    later = build_message(BULLETIN, WHO, ISSUER, now=datetime.now(UTC))["Message-ID"]
    assert first == later


def test_send_over_smtp_headers_parts_and_unsubscribe_link_verify(settings_for) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    with ScriptedServer() as server:
        report = pipeline.send(with_smtp(settings, server.port), ISSUE_ID)
    assert report.summary() == f"issue {ISSUE_ID}: 3 sent, 0 already had it, 0 failed"
    assert sorted(rcpts[0] for rcpts, _ in server.messages) == [
        "renkei@member00.example.jp",
        "renkei@member01.example.jp",
        "tanaka@member00.example.jp",
    ]
    by_to = {m["To"]: m for m in server.parsed()}
    msg = by_to["renkei@member01.example.jp"]
    assert msg["Subject"] == SUBJECT
    assert str(msg["From"].addresses[0].addr_spec) == "collabo@example.jp"
    assert msg["Date"].datetime.tzinfo is not None
    assert msg["List-Id"] == "中国地域産学官コラボレーションセンター <newsletter.example.jp>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("plain",)).get_content_charset() == "utf-8"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert text.splitlines()[:2] == ["会員大学01 ご担当者様", "産学連携セミナーのご案内"]
    assert "<p>会員大学01 ご担当者様</p>" in html

    https, mailto = (part.strip().strip("<>") for part in msg["List-Unsubscribe"].split(","))
    token = parse_qs(urlsplit(https).query)["t"][0]
    assert https.startswith("https://example.jp/collabo/unsubscribe?t=")
    assert f'href="{https}"' in html and https in text
    assert unquote(mailto) == f"mailto:collabo@example.jp?subject=unsubscribe {token}"
    said = verify_token(load_secret(settings.mail), token)
    assert (said.issue_id, said.email) == (ISSUE_ID, "renkei@member01.example.jp")

    # the Message-ID sent is the one recorded for that delivery
    assert delivery_rows(settings) == dict.fromkeys(by_to, "sent")
    with open_warehouse(settings.warehouse, read_only=True) as con:
        recorded = dict(con.execute("SELECT recipient, message_id FROM deliveries").fetchall())
    assert recorded == {to: m["Message-ID"] for to, m in by_to.items()}


def test_dkim_signature_verifies_with_the_configured_key(tmp_path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key = tmp_path / "dkim.pem"
    key.write_bytes(pem)
    mail = MailSettings(dkim_key=key, dkim_selector="renkei2026")
    signer = DkimSigner.from_settings(mail, ISSUER)
    assert signer is not None
    signed = signer.sign(bytes(build_message(BULLETIN, WHO, ISSUER, now=NOW, token="a.b")))

    def dns(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"renkei2026._domainkey.example.jp."
        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)

    assert signed.startswith(b"DKIM-Signature: ")
    assert dkim.verify(signed, dnsfunc=dns)
    assert not dkim.verify(signed.replace(b"To: renkei@", b"To: evil@"), dnsfunc=dns)


def test_fast_factory_builds_the_same_message_as_the_email_package() -> None:
    slow = message_from_bytes(
        bytes(build_message(BULLETIN, WHO, ISSUER, now=NOW, token="abc.def")),
        policy=policy.default,
    )
    fast = message_from_bytes(
        MessageFactory(BULLETIN, ISSUER).build(WHO, now=NOW, token="abc.def"),
        policy=policy.default,
    )
    for header in (
        "Subject", "From", "To", "Date", "Message-ID", "List-Id", "List-Unsubscribe",
        "List-Unsubscribe-Post", "MIME-Version",
    ):  # fmt: skip
        assert fast[header] == slow[header], header
    assert fast.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in fast.iter_parts()] == ["text/plain", "text/html"]
    for kind in ("plain", "html"):
        assert fast.get_body((kind,)).get_content() == slow.get_body((kind,)).get_content()
    assert not fast.defects and not any(p.defects for p in fast.iter_parts())
