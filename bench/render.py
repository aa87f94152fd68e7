"""Newsletter render cost, and the cost of building 10,000 personalised messages as the
send builds them.

Targets: a 200-activity issue renders in under 1 s (issue 6); 10,000 personalised
messages in under 10 s with a peak RSS under 400 MB, flat in the number of recipients
(issue 22).

The send (``renkei.delivery.send``) builds each recipient's message with
``MessageFactory.build`` when its turn comes (plus the next one while the server reads)
and drops it once handed over. This bench does the same: per recipient the signed
unsubscribe token (``make_token``), the 「相談する」 links (``link_maker``, only when
``console.public_url`` is set, which is also when the bulletin carries them) and
``factory.build(recipient, now=..., token=..., consult=...)``; each message's bytes are
counted, then dropped. With links, the measured bulletin is the largest one the size check
lets through (``render_issue`` counts each link at its sent length: a bigger one is refused
before it is compiled); the 200-activity one, some 560 KB of HTML as sent, is printed for
scale. Every measured side runs in its own child process, which prints its
wall seconds and its own peak RSS (``VmHWM``), at 1,000 and 10,000 recipients. The
reference in the same run is the plain loop over ``build_message`` (the ``email``
package), on a sample, extrapolated.

    python bench/render.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mjml import mjml2html
from newsletter_samples import bulk_issue

from renkei.core.consult_link import link_maker
from renkei.core.settings import IssuerSettings
from renkei.delivery.message import Bulletin, MessageFactory, Recipient, build_message
from renkei.delivery.unsubscribe import make_token
from renkei.newsletter.render import (
    MAX_HTML_BYTES,
    NewsletterTooLarge,
    render_html,
    render_issue,
    render_mjml,
    render_text,
    sent_bytes,
    validate_links,
)

ISSUER = IssuerSettings(
    name="中国地域産学官コラボレーションセンター", postal_address="広島県広島市中区",
    contact_email="collabo@example.jp", website="https://example.jp/",
    unsubscribe_url="https://example.jp/unsubscribe",
)  # fmt: skip
ISSUE_ID = "2026-11"
SECRET = b"bench-unsubscribe-secret"
CONSULT_KEY = "bench-console-key"
PUBLIC_URL = "https://renkei.example.jp"
HEADERS = (
    "Subject", "From", "To", "Date", "Message-ID", "List-Id", "List-Unsubscribe",
    "List-Unsubscribe-Post", "MIME-Version",
)  # fmt: skip
RECIPIENTS = 10_000
SMALL = 1_000
SAMPLE = 500  # reference path: build_message on a sample, extrapolated
NAMES = [
    "会員機関",
    "国立大学法人広島大学",
    "株式会社中国技研",
    "Okayama Tech Co.",
    "(一財)島根産業振興財団",
]
INTERESTS = [
    (),
    ("sector:finance",),
    ("prefecture:岡山県",),
    ("category:call", "sector:industry"),
]


def largest_sendable() -> int:
    """The most activities (bulk_issue) with 「相談する」 links that render_issue accepts:
    the size check counts each link at its sent length (CONSULT_LINK_BYTES)."""
    low, high = 1, 200  # render_issue accepts ``low``, refuses ``high``
    while high - low > 1:
        mid = (low + high) // 2
        try:
            render_issue(replace(bulk_issue(mid), extra={"consult": "1"}))
            low = mid
        except NewsletterTooLarge:
            high = mid
    return low


def timed(fn, *args):
    started = time.perf_counter()
    value = fn(*args)
    return value, (time.perf_counter() - started) * 1000


def peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def bulletin(consult: bool, items: int = 200) -> Bulletin:
    """``items`` activities (200: uncapped); with 「相談する」 links as compose makes them
    when ``console.public_url`` is set."""
    issue = bulk_issue(items)
    if consult:
        issue = replace(issue, extra={"consult": "1"})
    return Bulletin(ISSUE_ID, "【中国地域産学官連携通信】第12号", mjml2html(render_mjml(issue)),
                    render_text(issue))  # fmt: skip


def recipients(n: int) -> Iterator[Recipient]:
    for i in range(n):
        name = f"{NAMES[i % len(NAMES)]}{i % 97}"
        yield Recipient(f"member{i}@example.jp", f"m{i}", name, "ja", INTERESTS[i % len(INTERESTS)])


def messages(build, n: int, consult: bool) -> Iterator[bytes]:
    """As ``_Run.message_bytes`` does it: token, links, then the message, one at a time."""
    for recipient in recipients(n):
        token = make_token(SECRET, ISSUE_ID, recipient.email)
        links = link_maker(CONSULT_KEY, PUBLIC_URL, recipient.email, ISSUE_ID) if consult else None
        yield build(recipient, now=datetime.now(UTC), token=token, consult=links)


def child(side: str, n: int, consult: bool, items: int) -> None:
    """One measured side in this process: build ``n`` messages, hand each over, print JSON."""
    news = bulletin(consult, items)
    if side == "factory":
        build = MessageFactory(news, ISSUER).build
    else:

        def build(recipient, **kwargs):
            return bytes(build_message(news, recipient, ISSUER, **kwargs))

    before = peak_rss_mib()
    started, size = time.perf_counter(), 0
    for data in messages(build, n, consult):  # handed over: counted, dropped
        size += len(data)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "bytes": size, "rss": peak_rss_mib(), "before": before}))


def measure(side: str, n: int, consult: bool, items: int) -> dict[str, float]:
    args = [
        sys.executable,
        __file__,
        "--child",
        side,
        "--recipients",
        str(n),
        "--items",
        str(items),
    ]
    out = subprocess.run(args + ["--consult"] * consult, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def same_as_reference(consult: bool, items: int, n: int = 8) -> bool:
    """MessageFactory's bytes, parsed, equal build_message's on ``n`` recipients."""
    news = bulletin(consult, items)
    factory = MessageFactory(news, ISSUER)

    def reference(recipient, **kwargs):
        return bytes(build_message(news, recipient, ISSUER, **kwargs))

    now = datetime.now(UTC)
    fast = messages(lambda r, **kw: factory.build(r, **{**kw, "now": now}), n, consult)
    slow = messages(lambda r, **kw: reference(r, **{**kw, "now": now}), n, consult)
    for a, b in zip(fast, slow, strict=True):
        x, y = (message_from_bytes(m, policy=policy.default) for m in (a, b))
        if any(x[h] != y[h] for h in HEADERS) or x.defects:
            return False
        for kind in ("plain", "html"):
            if x.get_body((kind,)).get_content() != y.get_body((kind,)).get_content():
                return False
    return True


def main() -> None:
    issue = bulk_issue(200)
    mjml, jinja_ms = timed(render_mjml, issue)
    html, mjml_ms = timed(mjml2html, mjml)
    _, text_ms = timed(render_text, issue)
    _, links_ms = timed(validate_links, html)
    size = len(html.encode("utf-8"))
    total = jinja_ms + mjml_ms + text_ms + links_ms
    print(
        f"render 200 activities: jinja2={jinja_ms:.1f} ms mjml={mjml_ms:.1f} ms "
        f"text={text_ms:.1f} ms links={links_ms:.1f} ms total={total:.1f} ms "
        f"(target < 1000 ms); html={size / 1024:.1f} KiB "
        f"({'over' if size > MAX_HTML_BYTES else 'under'} the 100 KB clip limit uncapped)"
    )
    print(
        f"personalised messages, built as the send builds them (MessageFactory.build, one "
        f"recipient at a time, each counted then dropped; {len(INTERESTS)} interest orderings; "
        f"each side in its own process). Targets: {RECIPIENTS:,} in < 10 s, peak RSS < 400 MB"
    )
    most = largest_sendable()
    sent = sent_bytes(render_html(replace(bulk_issue(most), extra={"consult": "1"})))
    cases = (
        (False, 200, "without 「相談する」 links (console.public_url unset), 200 activities"),
        (True, most, f"with 「相談する」 links: {most} activities, the largest bulletin the "
                     f"size check lets through ({sent / 1024:.0f} KiB of HTML as sent)"),
        (True, 200, "with 「相談する」 links, 200 activities uncapped (over the size limit, "
                    "never sent; for scale)"),
    )  # fmt: skip
    for consult, items, label in cases:
        same = same_as_reference(consult, items)
        small = measure("factory", SMALL, consult, items)
        large = measure("factory", RECIPIENTS, consult, items)
        ref = measure("reference", SAMPLE, consult, items)
        ref_total = ref["seconds"] * RECIPIENTS / SAMPLE
        print(f"  {label}:")
        print(
            f"    MessageFactory: {RECIPIENTS:,} in {large['seconds']:.2f} s "
            f"({RECIPIENTS / large['seconds']:,.0f}/s; {small['seconds']:.2f} s for {SMALL:,}); "
            f"{large['bytes'] / 1e6:,.0f} MB produced in all, never held"
        )
        print(
            f"    peak RSS: {small['rss']:.0f} MiB at {SMALL:,}, {large['rss']:.0f} MiB at "
            f"{RECIPIENTS:,} (after rendering, before the loop: {small['before']:.0f} / "
            f"{large['before']:.0f} MiB)"
        )
        print(
            f"    reference, build_message (email package) per recipient: {SAMPLE} in "
            f"{ref['seconds']:.2f} s, so ~{ref_total:.0f} s for {RECIPIENTS:,} "
            f"({ref_total / large['seconds']:.1f}x slower), peak RSS {ref['rss']:.0f} MiB; "
            f"same message as MessageFactory (parsed, 8 recipients): {'yes' if same else 'NO'}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=("factory", "reference"))
    parser.add_argument("--recipients", type=int, default=RECIPIENTS)
    parser.add_argument("--consult", action="store_true")
    parser.add_argument("--items", type=int, default=200)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.recipients, args.consult, args.items)
    else:
        main()
