"""Mail delivery: build one personalised message per recipient and hand it to a transport.

The bulletin is compiled once; per-recipient parts (greeting, unsubscribe link) are
substituted into that HTML/text, so 10,000 recipients are not 10,000 MJML renders.
Transports are the seam at the network edge: ``OutboxTransport`` writes ``.eml`` files
(demo, inspection), ``SmtpTransport`` talks SMTP.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from renkei.errors import ConfigError
from renkei.newsletter.render import RECIPIENT_MARKER, UNSUBSCRIBE_MARKER
from renkei.settings import IssuerSettings, MailSettings


@dataclass(frozen=True)
class Recipient:
    email: str
    member_id: str
    member_name: str


@dataclass(frozen=True)
class Bulletin:
    issue_id: str
    subject: str
    html: str
    text: str


class Transport(Protocol):
    name: str

    def send(self, message: EmailMessage, recipient: str) -> None: ...

    def close(self) -> None: ...


def _token(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:20]


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[-1]


def message_id(issue_id: str, recipient: str, issuer: IssuerSettings) -> str:
    """Deterministic per (issue, recipient): a repeated attempt carries the same id."""
    return f"<renkei.{issue_id}.{_token(recipient)}@{_domain(str(issuer.contact_email))}>"


def unsubscribe_url(issuer: IssuerSettings, recipient: str) -> str:
    sep = "&" if "?" in issuer.unsubscribe_url else "?"
    return f"{issuer.unsubscribe_url}{sep}t={_token(recipient)}"


def build_message(
    bulletin: Bulletin, recipient: Recipient, issuer: IssuerSettings, *, now: datetime
) -> EmailMessage:
    unsubscribe = unsubscribe_url(issuer, recipient.email)
    greeting = recipient.member_name

    def personalise(body: str) -> str:
        return body.replace(UNSUBSCRIBE_MARKER, unsubscribe).replace(RECIPIENT_MARKER, greeting)

    msg = EmailMessage(policy=policy.SMTP)  # CRLF, RFC 2047 words folded correctly
    msg["Subject"] = bulletin.subject
    msg["From"] = Address(display_name=issuer.name, addr_spec=str(issuer.contact_email))
    msg["To"] = recipient.email
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(bulletin.issue_id, recipient.email, issuer)
    msg["List-Id"] = f"{issuer.name} <newsletter.{_domain(str(issuer.contact_email))}>"
    mailto = issuer.unsubscribe_mailto or issuer.contact_email
    subject = quote("unsubscribe " + _token(recipient.email))
    msg["List-Unsubscribe"] = f"<{unsubscribe}>, <mailto:{mailto}?subject={subject}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(personalise(bulletin.text), charset="utf-8")
    msg.add_alternative(personalise(bulletin.html), subtype="html", charset="utf-8")
    return msg


class OutboxTransport:
    """Writes one ``.eml`` per message under ``<outbox>/<issue_id>/``."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, issue_id: str, recipient: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", recipient)
        return self.folder / issue_id / f"{safe}.eml"

    def send(self, message: EmailMessage, recipient: str) -> None:
        issue_id = str(message["Message-ID"]).split(".")[1]
        target = self.path_for(issue_id, recipient)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".eml.partial")
        tmp.write_bytes(bytes(message))
        os.replace(tmp, target)

    def close(self) -> None:
        pass


class SmtpTransport:
    """SMTP with one reused connection and a simple rate limit."""

    name = "smtp"

    def __init__(self, mail: MailSettings) -> None:
        self.mail = mail
        self._smtp: smtplib.SMTP | None = None
        self._last = 0.0

    def _connect(self) -> smtplib.SMTP:
        mail = self.mail
        assert mail.smtp_host is not None
        context = ssl.create_default_context()
        if mail.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                mail.smtp_host, mail.smtp_port, context=context, timeout=30
            )
        else:
            smtp = smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=30)
            if mail.smtp_security == "starttls":
                smtp.starttls(context=context)
        if mail.smtp_user:
            password = os.environ.get(mail.smtp_password_env)
            if password is None:
                raise ConfigError(
                    f"mail.smtp_password_env: environment variable {mail.smtp_password_env} "
                    "is not set (the SMTP password is never stored in renkei.toml)"
                )
            smtp.login(mail.smtp_user, password)
        return smtp

    def send(self, message: EmailMessage, recipient: str) -> None:
        wait = 1.0 / self.mail.rate_per_second - (time.monotonic() - self._last)
        if wait > 0:
            time.sleep(wait)
        if self._smtp is None:
            self._smtp = self._connect()
        self._smtp.send_message(message, to_addrs=[recipient])
        self._last = time.monotonic()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                pass
            self._smtp = None


def make_transport(mail: MailSettings) -> Transport:
    return OutboxTransport(mail.outbox) if mail.transport == "outbox" else SmtpTransport(mail)
