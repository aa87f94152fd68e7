"""The console in a real Chromium (Debian's, via Playwright): an editor drops and pins,
the preview and hash change; an editor cannot approve; an approver approves; the send
runs to aiosmtpd on loopback with its progress on the page; the audit log names every
step. Screenshots at 1280 and 375 px are kept in test-artifacts/console/."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from conftest import skip_or_fail
from console_support import ISSUE, PASSWORDS, console_at, console_folder
from delivery_support import ScriptedServer, smtp_env
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(
    os.environ.get("RENKEI_TEST_ARTIFACTS", Path(__file__).parents[1] / "test-artifacts")
)
SHOTS = ARTIFACTS / "console"


@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    if CHROMIUM is None:
        skip_or_fail("chromium not installed (.ci/run installs Debian's chromium in CI)")


def login(page: Page, base: str, who: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=login]", who)
    page.fill("input[name=password]", PASSWORDS[who][2])
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("header .who")).to_contain_text(PASSWORDS[who][0])


def shoot(page: Page, name: str) -> None:
    """Keep a screenshot at 1280 and at 375 px; neither may scroll sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} at {width}px scrolls sideways by {overflow}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def shown_hash(page: Page) -> str:
    return page.locator("#content-hash").inner_text().strip()


def test_edit_approve_send_and_audit_in_a_browser(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = console_folder(tmp_path_factory, tmp_path / "w")
    with ScriptedServer() as smtp:
        smtp.on_data = lambda n: time.sleep(0.3)  # slow enough to watch the progress move
        for key, value in smtp_env(smtp.port).items():
            monkeypatch.setenv(key, value)
        with console_at(config) as (base, _), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            editor = browser.new_page(viewport={"width": 1280, "height": 900})
            login(editor, base, "henshu")
            shoot(editor, "dashboard")
            editor.goto(f"{base}/issues/{ISSUE}")
            before = shown_hash(editor)
            shoot(editor, "issue")
            items = editor.locator("article.item[data-activity]")
            dropped = items.nth(0).get_attribute("data-activity")
            title = items.nth(0).locator("h4").inner_text().split("\n")[0].strip()
            items.nth(0).locator("button[value=drop]").click()
            expect(editor.locator("p.flash")).to_contain_text("載せないことにしました")
            after_drop = shown_hash(editor)
            assert after_drop != before
            expect(
                editor.locator(f"article[data-activity='{dropped}'] .badge.rejected")
            ).to_have_text("載せない")
            preview = editor.frame_locator(".frames [data-pane=desktop] iframe")
            text_part = editor.locator("[data-pane=text] pre").inner_text()
            assert f"◇ {title}" not in text_part  # (a 関連 line may still name it)
            pin = editor.locator("#excluded button[value=pin]").first
            pinned_title = pin.locator("xpath=ancestor::li").inner_text().split("（")[0].strip()
            pin.click()
            expect(editor.locator("p.flash")).to_contain_text("ピン留めしました")
            after_pin = shown_hash(editor)
            assert after_pin not in (before, after_drop)
            expect(preview.locator("body")).to_contain_text(pinned_title[:12])
            assert f"◇ {pinned_title[:12]}" in editor.locator("[data-pane=text] pre").inner_text()
            # an editor sees no approve button, and the server refuses the request
            expect(editor.locator("form[action$='/approve']")).to_have_count(0)
            token = editor.locator("input[name=csrf]").first.get_attribute("value")
            refused = editor.request.post(
                f"{base}/issues/{ISSUE}/approve",
                form={"csrf": token or "", "content_sha256": "0" * 64},
                max_redirects=0,
            )
            assert refused.status == 403

            approver = browser.new_page(viewport={"width": 1280, "height": 900})
            approver.on("dialog", lambda dialog: dialog.accept())
            login(approver, base, "shonin")
            approver.goto(f"{base}/issues/{ISSUE}")
            assert shown_hash(approver) == after_pin
            approver.fill("form[action$='/approve'] input[name=comment]", "確認しました")
            approver.click("form[action$='/approve'] button[type=submit]")
            expect(approver.locator("p.flash")).to_contain_text(
                f"承認しました（確認番号 {after_pin}）"
            )
            approver.click("form[action$='/send'] button[type=submit]")
            expect(approver.locator("[data-field=state_ja]")).to_have_text("送信中", timeout=30_000)
            moving = approver.locator("[data-field=done]").inner_text()
            total = int(approver.locator("[data-field=total]").inner_text())
            assert total == 11 and int(moving) < total
            shoot(approver, "delivery-running")
            expect(approver.locator("[data-field=state_ja]")).to_have_text("完了", timeout=60_000)
            expect(approver.locator("[data-field=sent]")).to_have_text("11")
            approver.click("[data-when-finished] a")
            expect(approver.locator("body")).to_contain_text("送信済み 11件")
            # the bar is full as the page comes (a <progress>: no inline style, which the
            # CSP refuses), not only once the script has polled
            assert approver.locator("progress.progress").get_attribute("value") == "100"
            expect(approver.locator("[data-when-finished]")).to_have_count(0)  # shown already
            shoot(approver, "delivery-done")
            approver.goto(f"{base}/audit")
            shoot(approver, "audit")
            log = approver.locator("table").inner_text()
            browser.close()
    assert len(smtp.messages) == 11
    for line in (
        "編集 花子（henshu）\tログイン",
        "編集 花子（henshu）\t編集",
        "承認 太郎（shonin）\t承認",
        "承認 太郎（shonin）\t送信開始",
        "renkei\t送信",
    ):
        assert line in log, line
    edits = [line for line in log.splitlines() if "\t編集\t" in line]
    assert any(f"載せない（{(dropped or '')[:8]}）" in line for line in edits)
    assert all(line.endswith("コンソール 127.0.0.1") for line in edits)
