"""The compiled bulletin in a real browser (Debian's headless Chromium): no sideways scroll,
and titles on a phone wrap only between phrases."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from html import escape
from pathlib import Path

import pytest
from conftest import skip_or_fail
from newsletter_samples import sample_issue
from playwright.sync_api import sync_playwright

from renkei.newsletter.model import Section
from renkei.newsletter.phrasing import phrases
from renkei.newsletter.preview import Draft, write_preview
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


# --- Japanese line breaking on a phone ---------------------------------------------------

LONG_TITLE = (
    "中国地域の産学官金連携による次世代ものづくり人材育成プログラム成果報告会"
    "（高専・大学・企業の共同取組）"
)
# The lines of the title as the browser laid them out: each character's box, grouped by
# its top edge (Range.getClientRects on every character of the title's text nodes).
LINES_JS = """(el) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const lines = [];
  let top = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      if (node.data[i] === '\\u200b') continue;
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      if (top === null || rect.top > top + 4) { lines.push(''); top = rect.top; }
      lines[lines.length - 1] += node.data[i];
    }
  }
  return lines;
}"""


def test_long_title_wraps_between_phrases_on_a_375px_phone(tmp_path: Path) -> None:
    issue = sample_issue(editorial=None)
    card = replace(issue.sections[0].items[0], title=LONG_TITLE, url="https://example.jp/r")
    heading = "連携ハイライト（機関・地域をまたぐ取組）"
    issue = replace(issue, sections=(Section("collaboration", heading, (card,)),))
    html = personalise(
        render_issue(issue).html, recipient_name="鳥取大学", unsubscribe_url="https://x.jp/u"
    )
    assert CHROMIUM
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 375, "height": 900})
            page.set_content(html, wait_until="load")
            title_lines = page.locator('a[href="https://example.jp/r"]').evaluate(LINES_JS)
            toc_lines = page.locator('a[href="#sec-collaboration"]').evaluate(LINES_JS)
            page.locator('a[href="https://example.jp/r"]').screenshot(path=tmp_path / "t.png")
        finally:
            browser.close()
    assert (tmp_path / "t.png").stat().st_size > 1_000

    assert len(title_lines) >= 3, title_lines  # it does wrap on a phone
    for text, lines in ((LONG_TITLE, title_lines), (heading, toc_lines)):
        assert "".join(lines) == text
        # Every line is made of whole BudouX phrases: 「組）」 or 「取」 never stands alone.
        ends, pos = set(), 0
        for phrase in phrases(text):
            pos += len(phrase)
            ends.add(pos)
        pos = 0
        for line in lines:
            pos += len(line)
            assert pos in ends, lines
            assert line not in {"組）", "）", "を", "に", "の"}, lines


# --- the review page on a phone ----------------------------------------------------------


def test_review_page_fits_a_375px_phone_and_frames_show_the_whole_mail(tmp_path: Path) -> None:
    rendered = render_issue(sample_issue())
    draft = Draft("2026-11", "sent", rendered.subject, rendered.html, rendered.text, "ab" * 32)
    page_path = write_preview(draft, tmp_path, "https://collabo.example.jp/unsubscribe")
    assert CHROMIUM
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_function(
                "[...document.querySelectorAll('iframe')].every(f =>"
                " f.contentDocument.readyState === 'complete' &&"
                " f.contentDocument.body && f.contentDocument.body.scrollHeight > 1000)"
            )
            page.evaluate("window.dispatchEvent(new Event('resize'))")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            frames = page.evaluate(
                """[...document.querySelectorAll('iframe')].map(f => ({
                  content: f.contentDocument.documentElement.scrollHeight,
                  height: f.clientHeight,
                  right: f.getBoundingClientRect().right}))"""
            )
            status = page.locator("#status").inner_text()
            meta = page.locator(".meta").first.inner_text()
            page.screenshot(path=tmp_path / "preview-375.png", full_page=True)
        finally:
            browser.close()
    assert scroll_width <= 375
    assert len(frames) == 2
    for frame in frames:
        assert frame["height"] >= frame["content"] > 1400  # the whole mail, no cut-off
        assert frame["right"] <= 375  # the 600 px frame is scaled down, not cut
    assert status == "配信済み"
    assert "sent" not in meta and "renkei approve" not in meta
    assert (tmp_path / "preview-375.png").stat().st_size > 20_000
