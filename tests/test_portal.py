"""The member portal on real parts: sign-in links by mail (aiosmtpd or the outbox), the
one intake for uploads, receipts byte for byte as `renkei submit` writes them."""

from __future__ import annotations

import re
import shutil
import socket
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from conftest import skip_or_fail
from console_support import console_at, console_folder
from delivery_support import ScriptedServer, smtp_env
from playwright.sync_api import expect, sync_playwright

from renkei import pipeline
from renkei.console.sessions import load_key
from renkei.core.settings import load_settings
from renkei.core.signin import find_contact, issue_link
from warehouse.connection import open_warehouse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CONTACT, MEMBER = "info@okayama-cci.example.jp", "ind-04"
OTHER = "ind-02"
HEADER = "件名,開催日,会場,概要,URL,区分\r\n"
GOOD = "岡山ものづくり交流会2026,2026-12-20,岡山県工業技術センター,県内企業と大学の交流会です。,https://www.okayama-cci.example.jp/koryu.html,交流会\r\n"
BAD = ",2026-12-22,岡山商工会議所,件名のない行です。,https://www.okayama-cci.example.jp/x.html,セミナー\r\n"
FIXED = BAD.replace(",2026-12-22", "岡山 DX 相談会,2026-12-22", 1)


def cp932(*rows: str) -> bytes:
    return (HEADER + "".join(rows)).encode("cp932")


@pytest.fixture
def config(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return console_folder(tmp_path_factory, tmp_path / "w")


def link_from(raw: bytes) -> str:
    body = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    found = re.search(r"(http://\S+/portal/link/\S+)", body)
    assert found, body
    return found.group(1)


def outbox_link(settings, email: str) -> str:
    mails = sorted(
        (settings.mail.outbox / "portal-signin").glob("*.eml"), key=lambda p: p.stat().st_mtime
    )
    assert mails, "no sign-in mail in the outbox"
    return link_from(mails[-1].read_bytes())


def portal_client(base: str, settings, email: str = CONTACT) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    assert client.post("/portal/signin", data={"email": email}).status_code == 200
    signed = outbox_link(settings, email).rsplit("/", 1)[1]
    assert client.post("/portal/link", data={"signed": signed}).status_code == 303
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def upload(client: httpx.Client, name: str, data: bytes, **form: str) -> httpx.Response:
    token = csrf_of(client.get("/portal/").text)
    return client.post(
        "/portal/upload", data={"csrf": token, **form}, files={"file": (name, data, "text/csv")}
    )


def test_a_contact_signs_in_by_mail_submits_fixes_and_sees_it_published(
    config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if CHROMIUM is None:
        skip_or_fail("chromium not installed (.ci/run installs Debian's chromium in CI)")
    first, second = tmp_path / "2026-12-report.csv", tmp_path / "fixed" / "2026-12-report.csv"
    first.write_bytes(cp932(GOOD, BAD))
    second.parent.mkdir()
    second.write_bytes(cp932(GOOD, FIXED))
    shots = Path(__file__).parents[1] / "test-artifacts" / "portal"
    shots.mkdir(parents=True, exist_ok=True)
    with ScriptedServer() as smtp:
        for key, value in smtp_env(smtp.port).items():
            monkeypatch.setenv(key, value)
        with console_at(config) as (base, _), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page(viewport={"width": 375, "height": 800})
            page.goto(base + "/portal/")
            page.fill("input[name=email]", CONTACT)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("メールを確認してください")
            deadline = time.monotonic() + 20
            while not any(CONTACT in to for to, _ in smtp.messages):
                assert time.monotonic() < deadline, "no sign-in mail"
                time.sleep(0.05)
            page.goto(link_from(smtp.messages[-1][1]))
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("岡山県商工会議所連合会")
            page.screenshot(path=shots / "home-375.png", full_page=True)
            page.set_input_files("input[type=file]", str(first))
            page.click("form[action='/portal/upload'] button[type=submit]")
            expect(page.locator(".big-number")).to_contain_text("1件受付・1件要修正")
            expect(page.locator(".row-to-fix")).to_have_count(1)
            expect(page.locator(".row-to-fix")).to_contain_text("3行目")
            page.screenshot(path=shots / "receipt-375.png", full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.goto(base + "/portal/")
            page.set_input_files("input[type=file]", str(second))
            page.click("form[action='/portal/upload'] button[type=submit]")
            expect(page.locator(".big-number")).to_contain_text("2件受付")
            expect(page.locator(".row-to-fix")).to_have_count(0)
            expect(page.locator("pre.receipt")).to_contain_text("置き換え")
            pipeline.normalize(load_settings(config))
            page.goto(base + "/portal/")
            page.locator("details summary").first.click()
            expect(page.locator("#history")).to_contain_text("岡山 DX 相談会")
            expect(page.locator("#history")).to_contain_text("出し直しで置き換え済み")
            page.set_viewport_size({"width": 1280, "height": 900})
            page.screenshot(path=shots / "home-1280.png", full_page=True)
            browser.close()


def test_an_unknown_address_gets_the_same_page_and_no_mail(config: Path) -> None:
    with console_at(config) as (base, settings):
        known = httpx.post(base + "/portal/signin", data={"email": CONTACT})
        unknown = httpx.post(base + "/portal/signin", data={"email": "nobody@example.jp"})
    mails = list((settings.mail.outbox / "portal-signin").glob("*.eml"))
    strip = lambda html: html.replace(CONTACT, "X").replace("nobody@example.jp", "X")  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known.text) == strip(unknown.text)
    assert [m.name.startswith("info") for m in mails] == [True]


def test_a_used_or_expired_or_altered_link_is_refused(config: Path) -> None:
    settings = load_settings(config)
    key = load_key(settings.console)
    contact = find_contact(settings, CONTACT)
    assert contact is not None
    old = issue_link(settings, key, contact, now=datetime.now(UTC) - timedelta(minutes=31))
    with console_at(config) as (base, _):
        client = portal_client(base, settings)
        used = outbox_link(settings, CONTACT).rsplit("/", 1)[1]
        again = httpx.post(base + "/portal/link", data={"signed": used})
        expired = httpx.get(base + f"/portal/link/{old}")
        altered = httpx.get(base + f"/portal/link/{used[:-2]}xx")
        home = client.get("/portal/")
    for reply in (again, expired, altered):
        assert reply.status_code == 410 and "このリンクは使えません" in reply.text
    assert "岡山県商工会議所連合会" in home.text


def test_a_contact_sees_and_submits_only_for_their_own_member(config: Path) -> None:
    with console_at(config) as (base, settings):
        client = portal_client(base, settings)
        with open_warehouse(settings.warehouse, read_only=True) as con:
            other = con.execute(
                "SELECT sha256 FROM submissions WHERE member_id <> ? LIMIT 1", [MEMBER]
            ).fetchone()
        assert other is not None
        foreign = client.get(f"/portal/receipts/{other[0]}")
        sent = upload(client, "2026-12-report.csv", cp932(GOOD), member_id=OTHER)
    assert foreign.status_code == 404
    with open_warehouse(settings.warehouse, read_only=True) as con:
        owners = con.execute(
            "SELECT DISTINCT member_id FROM submissions WHERE file_name = '2026-12-report.csv'"
        ).fetchall()
    assert sent.status_code == 303 and owners == [(MEMBER,)]


def _headers_only(base: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """Send a request's headers and no body over a socket; the server's answer."""
    host, port = base.removeprefix("http://").split(":")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def test_an_upload_over_the_limit_is_refused_before_it_is_read(config: Path) -> None:
    with console_at(config) as (base, settings):
        client = portal_client(base, settings)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        limit = settings.intake.max_file_bytes
        # only the headers go out: the declared size alone is refused, no byte is read
        status, body = _headers_only(
            base,
            "/portal/upload",
            {
                "Cookie": cookie,
                "Content-Type": "multipart/form-data; boundary=b",
                "Content-Length": str(limit + 10 * 1024 * 1024),
            },
        )
        no_csrf = client.post("/portal/upload", files={"file": ("a.csv", cp932(GOOD), "text/csv")})
        ok = upload(client, "2026-12-report.csv", cp932(GOOD))
    assert status == 413 and "ファイルが大きすぎます（上限 32 MB）" in body
    assert no_csrf.status_code == 403
    assert ok.status_code == 303


def test_the_portal_and_renkei_submit_give_identical_receipts_and_rows(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    when = datetime(2026, 12, 3, 1, 2, 3, tzinfo=UTC)
    portal_config = console_folder(tmp_path_factory, tmp_path / "portal")
    cli_config = console_folder(tmp_path_factory, tmp_path / "cli")
    data = cp932(GOOD, BAD)
    with console_at(portal_config, clock=lambda: when) as (base, settings):
        client = portal_client(base, settings)
        assert upload(client, "2026-12-report.csv", data).status_code == 303
    cli_settings = load_settings(cli_config)
    arrived = cli_settings.inbox / MEMBER / "2026-12-report.csv"
    arrived.write_bytes(data)
    pipeline.ingest_submission(cli_settings, arrived, MEMBER, now=when, raise_on_reject=False)
    receipts = [
        s.inbox / MEMBER / "2026-12-report.csv.受付結果.txt" for s in (settings, cli_settings)
    ]
    assert receipts[0].read_bytes() == receipts[1].read_bytes()

    def rows(config_settings) -> list:
        with open_warehouse(config_settings.warehouse, read_only=True) as con:
            return [
                con.execute(q).fetchall()
                for q in (
                    "SELECT * EXCLUDE (path, receipt_path) FROM submissions ORDER BY ALL",
                    "SELECT * FROM submission_rows ORDER BY ALL",
                    "SELECT * EXCLUDE (staged_at) FROM stg_items ORDER BY ALL",
                )
            ]

    assert rows(settings) == rows(cli_settings)


def test_a_receipt_mail_carries_a_link_that_opens_the_receipt_in_the_portal(
    config: Path, tmp_path: Path
) -> None:
    settings = load_settings(config)
    settings = settings.model_copy(
        update={
            "console": settings.console.model_copy(
                update={"public_url": "https://console.example.jp"}
            )
        }
    )
    arrived = settings.inbox / MEMBER / "2026-12-report.csv"
    arrived.write_bytes(cp932(GOOD, BAD))
    outcome = pipeline.ingest_submission(settings, arrived, MEMBER, raise_on_reject=False)
    mail = settings.mail.outbox / "receipts" / outcome.sha256[:12]
    raw = next(mail.glob("info*.eml")).read_bytes()
    body = message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    found = re.search(r"https://console\.example\.jp(/portal/link/\S+)", body)
    assert found, body
    with console_at(config) as (base, _):
        client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
        page = client.get(found.group(1))
        signed = re.search(r'name="signed" value="([^"]+)"', page.text)
        target = re.search(r'name="next" value="([^"]+)"', page.text)
        assert signed and target
        opened = client.post(
            "/portal/link", data={"signed": signed.group(1), "next": target.group(1)}
        )
        receipt = client.get(opened.headers["location"])
    assert opened.headers["location"] == f"/portal/receipts/{outcome.sha256}"
    assert receipt.status_code == 200 and "直していただきたい行（1行）" in receipt.text
