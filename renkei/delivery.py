"""The message: one personalised e-mail per recipient, built from the once-compiled bulletin.

The bulletin's HTML/text are compiled once (MJML); the per-recipient parts (greeting with
the institution name, signed unsubscribe link) are substituted into them, so 10,000
recipients are not 10,000 MJML renders. Headers: RFC 2047 subject, ``From`` with the
secretariat's display name, ``Date``, a ``Message-ID`` that is the same for every attempt
at one (issue, recipient) — it is recorded per delivery — ``List-Id``, ``List-Unsubscribe``
(https + mailto) and ``List-Unsubscribe-Post`` (RFC 8058 one-click). Optional DKIM.

Transports live in ``renkei.mail_transport``; the exactly-once run in ``renkei.mail_send``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

from renkei.errors import ConfigError
from renkei.newsletter.render import RECIPIENT_MARKER, UNSUBSCRIBE_MARKER
from renkei.settings import IssuerSettings, MailSettings

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


def build_message(
    bulletin: Bulletin,
    recipient: Recipient,
    issuer: IssuerSettings,
    *,
    now: datetime,
    token: str | None = None,
) -> EmailMessage:
    """The message for one recipient. ``token``: the signed unsubscribe token (always
    passed when sending; see ``renkei.unsubscribe``)."""
    unsubscribe = unsubscribe_url(issuer, token)

    def personalise(body: str) -> str:
        return body.replace(UNSUBSCRIBE_MARKER, unsubscribe).replace(
            RECIPIENT_MARKER, recipient.member_name
        )

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
    msg.set_content(personalise(bulletin.text), charset="utf-8")
    msg.add_alternative(personalise(bulletin.html), subtype="html", charset="utf-8")
    return msg


class MessageFactory:
    """Builds the bytes of ``build_message`` for many recipients of one bulletin, fast.

    The constant headers (RFC 2047 subject and display names) are encoded once by the
    ``email`` package; per recipient only the ASCII headers and the base64 of the two
    personalised bodies are produced (C code), about 50x cheaper than a generator run.
    Parsed with the ``email`` package, the result equals ``build_message``'s.
    """

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
        self._mailto = str(issuer.unsubscribe_mailto or issuer.contact_email)

    def _part(self, subtype: str, body: str) -> bytes:
        head = (
            f'--{self._boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        )
        canonical = body.replace("\r\n", "\n").replace("\n", "\r\n")  # RFC 2046 text: CRLF
        if not canonical.endswith("\r\n"):
            canonical += "\r\n"  # as the email package does
        return head.encode() + base64.encodebytes(canonical.encode()).replace(b"\n", b"\r\n")

    def build(self, recipient: Recipient, *, now: datetime, token: str | None) -> bytes:
        if not recipient.email.isascii():  # SMTPUTF8 address: let the email package do it
            msg = build_message(self.bulletin, recipient, self.issuer, now=now, token=token)
            return bytes(msg)
        unsubscribe = unsubscribe_url(self.issuer, token)
        subject = quote("unsubscribe " + (token or recipient.email))

        def personalise(body: str) -> str:
            return body.replace(UNSUBSCRIBE_MARKER, unsubscribe).replace(
                RECIPIENT_MARKER, recipient.member_name
            )

        head = (
            f"To: {recipient.email}\r\n"
            f"Date: {format_datetime(now)}\r\n"
            f"Message-ID: {message_id(self.bulletin.issue_id, recipient.email, self.issuer)}\r\n"
            f"List-Unsubscribe: <{unsubscribe}>,\r\n <mailto:{self._mailto}?subject={subject}>\r\n"
            f'Content-Type: multipart/alternative; boundary="{self._boundary}"\r\n\r\n'
        )
        return b"".join(
            (
                self._fixed,
                head.encode(),
                self._part("plain", personalise(self.bulletin.text)),
                self._part("html", personalise(self.bulletin.html)),
                f"--{self._boundary}--\r\n".encode(),
            )
        )


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
        return header + data
