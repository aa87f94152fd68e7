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
import base64
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from delivery_support import approve_issue
from newsletter_samples import bulk_issue

from renkei import mail_send, mail_transport
from renkei.newsletter.render import render_issue
from renkei.scaffold import init_folder
from renkei.settings import load_settings
from warehouse.connection import open_warehouse

PER_MEMBER = 100
SINK = ("-c", "aiosmtpd.handlers.Sink")  # accepts and discards


class Clock:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def wrap(self, fn):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1

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


def server_ceiling(port: int, html: bytes, count: int = 1000) -> float:
    """Messages/s the same server takes from bare smtplib with one prebuilt message."""
    body = base64.encodebytes(html).replace(b"\n", b"\r\n")
    data = b"From: a@example.jp\r\nTo: b@example.jp\r\nSubject: x\r\n\r\n" + body
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        started = time.perf_counter()
        for i in range(count):
            smtp.sendmail("a@example.jp", [f"b{i}@example.jp"], data)
        return count / (time.perf_counter() - started)


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
            with open_warehouse(settings.warehouse) as con:  # a typical 30-item bulletin
                con.execute(
                    "UPDATE newsletter_issues SET html = $h, text = $t",
                    {"h": rendered.html, "t": rendered.text},
                )
            building, smtp = Clock(), Clock()
            mail_send._Run.message_bytes = building.wrap(mail_send._Run.message_bytes)
            mail_transport.SmtpTransport.deliver = smtp.wrap(mail_transport.SmtpTransport.deliver)
            started = time.perf_counter()
            report = mail_send.send_issue(settings, "2026-11")
            elapsed = time.perf_counter() - started
            ceiling = server_ceiling(port, rendered.html.encode())
        finally:
            server.terminate()
            server.wait()

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    other = elapsed - building.seconds - smtp.seconds
    print(report.summary())
    print(
        f"sent {report.sent} messages in {elapsed:.1f} s: {report.sent / elapsed:.0f} messages/s "
        f"(target >= 200); html {len(rendered.html.encode()) / 1024:.0f} KiB per message"
    )
    print(
        f"time: building messages {building.seconds / elapsed:.1%} (target < 10%), "
        f"SMTP {smtp.seconds / elapsed:.1%}, warehouse writes and the rest {other / elapsed:.1%}"
    )
    print(
        f"the same aiosmtpd server takes {ceiling:.0f} messages/s from bare smtplib "
        "(one prebuilt message, no bookkeeping): the ceiling on this machine"
    )
    print(f"peak memory (max RSS of this process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
