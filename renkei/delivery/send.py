"""Send an approved issue: each subscribed address gets it at most once, and every state
says only what is known.

Per (issue, recipient) each state change is appended to the send journal first
(``renkei.delivery.journal``: one ``write()``, survives the process being killed) and reaches
the ``deliveries`` table in short batched transactions:

1. ``sending`` (phase NULL) — before the SMTP transaction starts;
2. phase ``handed_over`` (with the server's last words, its 354) — when the whole body is
   on the wire and only the final ``.`` that completes DATA remains to be written;
3. then one of
   * ``sent`` — only after the server's 2xx reply to the end of DATA, with that reply;
   * ``failed`` with the reply — 5xx at once, 4xx after ``mail.retry_limit`` retries;
   * ``unknown`` — the ``.`` was written and no reply came (connection dropped, timed
     out, garbled reply): the server may or may not have the message. The row keeps the
     time of the attempt and the server's last words.

Before anything is sent, the subject, HTML and text about to go out are hashed again (as
the draft hashed them) and must equal the approved hash.

**What is retried.** A connection lost *before* the final ``.`` left (at connect, MAIL,
RCPT, DATA, during the body, or the server hung up before the ``.``) is a plain transient
failure: the server cannot have accepted the message, so it is tried again (with the same
``Message-ID``); after ``mail.max_connection_failures`` in a row the send pauses
(``DeliveryPaused``) and a rerun continues. An ``unknown`` is never sent again by a rerun:
**at most once by default**. The secretariat decides: ``renkei send ISSUE
--resend-unknown`` sends exactly the ``unknown`` ones again, with the same ``Message-ID``,
so a receiving system can recognise a duplicate. Likewise ``--resend-failed`` sends exactly
the ``failed`` ones again, 5xx included (an admin checked the address; a contact marked
bounced by that 5xx gets it too, an unsubscribed one never); both together are allowed. A
resend is audited with the addresses and leaves the issue's status as it was.

**Progress.** While the send holds the warehouse, its progress is written beside the
journal (``renkei.delivery.progress``: at the start, every half second, at the end).

**A restarted run** (after replaying the journal, rows still ``sending``):

* outbox transport: ``sent`` if and only if the ``.eml`` exists (it is renamed into place
  atomically, so a file is always a complete message);
* SMTP, phase ``handed_over``: ``unknown`` (the process died between the hand-over and
  recording the reply; the server may have the message);
* SMTP, phase NULL: the ``.`` was never written, so the server did not accept the
  message: sent again, with the same ``Message-ID``.

So a process killed anywhere never causes a duplicate and never a ``sent`` the server did
not confirm; the messages whose fate it cannot know are ``unknown``, counted and listed by
`renkei deliveries` and the send flow's artifact (``renkei.delivery.report``).
``tests/test_delivery_crash.py`` and ``bench/faults.py`` check this with SIGKILL and an
SMTP server that drops connections and answers 4xx/5xx.

**The windows, precisely.** Killed process: the ``handed_over`` record is written just
before the ``.``, so a kill between the two gives an ``unknown`` for a message the server
did not get (the safe side). Power cut or kernel crash: the journal is written, not
fsynced, so its last few seconds of records may be lost; a message the server accepted in
them is then sent again (at least once for those). The ``deliveries`` table is brought up
to date from the journal every ``FLUSH_SECONDS`` and at the end, outside the SMTP
transaction (no other process can open the warehouse during a send anyway).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from renkei.core.audit import audit
from renkei.core.consult_link import link_maker
from renkei.core.errors import RenkeiError
from renkei.core.mail_transport import (
    ConnectionFailure,
    PermanentFailure,
    Reply,
    ReplyLost,
    TemporaryFailure,
    Transport,
    make_transport,
)
from renkei.core.settings import Settings
from renkei.core.signin import console_key
from renkei.delivery.bounce_rules import suppressed_counts
from renkei.delivery.journal import SendJournal
from renkei.delivery.message import Bulletin, DkimSigner, MessageFactory, Recipient, message_id
from renkei.delivery.outcomes import (
    approved_issue,
    check_content,
    count_unknown,
    resolve_interrupted,
)
from renkei.delivery.progress import ProgressWriter
from renkei.delivery.send_report import SendReport
from renkei.delivery.unsubscribe import apply_pending, load_secret, make_token
from renkei.delivery.verp import return_path
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query

# Replies to RCPT that say the address does not exist: the contact is marked bounced.
ADDRESS_GONE = (550, 551, 553)


class DeliveryPaused(RenkeiError):
    """The SMTP server could not be reached several times in a row; nothing is lost."""

    exit_code = 75


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Run:
    con: duckdb.DuckDBPyConnection
    settings: Settings
    transport: Transport
    factory: MessageFactory
    secret: bytes
    signer: DkimSigner | None
    report: SendReport
    journal: SendJournal
    sleep: Callable[[float], None]
    connection_failures: int = 0
    retryable: int = 0
    ahead: tuple[Recipient, bytes] | None = None  # the next message, built in advance
    progress: ProgressWriter | None = None
    consult_key: str | None = None  # the web app's key, for 「相談する」 links

    def sender(self, email: str) -> str:
        """The envelope sender: the delivery's VERP return path when a bounce domain is set."""
        domain = self.settings.bounces.bounce_domain
        issue_id = self.factory.bulletin.issue_id
        if domain:
            return return_path(self.secret, issue_id, email, domain)
        return str(self.settings.issuer.contact_email)

    def message_bytes(self, recipient: Recipient) -> bytes:
        issue_id = self.factory.bulletin.issue_id
        token = make_token(self.secret, issue_id, recipient.email)
        base = self.settings.console.public_url  # 「相談する」 links need the portal's address
        consult = None
        if base:
            if self.consult_key is None:  # read once per run
                self.consult_key = console_key(self.settings.console)
            consult = link_maker(self.consult_key, base, recipient.email, issue_id)
        data = self.factory.build(recipient, now=_now(), token=token, consult=consult)
        return self.signer.sign(data) if self.signer else data

    def prepare(self, upcoming: Recipient | None) -> None:
        """Build the next message while the server digests this one (no side effects: if
        building fails, it is built again, and fails, when its turn comes)."""
        if upcoming is None or self.ahead is not None:
            return
        try:
            self.ahead = (upcoming, self.message_bytes(upcoming))
        except Exception:
            self.ahead = None

    def _bytes_for(self, recipient: Recipient) -> bytes:
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead[0] is recipient:
            return ahead[1]
        return self.message_bytes(recipient)

    def deliver(
        self, recipient: Recipient, attempts: int, upcoming: Recipient | None = None
    ) -> None:
        issue_id, email, mail = self.factory.bulletin.issue_id, recipient.email, self.settings.mail
        data = self._bytes_for(recipient)
        state: dict[str, Any] = {
            "issue_id": issue_id,
            "recipient": email,
            "member_id": recipient.member_id,
            "message_id": message_id(issue_id, email, self.settings.issuer),
            "transport": self.transport.name,
        }

        def record(**changes: Any) -> None:
            state.update(changes)
            self.journal.record(dict(state))

        def finish(status: str, reply: Reply | None, error: str | None = None) -> None:
            code = reply.code if reply and reply.code > 0 else None
            text = reply.text if reply else None
            record(
                status=status,
                sent_at=_now() if status == "sent" else None,
                smtp_code=code,
                smtp_reply=text,
                error=error,
            )
            if self.progress is not None:
                self.progress.count(email, status, code, text or error)

        temporary = 0
        while True:
            attempts += 1
            record(status="sending", phase=None, attempted_at=_now(), attempts=attempts)

            def handed_over() -> None:
                last = getattr(self.transport, "last_reply", None)
                record(
                    phase="handed_over",
                    smtp_code=last.code if last else None,
                    smtp_reply=last.text if last else None,
                )

            try:
                reply = self.transport.deliver(
                    data,
                    sender=self.sender(email),
                    recipient=email,
                    issue_id=issue_id,
                    handed_over=handed_over,
                    while_waiting=lambda: self.prepare(upcoming),
                )
            except TemporaryFailure as exc:
                temporary += 1
                if temporary > mail.retry_limit:
                    finish("failed", exc.reply, str(exc))
                    self.report.failed.append(f"{email}: {exc} (after {temporary} tries)")
                    self.retryable += 1
                    return
                self.sleep(mail.retry_backoff * 2 ** (temporary - 1))
                continue
            except PermanentFailure as exc:
                finish("failed", exc.reply, str(exc))
                self.report.failed.append(f"{email}: {exc}")
                if exc.stage == "rcpt" and exc.reply.code in ADDRESS_GONE:
                    execute(
                        self.con,
                        "contact_set_status",
                        {"email": email, "status": "bounced", "source": str(exc), "now": _now()},
                    )
                return
            except ReplyLost as exc:  # the "." is out, no reply: not resent (at most once)
                finish("unknown", exc.reply, str(exc))
                self.report.unknown.append(f"{email}: {exc}")
                return
            except ConnectionFailure as exc:  # before the "." left: not accepted, retried
                self.connection_failures += 1
                if self.connection_failures >= mail.max_connection_failures:
                    finish("failed", exc.reply, str(exc))
                    raise DeliveryPaused(
                        f"send {issue_id}: {self.connection_failures} connection failures in a "
                        f"row ({exc}); paused after {self.report.sent} sent — nothing is lost, "
                        f"run `renkei send {issue_id}` again"
                    ) from None
                self.sleep(mail.retry_backoff * 2 ** (self.connection_failures - 1))
                continue
            finish("sent", reply)
            self.report.sent += 1
            self.connection_failures = 0
            return


def _todo(
    con: duckdb.DuckDBPyConnection,
    issue_id: str,
    report: SendReport,
    resend_unknown: bool,
    resend_failed: bool,
) -> list[tuple[Recipient, int]]:
    """The recipients this run sends to, with their attempts so far."""
    rows = run_query(con, "delivery_recipients", {"issue_id": issue_id})
    if resend_unknown or resend_failed:  # exactly the chosen outcomes, nobody else
        report.skipped = int((rows["delivery_status"] == "sent").sum())
        params = {"issue_id": issue_id, "unknown": resend_unknown, "failed": resend_failed}
        rows = run_query(con, "delivery_resend", params)
        if not resend_unknown:
            report.unknown_before = count_unknown(con, issue_id)
    todo: list[tuple[Recipient, int]] = []
    for r in rows.iter_rows(named=True):
        status, code = r["delivery_status"], r["smtp_code"]
        if not (resend_unknown or resend_failed):
            if status == "sent":
                report.skipped += 1
                continue
            if status == "unknown":
                report.unknown_before += 1
                continue
            if status == "failed" and code is not None and code >= 500:
                report.failed.append(f"{r['email']}: {code} (earlier run; not retried)")
                continue
        interests = tuple(t for t in (r["interests"] or "").split(",") if t)
        name = r["member_name"] or r["member_id"]
        recipient = Recipient(r["email"], r["member_id"], name, r["language"] or "ja", interests)
        todo.append((recipient, r["attempts"] or 0))
    return todo


def send_issue(
    settings: Settings,
    issue_id: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    resend_unknown: bool = False,
    resend_failed: bool = False,
) -> SendReport:
    """Send ``issue_id`` to every subscribed address that does not have it yet; with
    ``resend_unknown`` / ``resend_failed``, send exactly the ``unknown`` / ``failed``
    outcomes again (same Message-ID), and nothing else."""
    report = SendReport(issue_id)
    resend = resend_unknown or resend_failed
    secret = load_secret(settings.mail)
    signer = DkimSigner.from_settings(settings.mail, settings.issuer)
    transport = make_transport(settings.mail)
    journal = SendJournal(settings.warehouse, issue_id)
    progress: ProgressWriter | None = None
    stopped: str | None = None
    try:
        with open_warehouse(settings.warehouse, stage="send_newsletter") as con:
            apply_pending(settings, con)
            journal.replay(con)  # a killed run's last states, before anything is decided
            row = approved_issue(con, issue_id, resend)
            if row is None:
                report.already_sent = True
                report.unknown_before = count_unknown(con, issue_id)
                return report
            bulletin = Bulletin(issue_id, row["subject"], row["html"], row["text"])
            check_content(bulletin, row)
            decided, _ = resolve_interrupted(con, settings, issue_id)
            report.resolved = len(decided)
            factory = MessageFactory(bulletin, settings.issuer)
            todo = _todo(con, issue_id, report, resend_unknown, resend_failed)
            report.suppressed = {} if resend_unknown or resend_failed else suppressed_counts(con)
            progress = ProgressWriter(settings.warehouse, issue_id, len(todo))
            progress.start()
            run = _Run(con, settings, transport, factory, secret, signer, report, journal, sleep)
            run.progress = progress
            try:
                for i, (recipient, attempts) in enumerate(todo):
                    upcoming = todo[i + 1][0] if i + 1 < len(todo) else None
                    run.deliver(recipient, attempts, upcoming)
                    progress.maybe_write()  # one clock read; a small file twice a second
                    journal.maybe_flush(con)  # between messages, never inside a transaction
            finally:
                report.variants = factory.variants
                journal.close(con)
                resent = {"resent": [r.email for r, _ in todo]} if resend else {}
                audit(
                    con,
                    "renkei",
                    "send",
                    issue_id,
                    sent=report.sent,
                    skipped=report.skipped,
                    failed=len(report.failed),
                    unknown=len(report.unknown),
                    resolved=report.resolved,
                    resend_unknown=resend_unknown,
                    resend_failed=resend_failed,
                    **resent,
                )
            if not run.retryable and not resend:  # all were tried to the end
                execute(con, "mark_issue_sent", {"issue_id": issue_id, "now": _now()})
    except BaseException as exc:
        stopped = str(exc) or type(exc).__name__
        raise
    finally:
        transport.close()
        if progress is not None:  # after the warehouse is let go: readers may open it now
            progress.finish(stopped)
    return report
