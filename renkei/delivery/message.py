"""The message: one personalised e-mail per recipient, built from the once-compiled bulletin.

The bulletin's HTML/text are compiled once (MJML); the per-recipient parts (greeting with
the institution name, signed unsubscribe link) are substituted into them, so 10,000
recipients are not 10,000 MJML renders; a contact with interests gets their items first in
each section (``renkei.newsletter.interest_order``: one variant per distinct pattern, a
few per send). Headers: RFC 2047 subject, ``From`` with the
secretariat's display name, ``Date``, a ``Message-ID`` that is the same for every attempt
at one (issue, recipient) — it is recorded per delivery — ``List-Id``, ``List-Unsubscribe``
(https + mailto) and ``List-Unsubscribe-Post`` (RFC 8058 one-click). Optional DKIM.

Transports live in ``renkei.core.mail_transport``; the exactly-once run in ``renkei.delivery.send``.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

from renkei.core.errors import ConfigError
from renkei.core.mail_transport import WireReady
from renkei.core.settings import IssuerSettings, MailSettings
from renkei.newsletter.interest_order import Layout
from renkei.newsletter.model import content_digest
from renkei.newsletter.render import CONSULT_MARKER, RECIPIENT_MARKER, UNSUBSCRIBE_MARKER

DKIM_HEADERS = (
    b"From",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"List-Id",
    b"List-Unsubscribe",
    b"List-Unsubscribe-Post",
    b"MIME-Version",
    b"Content-Type",
)


@dataclass(frozen=True)
class Recipient:
    email: str
    member_id: str
    member_name: str
    language: str = "ja"
    interests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bulletin:
    issue_id: str
    subject: str
    html: str
    text: str

    def content_sha256(self) -> str:
        """The hash the draft stored and the reviewer approved, computed from what is about
        to be sent (the same formula as ``renkei.newsletter.draft``)."""
        return content_digest(self.subject, self.html, self.text)


def _hash(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:20]


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1]


def message_id(issue_id: str, recipient: str, issuer: IssuerSettings) -> str:
    """Deterministic per (issue, recipient): a repeated attempt carries the same id."""
    return f"<renkei.{issue_id}.{_hash(recipient)}@{_domain(str(issuer.contact_email))}>"


def unsubscribe_url(issuer: IssuerSettings, token: str | None) -> str:
    """The https unsubscribe link; without a token, the general unsubscribe page."""
    if token is None:
        return issuer.unsubscribe_url
    sep = "&" if "?" in issuer.unsubscribe_url else "?"
    return f"{issuer.unsubscribe_url}{sep}t={token}"


def bodies_for(bulletin: Bulletin, recipient: Recipient) -> tuple[str, str]:
    """(html, text) in this recipient's order: their interests first within each section."""
    layout = Layout.of(bulletin.html, bulletin.text)
    return layout.variant(layout.matches(recipient.interests))


def build_message(
    bulletin: Bulletin,
    recipient: Recipient,
    issuer: IssuerSettings,
    *,
    now: datetime,
    token: str | None = None,
    consult: Callable[[str], str] | None = None,
) -> EmailMessage:
    """The message for one recipient, built by the ``email`` package (the reference that
    ``MessageFactory`` must equal). ``token``: the signed unsubscribe token (always passed
    when sending; see ``renkei.delivery.unsubscribe``); ``consult``: activity_id → this
    recipient's 「相談する」 link (renkei.core.consult_link)."""
    unsubscribe = unsubscribe_url(issuer, token)
    html, text = bodies_for(bulletin, recipient)

    def personalise(body: str) -> str:
        body = body.replace(UNSUBSCRIBE_MARKER, unsubscribe).replace(
            RECIPIENT_MARKER, recipient.member_name
        )
        return CONSULT_MARKER.sub(lambda m: consult(m.group(1)) if consult else "", body)

    msg = EmailMessage(policy=policy.SMTP)  # CRLF, RFC 2047 words folded correctly
    msg["Subject"] = bulletin.subject
    msg["From"] = Address(display_name=issuer.name, addr_spec=str(issuer.contact_email))
    msg["To"] = recipient.email
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(bulletin.issue_id, recipient.email, issuer)
    msg["List-Id"] = f"{issuer.name} <newsletter.{_domain(str(issuer.contact_email))}>"
    mailto = issuer.unsubscribe_mailto or issuer.contact_email
    subject = quote("unsubscribe " + (token or recipient.email))
    msg["List-Unsubscribe"] = f"<{unsubscribe}>, <mailto:{mailto}?subject={subject}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(personalise(text), charset="utf-8")
    msg.add_alternative(personalise(html), subtype="html", charset="utf-8")
    return msg


def _b64(data: bytes) -> bytes:
    """base64.encodebytes (lines of 57 bytes, 76 characters) with CRLF line ends: encoded
    whole and cut every 76 characters (57 bytes encode to 76), one call per chunk."""
    if len(data) <= 57:  # one line: most per-recipient chunks
        return _B2A(data)[:-1] + b"\r\n"
    text = _B2A(data, newline=False)
    return b"\r\n".join([text[i : i + 76] for i in range(0, len(text), 76)]) + b"\r\n"


_B2A = binascii.b2a_base64


class _Stretch:
    """A constant stretch of a body between two personal values, base64-encoded once.

    Base64 turns 3 bytes into 4 characters, so encodings can be joined wherever the bytes
    before them are a multiple of 3 long. What precedes a stretch varies per recipient
    (names differ in length), so it is prepared for each remainder ``j`` of that length
    modulo 3: its first ``(3 - j) % 3`` bytes go into a small per-recipient chunk, the
    middle is encoded now, and the last 0-2 bytes carry over to the next chunk. Every
    line stays within 76 characters; a decoder joins the lines (RFC 2045).
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.ways: list[tuple[bytes, bytes, bytes] | None] = []
        for j in range(3):
            need = (3 - j) % 3
            if len(data) < need:
                self.ways.append(None)  # too short: carried over whole
                continue
            middle = (len(data) - need) // 3 * 3
            tail = data[need + middle :]
            self.ways.append((data[:need], _b64(data[need : need + middle]), tail))

    def after(self, carry: bytes, out: list[bytes]) -> bytes:
        """Append the encoding of ``carry + self.data`` (up to a remainder) to ``out``."""
        way = self.ways[len(carry) % 3]
        if way is None:
            return carry + self.data
        head, encoded, tail = way
        chunk = carry + head
        if chunk:
            out.append(_b64(chunk))
        if encoded:
            out.append(encoded)
        return tail


_SLOTS = re.compile(
    f"({re.escape(UNSUBSCRIBE_MARKER)}|{re.escape(RECIPIENT_MARKER)}|%%CONSULT:[A-Za-z0-9_-]+%%)".encode()
)


class _Part:
    """One ``text/*`` part (CRLF, UTF-8, base64), ready to splice per recipient."""

    def __init__(self, subtype: str, body: str, boundary: str) -> None:
        canonical = body.replace("\r\n", "\n").replace("\n", "\r\n")  # RFC 2046 text: CRLF
        if not canonical.endswith("\r\n"):
            canonical += "\r\n"  # as the email package does
        pieces = _SLOTS.split(canonical.encode())
        self.head = (
            f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode()
        self.stretches = [_Stretch(p) for p in pieces[0::2]]
        self.slots = pieces[1::2]

    def encode(
        self, values: dict[bytes, bytes], out: list[bytes],
        consult: Callable[[str], str] | None = None,
    ) -> None:  # fmt: skip
        out.append(self.head)
        carry = self.stretches[0].after(b"", out)
        for slot, stretch in zip(self.slots, self.stretches[1:], strict=True):
            value = values.get(slot)
            if value is None:  # a %%CONSULT:<activity_id>%% slot: the same in both parts
                link = consult(slot[10:-2].decode()).encode() if consult else b""
                value = values[slot] = link
            carry = stretch.after(carry + value, out)
        if carry:
            out.append(_b64(carry))


class MessageFactory:
    """Builds the bytes of ``build_message`` for many recipients of one bulletin, fast.

    Prepared once: the constant headers (RFC 2047 subject and display names, by the
    ``email`` package) and, per ordering of the items (``renkei.newsletter.interest_order``:
    one per distinct pattern of matching items, a few per send), both body parts base64-
    encoded around the personal slots. Per recipient only the ASCII headers and the base64
    of a few bytes around each personal value (greeting name, unsubscribe link) are made,
    then joined. Parsed with the ``email`` package, the result equals ``build_message``'s.
    """

    MAX_VARIANTS = 256

    def __init__(self, bulletin: Bulletin, issuer: IssuerSettings) -> None:
        self.bulletin = bulletin
        self.issuer = issuer
        proto = EmailMessage(policy=policy.SMTP)
        proto["Subject"] = bulletin.subject
        proto["From"] = Address(display_name=issuer.name, addr_spec=str(issuer.contact_email))
        proto["List-Id"] = f"{issuer.name} <newsletter.{_domain(str(issuer.contact_email))}>"
        proto["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        proto["MIME-Version"] = "1.0"
        self._fixed = proto.as_bytes().split(b"\r\n\r\n", 1)[0] + b"\r\n"
        # "=_" never occurs in base64 text, so the boundary cannot collide with a body.
        digest = hashlib.sha256(bulletin.issue_id.encode()).hexdigest()[:24]
        self._boundary = f"=_renkei_{digest}"
        self._close = f"--{self._boundary}--\r\n".encode()
        self._mailto = str(issuer.unsubscribe_mailto or issuer.contact_email)
        self.layout = Layout.of(bulletin.html, bulletin.text)
        self._variants: dict[tuple[bool, ...], tuple[_Part, _Part]] = {}

    def _parts(self, interests: tuple[str, ...]) -> tuple[_Part, _Part]:
        matches = self.layout.matches(interests)
        parts = self._variants.get(matches)
        if parts is None:
            html, text = self.layout.variant(matches)
            parts = (_Part("plain", text, self._boundary), _Part("html", html, self._boundary))
            if len(self._variants) >= self.MAX_VARIANTS:
                self._variants.pop(next(iter(self._variants)))
            self._variants[matches] = parts
        return parts

    @property
    def variants(self) -> int:
        """How many orderings have been prepared so far."""
        return len(self._variants)

    def build(
        self, recipient: Recipient, *, now: datetime, token: str | None,
        consult: Callable[[str], str] | None = None,
    ) -> bytes:  # fmt: skip
        """The message's bytes; ``WireReady`` (SMTP form) unless the address is not ASCII.
        ``consult``: activity_id → this recipient's 「相談する」 link."""
        if not recipient.email.isascii():  # SMTPUTF8 address: let the email package do it
            msg = build_message(self.bulletin, recipient, self.issuer, now=now, token=token,
                                consult=consult)  # fmt: skip
            return bytes(msg)
        unsubscribe = unsubscribe_url(self.issuer, token)
        subject = quote("unsubscribe " + (token or recipient.email))
        head = (
            f"To: {recipient.email}\r\n"
            f"Date: {format_datetime(now)}\r\n"
            f"Message-ID: {message_id(self.bulletin.issue_id, recipient.email, self.issuer)}\r\n"
            f"List-Unsubscribe: <{unsubscribe}>,\r\n <mailto:{self._mailto}?subject={subject}>\r\n"
            f'Content-Type: multipart/alternative; boundary="{self._boundary}"\r\n\r\n'
        )
        values = {
            UNSUBSCRIBE_MARKER.encode(): unsubscribe.encode(),
            RECIPIENT_MARKER.encode(): recipient.member_name.encode(),
        }
        out = [self._fixed, head.encode()]
        for part in self._parts(recipient.interests):
            part.encode(values, out, consult)
        out.append(self._close)
        return WireReady(b"".join(out))


class DkimSigner:
    """Signs serialized messages with a configured RSA key (dkimpy)."""

    def __init__(self, key: bytes, selector: str, domain: str) -> None:
        self.key = key
        self.selector = selector.encode("ascii")
        self.domain = domain.encode("ascii")

    @classmethod
    def from_settings(cls, mail: MailSettings, issuer: IssuerSettings) -> DkimSigner | None:
        if mail.dkim_key is None:
            return None
        if not mail.dkim_selector:
            raise ConfigError("mail.dkim_selector: required when mail.dkim_key is set")
        try:
            key = Path(mail.dkim_key).read_bytes()
        except OSError as exc:
            raise ConfigError(f"mail.dkim_key: cannot read {mail.dkim_key}: {exc}") from None
        return cls(key, mail.dkim_selector, mail.dkim_domain or _domain(str(issuer.contact_email)))

    def sign(self, data: bytes) -> bytes:
        import dkim  # dkimpy: imported only when signing is configured

        header = dkim.sign(
            data, self.selector, self.domain, self.key, include_headers=list(DKIM_HEADERS)
        )
        signed = header.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") + data
        return WireReady(signed) if isinstance(data, WireReady) else signed
