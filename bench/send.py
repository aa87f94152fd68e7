"""Send one issue to 10,000 generated recipients through a local aiosmtpd server.

Prints messages/s, peak memory (this process's max RSS) and how the time splits between
building messages (personalise + serialize + sign), the SMTP conversation, and the rest
(warehouse writes: three short commits per message). The SMTP server runs in its own
process (``python -m aiosmtpd`` with the Sink handler) so it does not share our GIL.

Target (issue 7): ≥ 200 messages/s on loopback with message building under 10% of the time.

    python bench/send.py [--recipients 10000]
"""

from __future__ import annotations

import argparse
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from delivery_support import SUBJECT, approve_issue
from newsletter_samples import bulk_issue

from renkei.core import mail_transport
from renkei.core.settings import load_settings
from renkei.delivery import send as mail_send
from renkei.delivery.message import Bulletin, MessageFactory, Recipient
from renkei.newsletter.render import render_issue
from renkei.scaffold import init_folder
from warehouse.connection import open_warehouse

PER_MEMBER = 100
SINK = ("-c", "aiosmtpd.handlers.Sink")  # accepts and discards


class Clock:
    """Time spent in the wrapped calls; ``nested``: the part spent inside ``within``'s."""

    def __init__(self, within: Clock | None = None) -> None:
        self.seconds = 0.0
        self.nested = 0.0
        self.calls = 0
        self.active = False
        self.within = within

    def wrap(self, fn):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            self.active = True
            try:
                return fn(*args, **kwargs)
            finally:
                self.active = False
                spent = time.perf_counter() - started
                self.seconds += spent
                self.calls += 1
                if self.within is not None and self.within.active:
                    self.nested += spent

        return timed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("aiosmtpd did not start")


class Ceiling:
    """What the same server takes from a bare client, with one prebuilt message (the same
    bytes renkei sends) and no bookkeeping, measured in short bursts interleaved with
    renkei's send (every ``EVERY`` of its messages), so both see the same load on a shared
    machine. Two clients: ``smtplib.sendmail`` and the bare protocol steps (without
    sendmail's line-ending and dot-stuffing passes). Burst time is taken out of renkei's."""

    EVERY = 500
    BURST = 50

    def __init__(self, port: int, data: bytes) -> None:
        self.smtp = smtplib.SMTP("127.0.0.1", port)
        self.smtp.ehlo()
        self.data = data
        self.seconds = {"sendmail": 0.0, "bare": 0.0}
        self.messages = {"sendmail": 0, "bare": 0}
        self.paused = self.paused_cpu = 0.0
        self.calls = 0

    def burst(self) -> None:
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(self.BURST):
            self.smtp.sendmail("a@example.jp", [f"b{i}@example.jp"], self.data)
        middle = time.perf_counter()
        for i in range(self.BURST):
            self.smtp.mail("a@example.jp")
            self.smtp.rcpt(f"b{i}@example.jp")
            self.smtp.docmd("DATA")
            self.smtp.send(self.data + b".\r\n")
            self.smtp.getreply()
        ended = time.perf_counter()
        self.seconds["sendmail"] += middle - started
        self.seconds["bare"] += ended - middle
        self.messages["sendmail"] += self.BURST
        self.messages["bare"] += self.BURST
        self.paused += ended - started
        self.paused_cpu += time.process_time() - cpu

    def rate(self, kind: str) -> float:
        return self.messages[kind] / self.seconds[kind]

    def interleave(self, fn):
        def with_bursts(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            finally:
                self.calls += 1
                if self.calls % self.EVERY == 0:
                    self.burst()

        return with_bursts

    def close(self) -> None:
        self.smtp.quit()


INTERESTS = [  # a few distinct interest sets, as contacts have them
    "",
    "prefecture:岡山県",
    "sector:finance",
    "category:call",
    "prefecture:広島県,sector:academia",
    "category:event,prefecture:鳥取県",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    args = parser.parse_args()
    members = max(1, args.recipients // PER_MEMBER)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "work"
        init_folder(folder)
        lines = ["member_id,name,sector,sector_ja,prefecture,scope,feed_url,contact_email"]
        for m in range(members):
            emails = ";".join(f"c{m:03d}x{i:03d}@member{m:03d}.example.jp" for i in range(100))
            lines.append(f"aca-{m:03d},会員機関{m:03d},academia,学,広島県,prefecture,,{emails}")
        (folder / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", *SINK],
        )
        try:
            wait_for(port)
            settings = load_settings(folder / "renkei.toml")
            mail = settings.mail.model_copy(
                update={
                    "transport": "smtp",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": port,
                    "smtp_security": "none",
                    "rate_per_second": 1e6,
                }
            )
            settings = settings.model_copy(update={"mail": mail})
            approve_issue(settings)
            rendered = render_issue(bulk_issue(30))
            digest = Bulletin("2026-11", SUBJECT, rendered.html, rendered.text).content_sha256()
            with open_warehouse(settings.warehouse) as con:  # a typical 30-item bulletin
                con.execute(  # approved as it is: send checks the hash of what it sends
                    "UPDATE newsletter_issues SET html = $h, text = $t, content_sha256 = $d,"
                    " approved_sha256 = $d",
                    {"h": rendered.html, "t": rendered.text, "d": digest},
                )
                for i, tags in enumerate(INTERESTS):  # half the contacts have no interests
                    con.execute(
                        "UPDATE contacts SET interests = $tags WHERE hash(email) % 12 = $i",
                        {"tags": tags, "i": i},
                    )
            smtp = Clock()
            building = Clock(within=smtp)  # the next message is built while the server reads
            mail_send._Run.message_bytes = building.wrap(mail_send._Run.message_bytes)
            sample = MessageFactory(
                Bulletin("2026-11", "件名", rendered.html, rendered.text), settings.issuer
            ).build(
                Recipient("c000x000@member000.example.jp", "aca-000", "会員機関000"),
                now=datetime.now(UTC),
                token="x" * 80,
            )
            ceiling = Ceiling(port, sample)
            mail_transport.SmtpTransport.deliver = ceiling.interleave(
                smtp.wrap(mail_transport.SmtpTransport.deliver)
            )
            ceiling.burst()
            started, cpu = time.perf_counter(), time.process_time()
            report = mail_send.send_issue(settings, "2026-11")
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            elapsed, cpu = elapsed - ceiling.paused, cpu - ceiling.paused_cpu
            ceiling.burst()
            ceiling.close()
            sendmail, bare = ceiling.rate("sendmail"), ceiling.rate("bare")
        finally:
            server.terminate()
            server.wait()

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    smtp_only = smtp.seconds - building.nested
    other = elapsed - building.seconds - smtp_only
    print(report.summary(), f"({report.variants} orderings of the items for the interest sets)")
    print(
        f"sent {report.sent} messages in {elapsed:.1f} s: {report.sent / elapsed:.0f} messages/s "
        f"(target >= 200); html {len(rendered.html.encode()) / 1024:.0f} KiB per message"
    )
    print(
        f"time: building messages {building.seconds / elapsed:.1%} (target < 10%; "
        f"{building.nested / max(building.seconds, 1e-9):.0%} of it while waiting for the "
        f"server's reply), SMTP {smtp_only / elapsed:.1%}, "
        f"warehouse writes and the rest {other / elapsed:.1%}"
    )
    rate = report.sent / elapsed
    print(
        f"the same aiosmtpd server, same message bytes ({len(sample) / 1024:.0f} KiB), no "
        f"bookkeeping ({ceiling.messages['bare']} each, in bursts between renkei's messages): "
        f"smtplib.sendmail {sendmail:.0f}/s, bare protocol steps {bare:.0f}/s; "
        f"renkei reaches {rate / sendmail:.0%} and {rate / bare:.0%} of them"
    )
    print(
        f"renkei's own CPU: {cpu / report.sent * 1000:.2f} ms per message "
        f"({cpu / elapsed:.0%} of one core; the rest of the time it waits for the server)"
    )
    print(f"peak memory (max RSS of this process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
