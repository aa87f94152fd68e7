"""The member portal's 掲載内容, 配信設定 and フィード pages and the console's 会員からの依頼,
on real parts: the console served by uvicorn, a real DuckDB file, sign-in by the outbox mail.
A member asks, the secretariat acts: nothing a member sends changes published data."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_support import console_at, console_folder, csrf_of, signed_in_client
from test_portal import CONTACT, MEMBER, portal_client

from warehouse.connection import open_warehouse

HIROSHIMA_U = "sangaku@hiroshima-u.example.jp"
HIROSHIMA_U_OTHER = "kenkyu-suishin@hiroshima-u.example.jp"
OKAYAMA_PREF = "sangyo-shinko@pref.okayama.example.jp"
EDITOR = "編集 花子（henshu）"
TITLE = "創業塾2026（全4回）"


@pytest.fixture
def config(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return console_folder(tmp_path_factory, tmp_path / "w")


def query(config: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with open_warehouse(config.parent / "renkei.duckdb", read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def change(config: Path, sql: str, *params: Any) -> None:
    with open_warehouse(config.parent / "renkei.duckdb") as con:
        con.execute(sql, list(params))


def contact_row(config: Path, email: str = CONTACT) -> tuple[Any, ...]:
    rows = query(config, "SELECT status, language, interests FROM contacts WHERE email = ?", email)
    assert len(rows) == 1
    return rows[0]


def audited(config: Path, actor: str, *actions: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = query(
        config,
        "SELECT action, subject, detail FROM audit_log WHERE actor = ? ORDER BY logged_at",
        actor,
    )
    return [(a, s, json.loads(d)) for a, s, d in rows if a in actions]


def activity_of(config: Path, member_id: str, title: str | None = None) -> str:
    rows = query(
        config,
        "SELECT activity_id FROM activities WHERE member_id = ? AND (? IS NULL OR title = ?)"
        " ORDER BY activity_id LIMIT 1",
        member_id, title, title,
    )  # fmt: skip
    assert rows
    return str(rows[0][0])


def requests_rows(config: Path) -> list[tuple[Any, ...]]:
    return query(
        config,
        "SELECT id, member_id, email, kind, activity_id, message, colleague_email,"
        " colleague_name, status, handled_by, note FROM member_requests ORDER BY id",
    )


def test_settings_save_stop_and_resume_change_the_contact_and_are_audited(config: Path) -> None:
    assert contact_row(config) == ("subscribed", "ja", "")
    with console_at(config) as (base, settings):
        client = portal_client(base, settings)
        first = client.get("/portal/settings")
        token = csrf_of(first.text)
        saved = client.post("/portal/settings", data={
            "csrf": token, "do": "save", "language": "en", "sector": ["academia", "government"],
            "prefecture": ["広島県", "北海道", "どこか"], "category": ["event"],
        })  # fmt: skip
        after_save = client.get(saved.headers["location"])
        row_saved = contact_row(config)
        stopped = client.post("/portal/settings", data={"csrf": token, "do": "stop"})
        after_stop = client.get(stopped.headers["location"])
        row_stopped = contact_row(config)
        resumed = client.post("/portal/settings", data={"csrf": token, "do": "resume"})
        row_resumed = contact_row(config)
    assert first.status_code == 200 and "配信中" in first.text
    assert "<span>岡山県商工会議所連合会</span>" in first.text
    interests = ",".join(["category:event", "prefecture:北海道", "prefecture:広島県",
                          "sector:academia", "sector:government"])  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"] == "/portal/settings?done=saved"
    assert row_saved == ("subscribed", "en", interests)
    assert "配信設定を保存しました" in after_save.text
    assert 'value="academia" checked' in after_save.text
    assert 'value="industry" >' in after_save.text
    assert 'value="北海道" checked' in after_save.text
    assert '<option value="en" selected>' in after_save.text
    assert stopped.headers["location"] == "/portal/settings?done=stopped"
    assert row_stopped == ("unsubscribed", "en", interests)
    assert "配信を停止しています" in after_stop.text and 'value="resume"' in after_stop.text
    assert resumed.headers["location"] == "/portal/settings?done=resumed"
    assert row_resumed == ("subscribed", "en", interests)
    entries = audited(config, CONTACT, "contact_edit", "unsubscribe", "subscribe")
    assert [(a, s) for a, s, _ in entries] == [
        ("contact_edit", CONTACT), ("unsubscribe", CONTACT), ("subscribe", CONTACT),
    ]  # fmt: skip
    assert [d["via"] for _, _, d in entries] == ["portal"] * 3
    assert entries[0][2]["interests"] == interests and entries[0][2]["language"] == "en"
    assert entries[1][2]["reason"] == "本人がポータルで停止"
    assert entries[2][2]["member_id"] == MEMBER


def test_a_correction_is_stored_listed_in_the_console_and_marked_done_by_an_editor(
    config: Path,
) -> None:
    activity = activity_of(config, MEMBER, TITLE)
    with console_at(config) as (base, settings):
        client = portal_client(base, settings)
        listing = client.get("/portal/activities")
        sent = client.post("/portal/requests", data={
            "csrf": csrf_of(listing.text), "kind": "correction", "activity_id": activity,
            "message": "  第2回の会場が\n 岡山商工会議所  に変わりました ",
        })  # fmt: skip
        after = client.get(sent.headers["location"])
        editor = signed_in_client(base, "henshu")
        console_page = editor.get("/requests")
        done = editor.post("/requests/1/done", data={
            "csrf": csrf_of(console_page.text), "note": "会場を直しました",
        })  # fmt: skip
        after_done = editor.get(done.headers["location"])
        again = editor.post("/requests/1/done", data={"csrf": csrf_of(console_page.text)})
        console_after = editor.get("/requests")
        member_after = client.get("/portal/activities")
    assert listing.status_code == 200
    assert listing.text.count('class="file activity"') == 4 and TITLE in listing.text
    assert "イベント・セミナー" in listing.text and "報告ファイル" in listing.text
    assert sent.status_code == 303 and sent.headers["location"] == "/portal/activities?sent=1"
    assert "事務局に依頼を送りました" in after.text
    message = "第2回の会場が\n岡山商工会議所 に変わりました"
    assert requests_rows(config) == [
        (1, MEMBER, CONTACT, "correction", activity, message, None, None, "done", EDITOR,
         "会場を直しました"),
    ]  # fmt: skip
    assert console_page.status_code == 200
    row = console_page.text.split('id="request-1"', 1)[1].split("</tr>", 1)[0]
    assert "未対応" in row and "岡山県商工会議所連合会（ind-04）" in row and CONTACT in row
    assert '<td data-label="種類" class="kind">訂正</td>' in row and TITLE in row
    assert "第2回の会場が\n岡山商工会議所 に変わりました" in row
    assert done.status_code == 303 and done.headers["location"] == "/requests"
    assert again.status_code == 303  # already done: said on the page, nothing changes
    assert "対応済み" in console_after.text and EDITOR in console_after.text
    assert "事務局から：会場を直しました" in member_after.text
    assert [(a, s, d["kind"], d["activity_id"], d["via"])
            for a, s, d in audited(config, CONTACT, "member_request")] == [
        ("member_request", "request:1", "correction", activity, "portal"),
    ]  # fmt: skip
    assert [(a, s, d["note"], d["via"])
            for a, s, d in audited(config, EDITOR, "member_request_done")] == [
        ("member_request_done", "request:1", "会場を直しました", "console"),
    ]  # fmt: skip
    # the contact who asked is told by mail, once, and the console says so
    assert f"依頼者（{CONTACT}）にメールでお知らせしました" in after_done.text
    assert [(a, s, d["to"]) for a, s, d in audited(config, EDITOR, "member_request_answered")] == [
        ("member_request_answered", "request:1", CONTACT),
    ]  # fmt: skip
    mails = list((settings.mail.outbox / "member-requests" / "1-done").glob("*.eml"))
    assert len(mails) == 1
    mail = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
    assert mail["To"] == CONTACT
    assert mail["Subject"] == "【ご連絡】ご依頼（訂正）に対応しました（依頼番号 1）"
    body = mail.get_body().get_content()
    assert body.startswith(
        "岡山県商工会議所連合会\nご担当者様\n\n"
        "事務局です。会員ポータルからお寄せいただいたご依頼（依頼番号 1）に対応しました。\n\n"
        f"■ 種類：訂正\n■ 対象の活動：{TITLE}\n■ ご依頼の内容：\n{message}\n\n"
        "■ 事務局から：\n会場を直しました\n\n"
        "掲載の状態は会員ポータルの「掲載内容」でご確認いただけます。"
        "オープンデータへの反映は次回の公開時になります。\n"
    )


def test_a_request_for_another_members_activity_or_without_a_message_is_refused(
    config: Path,
) -> None:
    foreign = activity_of(config, "aca-13")
    own = activity_of(config, MEMBER, TITLE)
    with console_at(config) as (base, settings):
        client = portal_client(base, settings)
        token = csrf_of(client.get("/portal/activities").text)
        other = client.post("/portal/requests", data={
            "csrf": token, "kind": "withdrawal", "activity_id": foreign, "message": "取り下げて",
        })  # fmt: skip
        empty = client.post("/portal/requests", data={
            "csrf": token, "kind": "withdrawal", "activity_id": own, "message": "  ",
        })  # fmt: skip
        unknown = client.post("/portal/requests", data={
            "csrf": token, "kind": "delete", "activity_id": own, "message": "消して",
        })  # fmt: skip
    assert other.status_code == 400 and "この活動への依頼は受け付けられません" in other.text
    assert empty.status_code == 400 and "依頼の内容を書いてください" in empty.text
    assert unknown.status_code == 400 and "依頼の種類が分かりません" in unknown.text
    assert requests_rows(config) == []
    assert audited(config, CONTACT, "member_request") == []


def test_a_colleague_is_a_request_the_secretariat_confirms(config: Path) -> None:
    with console_at(config) as (base, settings):
        client = portal_client(base, settings, HIROSHIMA_U)
        page = client.get("/portal/settings")
        sent = client.post("/portal/requests", data={
            "csrf": csrf_of(page.text), "kind": "colleague", "colleague_name": "広島 一郎",
            "colleague_email": "Ichiro@Hiroshima-U.example.jp", "message": "",
        })  # fmt: skip
        bad = client.post("/portal/requests", data={
            "csrf": csrf_of(page.text), "kind": "colleague", "colleague_name": "名無し",
            "colleague_email": "not-an-address",
        })  # fmt: skip
        listed = signed_in_client(base, "shonin").get("/requests")
    assert f"<li>{HIROSHIMA_U_OTHER}</li>" in page.text
    assert f"<li>{HIROSHIMA_U}</li>" not in page.text
    assert sent.status_code == 303 and sent.headers["location"] == "/portal/settings?sent=1"
    assert bad.status_code == 400 and "追加する方のメールアドレスを確かめてください" in bad.text
    assert requests_rows(config) == [
        (1, "aca-13", HIROSHIMA_U, "colleague", None, "", "ichiro@hiroshima-u.example.jp",
         "広島 一郎", "open", None, None),
    ]  # fmt: skip
    assert query(config, "SELECT count(*) FROM contacts WHERE email LIKE 'ichiro@%'") == [(0,)]
    assert "同僚の追加" in listed.text
    assert "広島 一郎 &lt;ichiro@hiroshima-u.example.jp&gt;" in listed.text


def test_the_feed_page_says_the_members_feed_state_in_japanese(config: Path) -> None:
    change(config, "UPDATE feed_state SET last_attempt_at = now(), consecutive_failures = 3,"
           " last_error = 'HTTP 503 Service Unavailable' WHERE member_id = 'aca-13'")  # fmt: skip
    change(config, "UPDATE feed_state SET disabled_at = now(), disabled_reason = '410 Gone'"
           " WHERE member_id = 'gov-03'")  # fmt: skip
    with console_at(config) as (base, settings):
        none = portal_client(base, settings).get("/portal/feed")
        failing = portal_client(base, settings, HIROSHIMA_U).get("/portal/feed")
        disabled = portal_client(base, settings, OKAYAMA_PREF).get("/portal/feed")
    assert none.status_code == 200
    assert "フィードがありません（報告ファイルでご提出ください）" in none.text
    assert "取得できていません" in failing.text
    assert (
        "直近の取得に失敗しています（HTTP 503 Service Unavailable）。フィードのURLが変わって"
        "いないか、サーバーが止まっていないかご確認ください"
    ) in failing.text
    assert "<dt>続けて失敗した回数</dt><dd>3回</dd>" in failing.text
    assert "取得を止めています" in disabled.text
    assert (
        "フィードが廃止されたと返されたため取得を止めています。新しいURLを事務局にお知らせください"
        in disabled.text
    )
    assert "<dd>410 Gone</dd>" in disabled.text


def test_pages_need_a_portal_session_and_every_post_its_csrf_token(config: Path) -> None:
    own = activity_of(config, MEMBER, TITLE)
    with console_at(config) as (base, settings):
        anonymous = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
        gets = [anonymous.get(p) for p in ("/portal/activities", "/portal/settings",
                                           "/portal/feed")]  # fmt: skip
        anonymous_post = anonymous.post("/portal/requests", data={"kind": "correction"})
        client = portal_client(base, settings)
        no_token = [
            client.post("/portal/requests", data={
                "kind": "correction", "activity_id": own, "message": "直して"}),
            client.post("/portal/settings", data={"do": "stop"}),
            client.post("/portal/settings", data={"do": "save", "language": "en",
                                                  "csrf": "wrong"}),
        ]  # fmt: skip
        editor = signed_in_client(base, "henshu")
        console_no_token = editor.post("/requests/1/done", data={"note": "x"})
        console_anonymous = anonymous.get("/requests")
    assert [(r.status_code, r.headers["location"]) for r in gets] == [(303, "/portal/")] * 3
    assert (anonymous_post.status_code, anonymous_post.headers["location"]) == (303, "/portal/")
    assert [r.status_code for r in no_token] == [403, 403, 403]
    assert console_no_token.status_code == 403
    assert console_anonymous.status_code == 303
    assert console_anonymous.headers["location"].startswith("/login?next=")
    assert contact_row(config) == ("subscribed", "ja", "")
    assert requests_rows(config) == []


def test_a_handled_request_whose_mail_is_refused_stays_done_and_says_to_write_by_hand(
    config: Path,
) -> None:
    """The mail server does not answer (a closed port on 127.0.0.1): the request is done
    (the secretariat's act), no "answered" is recorded, and the message says what to do."""
    import socket

    from renkei.collaboration.request_answers import answer_request
    from renkei.core.settings import load_settings
    from renkei.submissions.member_requests import file_request

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings = load_settings(config)
    settings = settings.model_copy(update={"mail": settings.mail.model_copy(update={
        "transport": "smtp", "smtp_host": "127.0.0.1", "smtp_port": closed,
        "smtp_security": "none"})})  # fmt: skip
    activity = activity_of(config, MEMBER, TITLE)
    number = file_request(settings, MEMBER, CONTACT, "withdrawal", "中止になりました",
                          activity_id=activity)  # fmt: skip

    said = answer_request(settings, number, by=EDITOR, note="取り下げました")

    assert said == (
        f"依頼 {number}（取り下げ）を対応済みにしました。ただし、依頼者（{CONTACT}）への"
        "お知らせメールは送れませんでした（メールサーバーに接続できませんでした）。"
        "お手数ですが直接ご連絡ください"
    )
    assert query(config, "SELECT status FROM member_requests WHERE id = ?", number) == [("done",)]
    assert audited(config, EDITOR, "member_request_answered") == []
    failed = audited(config, EDITOR, "member_request_answer_failed")
    assert [(a, s, d["to"]) for a, s, d in failed] == [
        ("member_request_answer_failed", f"request:{number}", CONTACT)
    ]
    # the audit page's line for it, in Japanese
    from renkei.console.admin import ACTION_JA, describe

    line = describe("member_request_answer_failed", failed[0][2])
    assert ACTION_JA["member_request_answer_failed"] == "依頼者への連絡の失敗"
    assert line == f"宛先：{CONTACT}、理由：メールサーバーに接続できませんでした"


def test_a_handled_request_whose_mail_reply_is_lost_is_said_to_be_unknown(
    config: Path, tmp_path: Path
) -> None:
    """The server takes the whole mail and hangs up without a reply to the final ".": it may
    have it. Neither "answered" nor "failed" is recorded; the console says it is not known."""
    from fault_smtp import FaultServer

    from renkei.collaboration.request_answers import answer_request
    from renkei.console.admin import ACTION_JA
    from renkei.core.settings import load_settings
    from renkei.submissions.member_requests import file_request

    with FaultServer({CONTACT: ["drop-after-body-kept"]}, tmp_path / "smtp.jsonl") as server:
        settings = load_settings(config)
        settings = settings.model_copy(update={"mail": settings.mail.model_copy(update={
            "transport": "smtp", "smtp_host": "127.0.0.1", "smtp_port": server.port,
            "smtp_security": "none"})})  # fmt: skip
        activity = activity_of(config, MEMBER, TITLE)
        number = file_request(settings, MEMBER, CONTACT, "withdrawal", "中止になりました",
                              activity_id=activity)  # fmt: skip
        said = answer_request(settings, number, by=EDITOR, note="取り下げました")

    assert said == (
        f"依頼 {number}（取り下げ）を対応済みにしました。ただし、依頼者（{CONTACT}）への"
        "お知らせメールは、送信の最後にメールサーバーの応答が途絶えたため、届いたかどうか"
        "分かりません。念のため直接ご連絡ください"
    )
    assert query(config, "SELECT status FROM member_requests WHERE id = ?", number) == [("done",)]
    assert audited(config, EDITOR, "member_request_answered") == []
    assert audited(config, EDITOR, "member_request_answer_failed") == []
    unknown = audited(config, EDITOR, "member_request_answer_unknown")
    assert [(s, d["to"]) for _, s, d in unknown] == [(f"request:{number}", CONTACT)]
    assert ACTION_JA["member_request_answer_unknown"] == "依頼者への連絡（届いたか不明）"


def test_the_answer_to_a_colleague_request_names_the_colleague_and_the_settings_page(
    config: Path,
) -> None:
    from renkei.collaboration.mails import send_request_answer
    from renkei.core.settings import load_settings

    settings = load_settings(config)
    row = {"id": 7, "kind": "colleague", "member_id": MEMBER,
           "member_name": "岡山県商工会議所連合会", "email": CONTACT, "message": "",
           "colleague_name": "山田 一郎",
           "colleague_email": "yamada@okayama-cci.example.jp", "activity_title": None,
           "note": None}  # fmt: skip

    assert send_request_answer(settings, row) == [CONTACT]

    (sent,) = (settings.mail.outbox / "member-requests" / "7-done").glob("*.eml")
    mail = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    assert mail["Subject"] == "【ご連絡】ご依頼（同僚の追加）に対応しました（依頼番号 7）"
    body = mail.get_body().get_content()
    assert body.startswith(
        "岡山県商工会議所連合会\nご担当者様\n\n"
        "事務局です。会員ポータルからお寄せいただいたご依頼（依頼番号 7）に対応しました。\n\n"
        "■ 種類：同僚の追加\n■ 追加する方：山田 一郎（yamada@okayama-cci.example.jp）\n"
        "■ ご依頼の内容：\n（記載なし）\n\n"
        "配信先は会員ポータルの「配信設定」でご確認いただけます。\n\n--\n"
    )
