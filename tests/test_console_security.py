"""The console's locks, on a real server: sessions, CSRF, roles, lockout, cookies."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from console_support import (
    ISSUE,
    PASSWORDS,
    console_at,
    console_folder,
    csrf_of,
    signed_in_client,
)

from renkei.console.sessions import Session, SessionCodec
from renkei.core.settings import ConsoleSettings, load_settings
from renkei.core.staff import LoginRefused, authenticate
from warehouse.connection import open_warehouse


@pytest.fixture
def config(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return console_folder(tmp_path_factory, tmp_path / "w")


@pytest.mark.parametrize("path", ["/", "/issues", "/feeds", "/audit", "/users", "/contacts"])
def test_pages_redirect_to_login_without_a_session(config: Path, path: str) -> None:
    with console_at(config) as (base, _):
        reply = httpx.get(base + path, follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/login?next=")


def test_a_forged_cookie_is_no_session(config: Path) -> None:
    with console_at(config) as (base, _):
        reply = httpx.get(base + "/", cookies={"renkei_console": "x.y.z"}, follow_redirects=False)
    assert reply.status_code == 303


def test_the_session_cookie_is_httponly_and_samesite_and_secure_behind_https(
    config: Path,
) -> None:
    with console_at(config) as (base, _):
        plain = httpx.post(
            base + "/login", data={"login": "henshu", "password": PASSWORDS["henshu"][2]}
        )
        proxied = httpx.post(
            base + "/login",
            data={"login": "henshu", "password": PASSWORDS["henshu"][2]},
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
        )
    cookie = plain.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert "secure" in proxied.headers["set-cookie"].lower()


def test_the_remote_address_from_the_trusted_proxy_is_audited(config: Path) -> None:
    with console_at(config) as (base, settings):
        httpx.post(
            base + "/login",
            data={"login": "henshu", "password": PASSWORDS["henshu"][2]},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    with open_warehouse(settings.warehouse, read_only=True) as con:
        detail = con.execute(
            "SELECT detail FROM audit_log WHERE action = 'login' ORDER BY audit_id DESC LIMIT 1"
        ).fetchone()
    assert detail is not None
    assert '"remote": "203.0.113.7"' in detail[0] and '"via": "console"' in detail[0]


def test_a_post_without_the_csrf_token_is_refused(config: Path) -> None:
    with console_at(config) as (base, _):
        admin = signed_in_client(base, "kanri")
        form = {"login": "neko", "name": "猫", "role": "editor", "password": "neko-password-1"}
        refused = admin.post("/users", data=form)
        wrong = admin.post("/users", data={**form, "csrf": "not-the-token"})
        listed = admin.get("/users").text
        good = admin.post("/users", data={**form, "csrf": csrf_of(admin.get("/users").text)})
        listed_after = admin.get("/users").text
    assert refused.status_code == 403 and "送信を受け付けませんでした" in refused.text
    assert wrong.status_code == 403
    assert "neko" not in listed
    assert good.status_code == 303 and ">neko<" in listed_after


def test_an_editor_cannot_use_admin_pages_or_actions(config: Path) -> None:
    with console_at(config) as (base, _):
        editor = signed_in_client(base, "henshu")
        page = editor.get("/users")
        token = csrf_of(editor.get("/").text)
        action = editor.post("/users/shonin", data={"csrf": token, "do": "disable"})
        admin = signed_in_client(base, "kanri")
        users = admin.get("/users").text
    assert page.status_code == 403 and "この操作の権限がありません" in page.text
    assert action.status_code == 403
    assert "停止中" not in users


def test_the_sixth_wrong_password_locks_the_account(config: Path) -> None:
    settings = load_settings(config)
    now = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    for _ in range(5):
        with pytest.raises(LoginRefused, match="ログイン名またはパスワードが違います"):
            authenticate(settings, "henshu", "wrong-password", now=now)
    with pytest.raises(LoginRefused, match="ロックされています"):
        authenticate(settings, "henshu", "wrong-password", now=now)
    with pytest.raises(LoginRefused, match="ロックされています"):  # even the right one
        authenticate(settings, "henshu", PASSWORDS["henshu"][2], now=now + timedelta(minutes=14))
    later = now + timedelta(minutes=settings.console.lockout_minutes, seconds=1)
    assert authenticate(settings, "henshu", PASSWORDS["henshu"][2], now=later).login == "henshu"


def test_the_lockout_is_shown_on_the_login_page(config: Path) -> None:
    with console_at(config) as (base, _):
        replies = [
            httpx.post(base + "/login", data={"login": "shonin", "password": f"wrong-{i}"})
            for i in range(6)
        ]
        right = httpx.post(
            base + "/login", data={"login": "shonin", "password": PASSWORDS["shonin"][2]}
        )
    assert [r.status_code for r in replies] == [401] * 6
    assert "ロックされています" not in replies[4].text
    assert "ロックされています" in replies[5].text
    assert right.status_code == 401 and "ロックされています" in right.text


def test_an_unknown_login_gets_the_same_answer_as_a_wrong_password(config: Path) -> None:
    with console_at(config) as (base, _):
        unknown = httpx.post(base + "/login", data={"login": "nobody", "password": "x" * 12})
        wrong = httpx.post(base + "/login", data={"login": "henshu", "password": "x" * 12})
    assert unknown.status_code == wrong.status_code == 401
    assert "ログイン名またはパスワードが違います" in unknown.text
    assert "ログイン名またはパスワードが違います" in wrong.text


def test_a_disabled_account_loses_its_session(config: Path) -> None:
    with console_at(config) as (base, _):
        editor = signed_in_client(base, "henshu")
        assert editor.get("/").status_code == 200
        admin = signed_in_client(base, "kanri")
        token = csrf_of(admin.get("/users").text)
        assert admin.post("/users/henshu", data={"csrf": token, "do": "disable"}).status_code == 303
        after = editor.get("/")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_sessions_end_after_the_idle_and_the_absolute_timeout() -> None:
    clock = [1_000_000.0]
    codec = SessionCodec(
        "k" * 40, ConsoleSettings(idle_minutes=30, absolute_hours=12), clock=lambda: clock[0]
    )
    cookie = codec.dumps(codec.new("henshu", "編集 花子", "editor"))
    clock[0] += 29 * 60
    session = codec.loads(cookie)
    assert isinstance(session, Session)
    cookie = codec.dumps(codec.renewed(session))  # a request renews the idle clock
    clock[0] += 29 * 60
    assert codec.loads(cookie) is not None
    clock[0] += 31 * 60
    assert codec.loads(cookie) is None  # idle
    fresh = [codec.new("henshu", "編集 花子", "editor")]
    for _ in range(25):  # busy all day: still ends 12 hours after sign-in
        clock[0] += 29 * 60
        fresh.append(codec.renewed(fresh[-1]))
    assert codec.loads(codec.dumps(fresh[-1])) is None


def test_errors_are_japanese_pages_without_a_traceback(config: Path) -> None:
    with console_at(config) as (base, _):
        editor = signed_in_client(base, "henshu")
        missing = editor.get("/no/such/page")
    assert missing.status_code == 404 and "ページが見つかりません" in missing.text
    assert "Traceback" not in missing.text


def test_the_login_redirect_never_leaves_the_site(config: Path) -> None:
    with console_at(config) as (base, _):
        reply = httpx.post(
            base + "/login",
            data={"login": "henshu", "next": "//evil.example/", "password": PASSWORDS["henshu"][2]},
        )
    assert reply.headers["location"] == "/"


def _first_item(html: str) -> str:
    found = re.search(r'data-activity="([^"]+)"', html)
    assert found
    return found.group(1)


def _hash(html: str) -> str:
    found = re.search(r'name="content_sha256" value="([0-9a-f]{64})"', html)
    assert found, "no approve form on the page"
    return found.group(1)


def test_an_approval_posted_with_an_old_hash_is_refused(config: Path) -> None:
    with console_at(config) as (base, settings):
        approver = signed_in_client(base, "shonin")
        seen = approver.get(f"/issues/{ISSUE}").text  # the approver's page, then a change
        editor = signed_in_client(base, "henshu")
        page = editor.get(f"/issues/{ISSUE}").text
        edited = editor.post(
            f"/issues/{ISSUE}/items/{_first_item(page)}", data={"csrf": csrf_of(page), "do": "drop"}
        )
        stale = approver.post(
            f"/issues/{ISSUE}/approve", data={"csrf": csrf_of(seen), "content_sha256": _hash(seen)}
        )
        shown = approver.get(stale.headers["location"]).text
    assert edited.status_code == 303
    assert stale.status_code == 303
    assert "承認していません" in shown
    with open_warehouse(settings.warehouse, read_only=True) as con:
        status = con.execute(
            "SELECT status FROM newsletter_issues WHERE issue_id = ?", [ISSUE]
        ).fetchall()
    assert status == [("draft",)]


def test_an_editors_approval_is_refused_on_the_server(config: Path) -> None:
    with console_at(config) as (base, settings):
        editor = signed_in_client(base, "henshu")
        page = editor.get(f"/issues/{ISSUE}").text
        digest = re.search(r'id="content-hash"[^>]*>([0-9a-f]{12})', page)
        reply = editor.post(
            f"/issues/{ISSUE}/approve", data={"csrf": csrf_of(page), "content_sha256": "0" * 64}
        )
    assert digest and "この内容で承認する" not in page
    assert reply.status_code == 403
    with open_warehouse(settings.warehouse, read_only=True) as con:
        approvals = con.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'approve'"
        ).fetchall()
    assert approvals == [(0,)]


def test_the_last_editor_cannot_approve_but_another_approver_can(config: Path) -> None:
    with console_at(config) as (base, settings):
        first = signed_in_client(base, "shonin")
        page = first.get(f"/issues/{ISSUE}").text
        first.post(
            f"/issues/{ISSUE}/items/{_first_item(page)}", data={"csrf": csrf_of(page), "do": "pin"}
        )
        after = first.get(f"/issues/{ISSUE}").text
        with open_warehouse(settings.warehouse, read_only=True) as con:
            (digest,) = con.execute("SELECT content_sha256 FROM newsletter_issues").fetchone() or (
                "",
            )
        forced = first.post(
            f"/issues/{ISSUE}/approve", data={"csrf": csrf_of(after), "content_sha256": digest}
        )
        refused = first.get(forced.headers["location"]).text
        admin = signed_in_client(base, "kanri")
        seen = admin.get(f"/issues/{ISSUE}").text
        approved = admin.post(
            f"/issues/{ISSUE}/approve", data={"csrf": csrf_of(seen), "content_sha256": _hash(seen)}
        )
    assert "ダブルチェックのため、編集していない別の承認者が承認します" in after
    assert 'name="content_sha256"' not in after
    assert "最後に編集した人（承認 太郎（shonin））は承認できません" in refused
    assert approved.headers["location"] == f"/issues/{ISSUE}/delivery"


def test_the_audit_page_reads_in_japanese(config: Path) -> None:
    """Details and origins as the secretariat reads them: no key=value, no role codes, no
    English origin."""
    with console_at(config) as (base, _):
        admin = signed_in_client(base, "kanri")
        form = {"login": "neko", "name": "猫", "role": "editor", "password": "neko-password-1",
                "csrf": csrf_of(admin.get("/users").text)}  # fmt: skip
        assert admin.post("/users", data=form).status_code == 303
        page = admin.get("/audit").text
    assert "氏名：猫、役割：編集者" in page
    assert ">コンソール 127.0.0.1<" in page
    assert "role=editor" not in page and "name=猫" not in page and ">console " not in page
