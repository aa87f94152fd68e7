"""Newsletter render time and HTML size against Gmail's 100 KB clipping limit."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from newsletter_samples import bulk_issue

from renkei.newsletter.render import MAX_HTML_BYTES, NewsletterTooLarge, render_issue

for items in (10, 30, 60, 90):
    issue = bulk_issue(items)
    started = time.perf_counter()
    try:
        html = render_issue(issue).html
        size = len(html.encode("utf-8"))
        verdict = f"{size / 1024:6.1f} KiB ({size / MAX_HTML_BYTES:4.0%} of limit)"
    except NewsletterTooLarge as exc:
        verdict = f"too large: {exc.size / 1024:.1f} KiB (section {exc.section_key})"
    elapsed = (time.perf_counter() - started) * 1000
    print(f"items={items:>3} render={elapsed:7.1f} ms  html={verdict}")
