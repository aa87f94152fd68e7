"""Unsubscribing: signed tokens, the one-click endpoint on loopback, the CLI, the next issue."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import renkei_cli
from delivery_support import (
    ISSUE_ID,
    ScriptedServer,
    approve_issue,
    delivery_rows,
    free_port,
    registry_rows,
    with_smtp,
)

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.delivery.unsubscribe import (
    ForgedToken,
    TokenError,
    apply_unsubscribe,
    load_secret,
    make_token,
    pending_path,
    verify_token,
)
from renkei.delivery.unsubscribe_server import running
from warehouse.connection import open_warehouse

SECRET = b"0123456789abcdef0123456789abcdef"
WHO = "renkei@member01.example.jp"


def flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_token_round_trip_names_issue_and_recipient() -> None:
    said = verify_token(SECRET, make_token(SECRET, "2026-11", WHO))
    assert (said.issue_id, said.email) == ("2026-11", WHO)


@pytest.mark.parametrize("index", [0, 5, -1])
def test_an_altered_token_is_refused(index: int) -> None:
    token = make_token(SECRET, "2026-11", WHO)
    with pytest.raises(ForgedToken, match="signature does not match"):
        verify_token(SECRET, flip(token, index % len(token)))


def test_a_token_for_another_address_or_secret_is_refused() -> None:
    payload, _, signature = make_token(SECRET, "2026-11", WHO).partition(".")
    other, _, _ = make_token(SECRET, "2026-11", "boss@member01.example.jp").partition(".")
    with pytest.raises(ForgedToken):
        verify_token(SECRET, f"{other}.{signature}")
    with pytest.raises(ForgedToken):
        verify_token(b"another-secret-another-secret-xx", f"{payload}.{signature}")
    with pytest.raises(TokenError, match="malformed"):
        verify_token(SECRET, "no-dot-here")


def test_secret_comes_from_the_named_env_var_else_a_private_file(
    workdir, settings_for, monkeypatch
) -> None:
    settings = settings_for(registry_rows(1))
    from_file = load_secret(settings.mail)
    key = workdir / "unsubscribe.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(from_file) == 64 and load_secret(settings.mail) == from_file  # stable
    monkeypatch.setenv("RENKEI_UNSUBSCRIBE_SECRET", "s" * 40)
    assert load_secret(settings.mail) == b"s" * 40


@pytest.fixture
def sent(settings_for) -> Iterator[tuple[Settings, dict[str, str]]]:
    """Issue 2026-11 sent over SMTP to three addresses; the https unsubscribe URL of each."""
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    with ScriptedServer() as server:
        pipeline.send(with_smtp(settings, server.port), ISSUE_ID)
    links = {}
    for _, raw in server.messages:
        msg = message_from_bytes(raw, policy=policy.default)
        links[msg["To"]] = msg["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    yield settings, links


@pytest.fixture
def endpoint(sent) -> Iterator[str]:
    settings, _ = sent
    with running(settings) as origin:
        yield origin


def local(endpoint: str, link: str) -> str:
    """The mail's https link, pointed at the loopback server (as a reverse proxy would)."""
    parts = urlsplit(link)
    return f"{endpoint}{parts.path}?{parts.query}"


def contact_status(settings: Settings, email: str) -> str:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute("SELECT status FROM contacts WHERE email = $e", {"e": email}).fetchall()[
            0
        ][0]


def test_get_shows_a_japanese_confirmation_and_changes_nothing(sent, endpoint) -> None:
    settings, links = sent
    response = httpx.get(local(endpoint, links[WHO]))
    assert response.status_code == 200
    assert "メールマガジンの配信停止" in response.text
    assert f"{WHO} 宛てのメールマガジンの配信を停止しますか。" in response.text
    assert '<form method="post"' in response.text
    assert contact_status(settings, WHO) == "subscribed"


def test_forged_or_altered_tokens_get_400_or_403_and_change_nothing(sent, endpoint) -> None:
    settings, links = sent
    url = local(endpoint, links[WHO])
    token = parse_qs(urlsplit(url).query)["t"][0]
    other = parse_qs(urlsplit(links["renkei@member00.example.jp"]).query)["t"][0]
    spliced = token.split(".")[0] + "." + other.split(".")[1]
    base = url.split("?")[0]
    one_click = {"List-Unsubscribe": "One-Click"}
    assert httpx.post(f"{base}?t={flip(token, 3)}", data=one_click).status_code == 403
    assert httpx.post(f"{base}?t={spliced}", data=one_click).status_code == 403
    assert httpx.get(f"{base}?t={flip(token, len(token) - 2)}").status_code == 403
    assert httpx.post(f"{base}?t=garbage", data=one_click).status_code == 400
    assert httpx.post(base, data=one_click).status_code == 400
    assert "配信停止のリンクが正しくありません" in httpx.get(f"{base}?t=x.y").text
    assert {contact_status(settings, a) for a in links} == {"subscribed"}


def test_one_click_post_unsubscribes_and_the_next_issue_skips_the_address(sent, endpoint) -> None:
    settings, links = sent
    response = httpx.post(
        local(endpoint, links[WHO]),
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert "配信を停止しました" in response.text
    assert contact_status(settings, WHO) == "unsubscribed"
    with open_warehouse(settings.warehouse, read_only=True) as con:
        audit = con.execute(
            "SELECT actor, action, subject, detail FROM audit_log WHERE action = 'unsubscribe'"
        ).fetchall()
    assert audit == [(WHO, "unsubscribe", ISSUE_ID, '{"via": "one-click"}')]

    approve_issue_next(settings)
    with ScriptedServer() as server:
        report = pipeline.send(with_smtp(settings, server.port), "2026-12")
    assert report.summary() == "issue 2026-12: 2 sent, 0 already had it, 0 failed"
    assert sorted(r[0] for r, _ in server.messages) == [
        "renkei@member00.example.jp",
        "tanaka@member00.example.jp",
    ]
    assert WHO not in delivery_rows(settings, "2026-12")


def approve_issue_next(settings: Settings) -> None:
    with open_warehouse(settings.warehouse) as con:
        con.execute(
            "INSERT INTO newsletter_issues SELECT * REPLACE ('2026-12' AS issue_id, 2 AS number)"
            " FROM newsletter_issues WHERE issue_id = '2026-11'"
        )
        con.execute("UPDATE newsletter_issues SET status = 'approved' WHERE issue_id = '2026-12'")


def test_cli_applies_a_valid_token_and_refuses_a_forged_one(sent, workdir) -> None:
    settings, links = sent
    token = parse_qs(urlsplit(links[WHO]).query)["t"][0]
    forged = renkei_cli("unsubscribe", flip(token, 2), cwd=workdir)
    assert forged.returncode == 1
    assert forged.stderr.strip() == (
        "error: unsubscribe token: signature does not match (altered or forged)"
    )
    assert contact_status(settings, WHO) == "subscribed"
    done = renkei_cli("unsubscribe", token, cwd=workdir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"unsubscribed {WHO} (issue {ISSUE_ID})"
    assert contact_status(settings, WHO) == "unsubscribed"


HOLD = """
import sys, time
from pathlib import Path
from warehouse.connection import open_warehouse
with open_warehouse(Path(sys.argv[1]), stage="send_newsletter"):
    print("held", flush=True)
    time.sleep(60)
"""


def test_an_unsubscribe_while_a_send_holds_the_warehouse_is_kept_and_applied(sent) -> None:
    settings, links = sent
    token = parse_qs(urlsplit(links[WHO]).query)["t"][0]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(settings.warehouse)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        item = apply_unsubscribe(settings, token, via="one-click", wait_seconds=0.2)
    finally:
        holder.kill()
        holder.wait()
    assert item.email == WHO
    assert pending_path(settings).read_text(encoding="utf-8").count(WHO) == 1
    approve_issue_next(settings)
    with ScriptedServer() as server:
        pipeline.send(with_smtp(settings, server.port), "2026-12")
    assert WHO not in [r[0] for r, _ in server.messages]
    assert contact_status(settings, WHO) == "unsubscribed"
    assert not pending_path(settings).exists()


@pytest.mark.parametrize("command", ["serve", "unsubscribe-server"])  # the earlier name too
def test_renkei_serve_answers_the_confirmation_page_and_404_elsewhere(
    sent, workdir, command: str
) -> None:
    _, links = sent
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "renkei", command, "--port", str(port), "-c", "renkei.toml"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        origin = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                response = httpx.get(local(origin, links[WHO]))
                break
            except httpx.ConnectError:
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.05)
        assert response.status_code == 200
        assert f"{WHO} 宛てのメールマガジンの配信を停止しますか。" in response.text
        missing = httpx.get(f"{origin}/elsewhere")
        assert missing.status_code == 404 and "ページが見つかりません" in missing.text
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
