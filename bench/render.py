"""Newsletter render cost, split by stage, and the cost of 10,000 personalised variants.

Targets (issue 6): a 200-activity issue renders in under 1 s; 10,000 personalised
variants (MJML compiled once, personal parts substituted after) in under 20 s.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mjml import mjml2html
from newsletter_samples import bulk_issue

from renkei.core.settings import IssuerSettings
from renkei.delivery.message import Bulletin, Recipient, build_message
from renkei.newsletter.render import (
    MAX_HTML_BYTES,
    personalise,
    render_mjml,
    render_text,
    validate_links,
)


def timed(fn, *args):
    started = time.perf_counter()
    value = fn(*args)
    return value, (time.perf_counter() - started) * 1000


def main() -> None:
    issue = bulk_issue(200)
    mjml, jinja_ms = timed(render_mjml, issue)
    html, mjml_ms = timed(mjml2html, mjml)
    text, text_ms = timed(render_text, issue)
    _, links_ms = timed(validate_links, html)
    size = len(html.encode("utf-8"))
    total = jinja_ms + mjml_ms + text_ms + links_ms
    print(
        f"render 200 activities: jinja2={jinja_ms:.1f} ms mjml={mjml_ms:.1f} ms "
        f"text={text_ms:.1f} ms links={links_ms:.1f} ms total={total:.1f} ms "
        f"(target < 1000 ms); html={size / 1024:.1f} KiB "
        f"({'over' if size > MAX_HTML_BYTES else 'under'} the 100 KB clip limit uncapped)"
    )

    issuer = IssuerSettings(
        name="中国地域産学官コラボレーションセンター", postal_address="広島県広島市中区",
        contact_email="collabo@example.jp", website="https://example.jp/",
        unsubscribe_url="https://example.jp/unsubscribe",
    )  # fmt: skip
    started = time.perf_counter()
    size_total = 0
    for i in range(10_000):
        url = f"https://example.jp/unsubscribe?t={i:020d}"
        for body in (html, text):
            part = personalise(body, recipient_name=f"会員機関{i % 85}", unsubscribe_url=url)
            size_total += len(part.encode("utf-8"))
    elapsed = time.perf_counter() - started
    print(
        f"personalise 10,000 variants (HTML + text): {elapsed:.2f} s "
        f"({10_000 / elapsed:.0f}/s, target < 20 s), {size_total / 1e6:.0f} MB, no MJML recompiles"
    )

    bulletin = Bulletin("2026-11", "件名", html, text)
    now = datetime.now(UTC)
    started = time.perf_counter()
    for i in range(200):
        who = Recipient(f"member{i}@example.jp", f"m{i % 85}", f"会員機関{i % 85}")
        bytes(build_message(bulletin, who, issuer, now=now))
    elapsed = time.perf_counter() - started
    print(f"full MIME message build (delivery stage): {200 / elapsed:.0f} messages/s")


if __name__ == "__main__":
    main()
