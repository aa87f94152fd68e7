"""The compiled bulletin in a real browser (Debian's headless Chromium): no sideways scroll."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import escape
from pathlib import Path

import pytest
from conftest import skip_or_fail
from newsletter_samples import sample_issue

from renkei.newsletter.render import personalise, render_issue

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
]  # fmt: skip
# Headless Chromium will not make a window narrower than 500 px, so the mail is measured
# inside an iframe of the target width, as a phone's viewport would hold it.
FRAME = """<!doctype html><html><body style="margin:0">
<iframe id="m" style="border:0;width:{width}px;height:1200px" srcdoc="{doc}"></iframe>
<script>document.getElementById('m').addEventListener('load', function () {{
  var d = this.contentDocument;
  var w = Math.max(d.documentElement.scrollWidth, d.body.scrollWidth);
  document.title = 'scroll-width:' + w + ' viewport:' + this.contentWindow.innerWidth;
}});</script></body></html>"""


@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    """Skipped without Chromium on a developer's machine; a failure under CI=true."""
    if CHROMIUM is None:
        skip_or_fail("chromium not installed (.ci/run installs Debian's chromium in CI)")


def chromium(tmp_path: Path, *args: str) -> str:
    assert CHROMIUM, "chromium is required in CI"
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip
    return result.stdout


@pytest.mark.parametrize("width", [375, 600])
def test_bulletin_fits_the_screen_width(tmp_path: Path, width: int) -> None:
    html = personalise(
        render_issue(sample_issue()).html,
        recipient_name="国立大学法人鳥取大学",
        unsubscribe_url="https://collabo.example.jp/unsubscribe?t=x",
    )
    page = tmp_path / "mail.html"
    frame = FRAME.format(width=width, doc=escape(html, quote=True))
    page.write_text(frame, encoding="utf-8")
    dom = chromium(
        tmp_path,
        "--window-size=800,1300",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri(),
    )
    found = re.search(r"scroll-width:(\d+) viewport:(\d+)", dom)
    assert found, "the page did not load in Chromium"
    assert int(found.group(2)) == width
    assert int(found.group(1)) <= width
    assert "<img" not in html  # nothing to load from outside the message

    shot = tmp_path / f"bulletin-{width}.png"
    chromium(tmp_path, "--window-size=800,1300", f"--screenshot={shot}", page.as_uri())
    assert shot.stat().st_size > 10_000
