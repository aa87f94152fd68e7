"""Transports: the seam at the network edge. Each takes serialized bytes for one recipient.

``OutboxTransport`` writes one ``.eml`` per message (demo, inspection) with an atomic
rename, so "the file exists" means "delivered". ``SmtpTransport`` drives the SMTP
transaction step by step (MAIL, RCPT, DATA, body, final ".") so the caller can record,
just before the final ".", that the message has been handed over — the mark that
decides a killed run's unknown outcomes (see ``renkei.delivery.send``).

What a lost connection means depends on where it was lost: before the final "." was
written the server cannot have accepted the message (``ConnectionFailure``, safe to try
again); after it was written and before the reply arrived the outcome is unknown
(``ReplyLost``, carrying the server's last words, the 354 that invited the body).
"""

from __future__ import annotations

import os
import re
import select
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from renkei.core.secrets import password
from renkei.core.settings import MailSettings


@dataclass(frozen=True)
class Reply:
    code: int
    text: str


class DeliveryError(Exception):
    """A reply or failure for one message; ``reply`` holds the server's words if any."""

    def __init__(self, reply: Reply, stage: str = "") -> None:
        super().__init__(f"{reply.code} {reply.text}")
        self.reply = reply
        self.stage = stage  # the SMTP step that answered: mail, rcpt, data, end


class TemporaryFailure(DeliveryError):
    """4xx: try again later."""


class PermanentFailure(DeliveryError):
    """5xx: this recipient will not get the message."""


class ConnectionFailure(DeliveryError):
    """No usable connection (refused, dropped, TLS or auth failed)."""


class ReplyLost(ConnectionFailure):
    """The final "." was written but no reply came (dropped, timed out, garbled): the
    server may or may not have accepted the message. ``reply`` holds its last words
    before the "." and ``reason`` what happened to the connection."""

    def __init__(self, reply: Reply, reason: str) -> None:
        super().__init__(reply, "end")
        self.reason = reason

    def __str__(self) -> str:
        last = f"{self.reply.code} {self.reply.text}"
        return f"no reply after the final '.' ({self.reason}); the server last said {last!r}"


Hook = Callable[[], None]


class Transport(Protocol):
    name: str

    def deliver(
        self,
        data: bytes,
        *,
        sender: str,
        recipient: str,
        issue_id: str,
        handed_over: Hook,
        while_waiting: Hook | None = None,
    ) -> Reply: ...

    def close(self) -> None: ...


def _safe_name(recipient: str) -> str:
    return re.sub(r"[^A-Za-z0-9@._+-]", "_", recipient)


class OutboxTransport:
    """Writes one ``.eml`` per message under ``<outbox>/<issue_id>/``."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, issue_id: str, recipient: str) -> Path:
        return self.folder / issue_id / f"{_safe_name(recipient)}.eml"

    def delivered(self, issue_id: str, recipient: str) -> bool:
        return self.path_for(issue_id, recipient).exists()

    def deliver(
        self,
        data: bytes,
        *,
        sender: str,
        recipient: str,
        issue_id: str,
        handed_over: Hook,
        while_waiting: Hook | None = None,
    ) -> Reply:
        target = self.path_for(issue_id, recipient)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".eml.partial")
        tmp.write_bytes(data)
        handed_over()
        os.replace(tmp, target)
        return Reply(250, f"written to {target.name}")

    def close(self) -> None:
        pass


_LINE_END = re.compile(rb"\r\n|\n|\r")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class WireReady(bytes):
    """Message bytes already in SMTP form: CRLF line ends, ending in CRLF, and no line that
    starts with "." (``MessageFactory``'s messages: base64 bodies, folded headers). They
    are sent as they are, saving two regex passes over ~100 KB per message."""


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload: CRLF line ends, a leading "." doubled (RFC 5321 4.5.2)."""
    if isinstance(data, WireReady):
        return data
    body = _LEADING_DOT.sub(b"..", _LINE_END.sub(b"\r\n", data))
    return body if body.endswith(b"\r\n") else body + b"\r\n"


def _reply(code: int, text: bytes | str) -> Reply:
    return Reply(code, text.decode("utf-8", "replace") if isinstance(text, bytes) else text)


def _check(code: int, text: bytes, ok: tuple[int, ...], stage: str) -> None:
    if code in ok:
        return
    reply = _reply(code, text)
    if 400 <= code < 500:
        raise TemporaryFailure(reply, stage)
    if code == -1:
        raise ConnectionFailure(reply, stage)
    raise PermanentFailure(reply, stage)


def _refuse_if_spoken(smtp: smtplib.SMTP) -> None:
    """Before the final ".": if the server already closed the connection or answered (it
    must stay silent during DATA), the "." is not sent and the message cannot have been
    accepted, so the failure is a plain (retryable) one, never an unknown outcome."""
    if smtp.sock is None or not select.select([smtp.sock], [], [], 0)[0]:
        return
    try:
        code, text = smtp.getreply()
    except OSError as exc:
        raise ConnectionFailure(Reply(-1, f"closed before the final '.': {exc}"), "data") from exc
    reply = _reply(code, text)
    if 400 <= code < 500:
        raise TemporaryFailure(reply, "data")
    if 500 <= code < 600:
        raise PermanentFailure(reply, "data")
    raise ConnectionFailure(reply, "data")


def smtp_password(mail: MailSettings) -> str:
    """The SMTP password: from the Prefect Secret block ``mail.smtp_password_block`` when
    one is named, else from the environment variable ``mail.smtp_password_env``."""
    return password("mail.smtp_password_block", mail.smtp_password_block,
                    "mail.smtp_password_env", mail.smtp_password_env, "SMTP")  # fmt: skip


class SmtpTransport:
    """SMTP with one reused connection (plain, STARTTLS or implicit TLS) and a rate limit."""

    name = "smtp"

    def __init__(self, mail: MailSettings) -> None:
        self.mail = mail
        self._smtp: smtplib.SMTP | None = None
        self._last = 0.0
        self.last_reply: Reply | None = None  # the server's last words before the "."

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
        try:
            if mail.smtp_security == "starttls":
                smtp.starttls(context=context)
            smtp.ehlo_or_helo_if_needed()
            if smtp.sock is not None:  # the body and the final "." are two writes: no Nagle
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if mail.smtp_user:
                smtp.login(mail.smtp_user, smtp_password(mail))
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def deliver(
        self,
        data: bytes,
        *,
        sender: str,
        recipient: str,
        issue_id: str,
        handed_over: Hook,
        while_waiting: Hook | None = None,
    ) -> Reply:
        """One SMTP transaction. ``handed_over`` runs when only the final "." is left;
        ``while_waiting`` after it is sent, while the server reads the message (the caller
        builds the next one then)."""
        wait = 1.0 / self.mail.rate_per_second - (time.monotonic() - self._last)
        if wait > 0:
            time.sleep(wait)
        self._last = time.monotonic()
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            smtp = self._smtp
            try:
                if sender.isascii() and recipient.isascii():  # skip smtplib's address parsing
                    code, text = smtp.docmd("MAIL", f"FROM:<{sender}>")
                    _check(code, text, (250,), "mail")
                    code, text = smtp.docmd("RCPT", f"TO:<{recipient}>")
                else:
                    code, text = smtp.mail(sender)
                    _check(code, text, (250,), "mail")
                    code, text = smtp.rcpt(recipient)
                _check(code, text, (250, 251), "rcpt")
                code, text = smtp.docmd("DATA")
                _check(code, text, (354,), "data")
            except (TemporaryFailure, PermanentFailure):
                smtp.rset()
                raise
            last_words = self.last_reply = _reply(code, text)  # the 354 inviting the body
            smtp.send(_dot_stuffed(data))
            handed_over()
            try:
                _refuse_if_spoken(smtp)  # the server hung up or spoke mid-DATA: no "." sent
            except DeliveryError:
                self._drop()
                raise
            smtp.send(b".\r\n")  # an error here: the "." never left, nothing was accepted
            try:
                if while_waiting is not None:
                    while_waiting()
                code, text = smtp.getreply()
            except OSError as exc:  # the "." is out: the server may have the message
                self._drop()
                raise ReplyLost(last_words, f"{type(exc).__name__}: {exc}") from exc
            if code == -1:  # a reply that is not SMTP: as good as none
                self._drop()
                raise ReplyLost(last_words, f"unreadable reply {_reply(code, text).text!r}")
            _check(code, text, (250,), "end")
            return _reply(code, text)
        except smtplib.SMTPResponseException as exc:  # connect / auth / TLS refusals
            self._drop()
            raise ConnectionFailure(_reply(exc.smtp_code, exc.smtp_error)) from exc
        except OSError as exc:  # refused, reset, timed out, disconnected (SMTPException too)
            self._drop()
            raise ConnectionFailure(Reply(-1, f"{type(exc).__name__}: {exc}")) from exc

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def make_transport(mail: MailSettings) -> Transport:
    return OutboxTransport(mail.outbox) if mail.transport == "outbox" else SmtpTransport(mail)
