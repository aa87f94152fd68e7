"""Read the bounce mailbox over IMAP (imap-tools) and record what each message says:
``process_bounces``, the one function `renkei bounces process` and the ``process_bounces``
flow call.

Crash safety: messages are fetched without marking them seen (``BODY.PEEK``), classified,
and recorded in batches of ``bounces.batch_size``, each in one warehouse transaction with
the suppressions it causes. Only after that commit are they marked ``\\Seen`` and moved to
``processed_folder``. A process killed anywhere loses nothing (an unmarked message is read
again) and counts nothing twice (each message's key — its Message-ID, else a hash of its
bytes — is recorded once, and a re-read message is skipped whole, rules included).

The mailbox connection is held for the whole run; the warehouse only for each batch's
commit (short writes, so a send or the console gets in between).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError
from imap_tools.mailbox import BaseMailBox

from renkei.core.errors import RenkeiError
from renkei.core.secrets import password
from renkei.core.settings import BounceSettings, Settings
from renkei.delivery.bounce_parse import classify
from renkei.delivery.bounce_rules import KIND_JA, Incoming, Recorded, record
from renkei.delivery.unsubscribe import load_secret
from warehouse.connection import open_warehouse
from warehouse.transaction import transaction

# Test seam: seconds to pause at each step, so a kill test lands between any two of them.
PAUSE_ENV = "RENKEI_BOUNCES_TEST_PAUSE"


class MailboxError(RenkeiError):
    """The bounce mailbox cannot be reached or refuses the login."""


@dataclass
class BounceReport:
    read: int = 0  # messages fetched this run
    recorded: list[Recorded] = field(default_factory=list)  # new this run
    already: int = 0  # read again after an interrupted run: recorded before, skipped
    disabled: bool = False

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.recorded:
            out[item.kind] = out.get(item.kind, 0) + 1
        return out

    def summary_ja(self) -> str:
        """The run in Japanese, for the console's dashboard."""
        if self.disabled:
            return "不達メールの確認は設定で止めてあります（[bounces] enabled = false）"
        kinds = (
            "・".join(f"{_KIND_JA.get(k, k)} {n}" for k, n in sorted(self.counts().items()))
            or "新しいものなし"
        )
        stopped = sum(1 for r in self.recorded if r.action in ("suppressed", "unsubscribed"))
        line = f"不達メール {self.read} 通を確認（{kinds}）"
        if self.already:
            line += f"、{self.already} 通は前回までに記録済み"
        return f"{line}；配信を止めた宛先 {stopped} 件"

    def summary(self) -> str:
        if self.disabled:
            return "bounces: [bounces] enabled = false; nothing read"
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.counts().items())) or "nothing new"
        suppressed = sum(1 for r in self.recorded if r.action == "suppressed")
        unsubscribed = sum(1 for r in self.recorded if r.action == "unsubscribed")
        line = f"bounces: {self.read} read ({kinds})"
        if self.already:
            line += f", {self.already} recorded before"
        return f"{line}; {suppressed} addresses suppressed, {unsubscribed} unsubscribed"


# The kinds of message the mailbox holds, as the secretariat reads them (the kinds that
# act on an address are named as the suppression reasons name them).
_KIND_JA = {
    **KIND_JA, "delayed": "遅延の通知", "autoreply": "自動返信", "unknown": "判別できないもの",
}  # fmt: skip


def _pause(step: str) -> None:
    delay = os.environ.get(PAUSE_ENV)
    if delay:
        print(f"bounces-step {step}", file=sys.stderr, flush=True)
        time.sleep(float(delay))


def imap_password(bounces: BounceSettings) -> str:
    """From the Prefect Secret block ``imap_password_block`` when named, else from the
    environment variable ``imap_password_env``."""
    return password("bounces.imap_password_block", bounces.imap_password_block,
                    "bounces.imap_password_env", bounces.imap_password_env, "IMAP")  # fmt: skip


@contextmanager
def open_mailbox(bounces: BounceSettings) -> Iterator[BaseMailBox]:
    """Logged in to ``imap_folder``; logged out at the end."""
    host = bounces.imap_host or ""
    security = bounces.imap_security
    port = bounces.imap_port or (993 if security == "tls" else 143)
    box: BaseMailBox
    try:
        if security == "tls":
            box = MailBox(host, port, timeout=60)
        elif security == "starttls":
            box = MailBoxStartTls(host, port, timeout=60)
        else:
            box = MailBoxUnencrypted(host, port, timeout=60)
        box.login(bounces.imap_user or "", imap_password(bounces), bounces.imap_folder)
    except MailboxLoginError as exc:
        raise MailboxError(f"bounces: {bounces.imap_user}@{host}: login refused ({exc})") from None
    except OSError as exc:
        raise MailboxError(f"bounces: cannot reach {host}:{port} ({exc})") from None
    try:
        yield box
    finally:
        try:
            box.logout()
        except Exception:  # the connection is gone already; nothing to keep
            pass


def _key(message_id: str | None, data: bytes) -> str:
    if message_id and len(message_id) < 500:
        return message_id
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _done(box: BaseMailBox, bounces: BounceSettings, uids: list[str]) -> None:
    """After the commit: mark seen, then move (a crash in between re-reads; harmless)."""
    if not uids:
        return
    box.flag(uids, "\\Seen", True)
    _pause("flagged")
    if bounces.processed_folder:
        box.move(uids, bounces.processed_folder)
        _pause("moved")


def process_bounces(settings: Settings) -> BounceReport:
    """Read new messages from the bounce mailbox, classify and record each once, apply the
    suppression rules, then mark them processed (see the module docstring)."""
    bounces = settings.bounces
    report = BounceReport()
    if not bounces.enabled:
        report.disabled = True
        return report
    secret = load_secret(settings.mail)
    with open_mailbox(bounces) as box:
        if bounces.processed_folder and not box.folder.exists(bounces.processed_folder):
            box.folder.create(bounces.processed_folder)
        # With a processed folder everything left in the inbox is to do (even if a person
        # read it in a mail client); without one, the unseen ones.
        criteria = "ALL" if bounces.processed_folder else "UNSEEN"
        uids = [u for u in box.uids(criteria) if u]
        for start in range(0, len(uids), bounces.batch_size):
            chunk = uids[start : start + bounces.batch_size]
            batch: list[Incoming] = []
            for msg in box.fetch(criteria=f"UID {','.join(chunk)}", mark_seen=False, bulk=True):
                data = msg.obj.as_bytes()
                found = classify(msg.obj)
                batch.append(Incoming(_key(found.message_id, data), msg.uid, found))
            report.read += len(batch)
            _pause("classified")
            with open_warehouse(settings.warehouse, stage="process_bounces") as con:
                with transaction(con):
                    new = record(con, settings, secret, batch)
                    _pause("recorded")
            report.recorded.extend(new)
            report.already += len({i.key for i in batch}) - len(new)
            _pause("committed")
            _done(box, bounces, [i.uid for i in batch if i.uid])
    return report
