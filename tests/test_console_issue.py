"""The issue page tells the editor what the draft does not say by itself: a send date that
has passed, a rejection and its reason, what the section cap pushed out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from console_support import ISSUE, console_at, console_folder, csrf_of, signed_in_client

from renkei.console.issues import side_effects


@pytest.fixture
def config(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return console_folder(tmp_path_factory, tmp_path / "w")


def test_a_passed_send_date_is_said_and_the_draft_can_be_made_for_today(config: Path) -> None:
    with console_at(config) as (base, _):
        editor = signed_in_client(base, "henshu")
        page = editor.get(f"/issues/{ISSUE}").text
        today = re.search(r'name="as_of" value="(\d{4}-\d\d-\d\d)"', page)
        assert today
        redone = editor.post(
            f"/issues/{ISSUE}/redraft", data={"csrf": csrf_of(page), "as_of": today.group(1)}
        )
        after = editor.get(redone.headers["location"]).text
        past = editor.post(
            f"/issues/{ISSUE}/redraft", data={"csrf": csrf_of(page), "as_of": "2026-11-01"}
        )
        refused = editor.get(past.headers["location"]).text
    assert "送信予定日（2026年11月25日（水））を過ぎています。" in page
    assert re.search(r"の時点で、次の \d+ 件は締切や開催日が過ぎています", page)  # named
    assert re.search(r"<li>[^<]+：(終了済み|締切済み)（\d+月\d+日(終了|締切)）</li>", page)
    assert "向けに作り直しました" in after and "を過ぎています。" not in after
    assert "送信予定日に過去の日は選べません" in refused


def test_a_rejection_and_its_reason_stand_at_the_top_for_the_editor(config: Path) -> None:
    with console_at(config) as (base, _):
        approver = signed_in_client(base, "shonin")
        page = approver.get(f"/issues/{ISSUE}").text
        approver.post(
            f"/issues/{ISSUE}/reject",
            data={"csrf": csrf_of(page), "reason": "日程の誤りを直してください"},
        )
        editor = signed_in_client(base, "henshu")
        shown = editor.get(f"/issues/{ISSUE}").text
    assert "差し戻されています</b>（承認 太郎（shonin）" in shown
    assert "日程の誤りを直してください" in shown.split("</h1>", 1)[1].split("<section", 1)[0]


def test_the_editor_is_told_what_the_cap_pushed_out_or_let_in() -> None:
    before = {"a": "セミナーA", "b": "フォーラムB"}
    assert side_effects(before, {"a": "セミナーA", "c": "交流会C"}, "c") == (
        "。欄の上限のため外れた記事：『フォーラムB』"
    )
    assert side_effects(before, {"b": "フォーラムB", "d": "説明会D"}, "a") == (
        "。空いた枠に入った記事：『説明会D』"
    )
    assert side_effects(before, before, "a") == ""


def test_unknown_issues_are_not_found_on_every_page(config: Path) -> None:
    with console_at(config) as (base, _):
        editor = signed_in_client(base, "henshu")
        replies = [editor.get(f"/issues/2099-01{tail}") for tail in ("", "/delivery", "/preview")]
    assert [r.status_code for r in replies] == [404, 404, 404]
    assert all("ページが見つかりません" in r.text for r in replies)


def test_a_bad_login_name_is_explained_on_the_accounts_page(config: Path) -> None:
    with console_at(config) as (base, _):
        admin = signed_in_client(base, "kanri")
        page = admin.get("/users").text
        reply = admin.post(
            "/users",
            data={
                "csrf": csrf_of(page),
                "login": "Yamada Taro",
                "name": "山田 太郎",
                "role": "editor",
                "password": "yamada-password-1",
            },
        )
        shown = admin.get(reply.headers["location"]).text
    assert reply.headers["location"] == "/users"
    assert "追加できませんでした：ログイン名「yamada taro」は使えません" in shown
