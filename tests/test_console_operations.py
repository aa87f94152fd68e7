"""The console's operations pages on real parts: フィード, 提出状況 and receipts, 配信先 with
its previewed CSV import, and 公開データ (hide, unhide, publish now) — who may do what,
what each page lists, and that every change lands in the audit log."""

from __future__ import annotations

import re
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from console_support import console_at, console_folder, csrf_of, signed_in_client

from renkei.console.operations import previous_month
from renkei.core.settings import Settings, load_settings
from renkei.delivery.contacts_admin import imports_dir
from renkei.feeds.schedule import GONE

OKAYAMA_CCI = "info@okayama-cci.example.jp"  # ind-04, from the registry
CIC = "renkei@cic-chugoku.example.jp"  # ind-12, from the registry
HIROSHIMA_SEEDS = "広島大学 技術シーズ発表会2026"
DISABLED = '<span class="badge disabled">停止（410 Gone）</span>'


@pytest.fixture
def config(tmp_path_factory, tmp_path) -> Path:
    return console_folder(tmp_path_factory, tmp_path / "w")


def _disable_feed(config: Path, member_id: str) -> None:
    con = duckdb.connect(str(config.parent / "renkei.duckdb"))
    try:
        con.execute(
            "UPDATE feed_state SET disabled_at = $now, disabled_reason = $reason "
            "WHERE member_id = $member_id",
            {"now": datetime.now(UTC), "reason": GONE, "member_id": member_id},
        )
    finally:
        con.close()


def _contacts(config: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(config.parent / "renkei.duckdb"), read_only=True)
    try:
        rows = con.sql("SELECT email, member_id, status, language, interests FROM contacts")
        return {r[0]: r[1:] for r in rows.fetchall()}
    finally:
        con.close()


def _activity_id(html: str, title: str) -> str:
    found = re.search(r'/activities/([0-9a-f]+)/hide" data-confirm="「' + re.escape(title), html)
    assert found, f"no hide form for {title}"
    return found.group(1)


def _receipt_link(html: str, member_id: str) -> str:
    row = next(r for r in html.split("<tr>") if f'data-label="会員ID">{member_id}<' in r)
    found = re.search(r'href="(/submissions/[0-9a-f]{64}/receipt)"', row)
    assert found, row
    return found.group(1)


def test_every_page_answers_in_japanese_with_the_known_rows(config: Path) -> None:
    with (
        console_at(config) as (base, settings),
        closing(signed_in_client(base, "henshu")) as client,
    ):
        feeds = client.get("/feeds")
        assert feeds.status_code == 200
        assert "ジェトロ広島貿易情報センター" in feeds.text and "gov-28" in feeds.text
        assert '<span class="badge ok">正常</span>' in feeds.text
        assert client.get("/feeds?sort=failures").status_code == 200

        month = client.get("/submissions?period=2026-11")
        assert month.status_code == 200
        assert "提出状況（2026年11月分）" in month.text
        assert "岡山県商工会議所連合会" in month.text and "国立大学法人山口大学" in month.text
        assert "一部要修正" in month.text
        assert 'href="/submissions?period=2026-10"' in month.text
        assert 'href="/submissions?period=2026-12"' in month.text
        default = client.get("/submissions")
        assert default.status_code == 200 and f'value="{previous_month()}"' in default.text
        bad = client.get("/submissions?period=2026-13")
        assert bad.status_code == 303 and bad.headers["location"] == "/submissions"

        receipt = client.get(_receipt_link(month.text, "ind-04"))
        assert receipt.status_code == 200
        assert "【受付結果】2026-11-report.csv" in receipt.text  # the text the member got
        assert "6行目「インボイス制度 実務セミナー」" in receipt.text
        assert "直す必要のある行（2行）" in receipt.text
        assert '<td data-label="理由" class="wrap">件名が空です</td>' in receipt.text
        assert "2026年12月" in receipt.text or "2026年" in receipt.text
        assert client.get(f"/submissions/{'0' * 64}/receipt").status_code == 404
        assert client.get("/submissions/not-a-hash/receipt").status_code == 404

        contacts = client.get("/contacts")
        assert contacts.status_code == 200
        assert OKAYAMA_CCI in contacts.text and CIC in contacts.text
        assert "配信中 11件" in contacts.text
        assert "/contacts/import/preview" not in contacts.text  # admin forms hidden
        one = client.get("/contacts?member=ind-04")
        assert OKAYAMA_CCI in one.text and CIC not in one.text

        icon = client.get("/static/favicon.svg")  # named by every page: no 404 per page
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert '<link rel="icon" href="/static/favicon.svg"' in feeds.text

        dataset = client.get("/dataset")
        assert dataset.status_code == 200
        assert "非公開の活動（0件）" in dataset.text
        assert settings.newsletter.dataset_url in dataset.text
        assert HIROSHIMA_SEEDS in dataset.text
        assert 'action="/dataset/publish"' not in dataset.text


def test_an_editor_cannot_do_what_needs_an_admin(config: Path) -> None:
    _disable_feed(config, "gov-28")
    before = _contacts(config)
    with console_at(config) as (base, _), closing(signed_in_client(base, "henshu")) as client:
        page = client.get("/feeds")
        assert DISABLED in page.text and "再開は管理者が行います" in page.text
        csrf = csrf_of(page.text)
        for url, data in [
            ("/feeds/gov-28/enable", {}),
            ("/dataset/publish", {}),
            ("/contacts", {"email": "x@example.jp", "member_id": "ind-04", "language": "ja"}),
            ("/contacts/edit", {"email": OKAYAMA_CCI, "language": "en", "interests": ""}),
            ("/contacts/unsubscribe", {"email": OKAYAMA_CCI, "reason": "退職"}),
            ("/contacts/import/apply", {"token": "0" * 64}),
        ]:
            reply = client.post(url, data={"csrf": csrf, **data})
            assert reply.status_code == 403, url
            assert "この操作の権限がありません" in reply.text
        upload = client.post(
            "/contacts/import/preview",
            data={"csrf": csrf},
            files={"file": ("a.csv", b"email,member_id\n")},
        )
        assert upload.status_code == 403
        assert DISABLED in client.get("/feeds").text
        assert not (config.parent / "publish" / "activities.csv").exists()
    assert _contacts(config) == before

    with console_at(config) as (base, _), closing(signed_in_client(base, "kanri")) as admin:
        csrf = csrf_of(admin.get("/feeds").text)
        assert admin.post("/feeds/gov-28/enable", data={}).status_code == 403  # no CSRF token
        reply = admin.post("/feeds/gov-28/enable", data={"csrf": csrf})
        assert reply.status_code == 303 and reply.headers["location"] == "/feeds"
        page = admin.get("/feeds").text
        assert "gov-28: フィードを再開しました" in page and DISABLED not in page
        again = admin.post("/feeds/gov-28/enable", data={"csrf": csrf})
        assert "フィード gov-28 は停止されていません" in admin.get(again.headers["location"]).text
        audit = admin.get("/audit?action=feed_enable").text
        assert "管理 次郎" in audit and "gov-28" in audit and "フィード再開" in audit


def test_hide_then_unhide_shows_in_the_page_and_the_audit_log(config: Path) -> None:
    with console_at(config) as (base, _), closing(signed_in_client(base, "henshu")) as client:
        page = client.get("/dataset").text
        csrf, activity_id = csrf_of(page), _activity_id(page, HIROSHIMA_SEEDS)
        empty = client.post(f"/activities/{activity_id}/hide", data={"csrf": csrf, "reason": " "})
        assert "非公開にする理由を書いてください" in client.get(empty.headers["location"]).text
        reply = client.post(
            f"/activities/{activity_id}/hide",
            data={"csrf": csrf, "reason": "主催者から掲載取り下げの依頼", "title": HIROSHIMA_SEEDS},
        )
        assert reply.status_code == 303 and reply.headers["location"] == "/dataset"
        page = client.get("/dataset").text
        assert f"「{HIROSHIMA_SEEDS}」を非公開にしました" in page
        assert "非公開の活動（1件）" in page and "主催者から掲載取り下げの依頼" in page
        assert f'action="/activities/{activity_id}/unhide"' in page
        audit = client.get("/audit?action=hide").text
        assert (
            activity_id in audit
            and "編集 花子" in audit
            and "主催者から掲載取り下げの依頼" in audit
        )
        assert "console" in audit  # the origin of the request is recorded

        back = client.post(
            f"/activities/{activity_id}/unhide", data={"csrf": csrf, "next": "//evil.example/"}
        )
        assert back.status_code == 303 and back.headers["location"] == "/dataset"
        page = client.get("/dataset").text
        assert "非公開の活動（0件）" in page and _activity_id(page, HIROSHIMA_SEEDS) == activity_id
        audit = client.get("/audit?action=unhide").text
        assert activity_id in audit and "再公開" in audit


def test_publish_now_is_for_admins_and_audited(config: Path) -> None:
    with console_at(config) as (base, _), closing(signed_in_client(base, "kanri")) as admin:
        page = admin.get("/dataset").text
        assert 'action="/dataset/publish"' in page and "最終公開：—" in page
        reply = admin.post("/dataset/publish", data={"csrf": csrf_of(page)})
        assert reply.status_code == 303
        page = admin.get("/dataset").text
        assert "公開データを更新しました" in page and "最終公開：—" not in page
        assert (config.parent / "publish" / "activities.csv").is_file()
        assert "dataset" in admin.get("/audit?action=publish").text


def test_contacts_import_previews_exact_counts_then_applies(config: Path) -> None:
    upload = (
        "email,member_id,language,interests\n"
        "new.person@example.jp,aca-01,ja,sector:academia\n"
        f"{OKAYAMA_CCI},ind-04,en,\n"
        f"{CIC},ind-12,ja,\n"
    ).encode()
    before = _contacts(config)
    with console_at(config) as (base, _), closing(signed_in_client(base, "kanri")) as admin:
        csrf = csrf_of(admin.get("/contacts").text)
        preview = admin.post(
            "/contacts/import/preview",
            data={"csrf": csrf},
            files={"file": ("配信先.csv", upload, "text/csv")},
        )
        assert preview.status_code == 200
        assert "新規 1件" in preview.text and "変更 1件" in preview.text
        assert "変更なし 1件" in preview.text and "language: ja → en" in preview.text
        assert _contacts(config) == before  # a preview writes nothing
        token = re.search(r'name="token" value="([0-9a-f]{64})"', preview.text)
        assert token
        applied = admin.post("/contacts/import/apply", data={"csrf": csrf, "token": token[1]})
        assert applied.status_code == 303
        assert "CSV の 3 件を配信先に取り込みました" in admin.get("/contacts").text
        again = admin.post("/contacts/import/apply", data={"csrf": csrf, "token": token[1]})
        assert "プレビューしたファイルが見つかりません" in admin.get(again.headers["location"]).text
        bad = admin.post(
            "/contacts/import/preview",
            data={"csrf": csrf},
            files={"file": ("x.csv", b"email,member_id\na@example.jp,zzz-99\n")},
        )
        assert "zzz-99 は会員名簿にありません" in admin.get(bad.headers["location"]).text
        assert "subscribe" in admin.get("/audit?action=subscribe").text
    after = _contacts(config)
    assert after["new.person@example.jp"] == ("aca-01", "subscribed", "ja", "sector:academia")
    assert after[OKAYAMA_CCI][2] == "en"
    assert len(after) == len(before) + 1
    assert not any(imports_dir(_settings(config)).iterdir())


def _settings(config: Path) -> Settings:
    return load_settings(config)


def test_an_oversized_import_is_refused_unread(config: Path) -> None:
    with console_at(config) as (base, _), closing(signed_in_client(base, "kanri")) as admin:
        csrf = csrf_of(admin.get("/contacts").text)
        big = b"email,member_id\n" + b"a" * (2 * 1024 * 1024 + 100_000)
        reply = admin.post(
            "/contacts/import/preview",
            data={"csrf": csrf},
            files={"file": ("big.csv", big, "text/csv")},
        )
        assert reply.status_code == 413
        assert "ファイルが大きすぎます" in reply.text and "2 MB まで" in reply.text
    folder = imports_dir(_settings(config))
    assert not folder.exists() or not any(folder.iterdir())


def test_contacts_add_edit_and_unsubscribe_with_a_reason(config: Path) -> None:
    with console_at(config) as (base, _), closing(signed_in_client(base, "kanri")) as admin:
        csrf = csrf_of(admin.get("/contacts").text)
        added = admin.post(
            "/contacts",
            data={
                "csrf": csrf,
                "email": "Tanaka@Example.JP",
                "member_id": "gov-21",
                "language": "ja",
                "interests": "prefecture:山口県",
                "member_filter": "gov-21",
            },
        )
        assert added.headers["location"] == "/contacts?member=gov-21"
        page = admin.get("/contacts?member=gov-21").text
        assert "tanaka@example.jp を配信先に追加しました" in page and "prefecture:山口県" in page
        wrong = admin.post(
            "/contacts",
            data={"csrf": csrf, "email": "not-an-address", "member_id": "gov-21", "language": "ja"},
        )
        assert "入力を確かめてください" in admin.get(wrong.headers["location"]).text
        admin.post(
            "/contacts/edit",
            data={
                "csrf": csrf,
                "email": "tanaka@example.jp",
                "language": "en",
                "interests": "sector:academia",
            },
        )
        reply = admin.post(
            "/contacts/unsubscribe",
            data={"csrf": csrf, "email": "tanaka@example.jp", "reason": "本人から停止の依頼"},
        )
        assert (
            "tanaka@example.jp への配信を停止しました" in admin.get(reply.headers["location"]).text
        )
        audit = admin.get("/audit?action=unsubscribe").text
        assert "本人から停止の依頼" in audit and "管理 次郎" in audit
    assert _contacts(config)["tanaka@example.jp"] == (
        "gov-21",
        "unsubscribed",
        "en",
        "sector:academia",
    )


def test_a_stored_submission_is_processed_again_on_request(config: Path) -> None:
    with console_at(config) as (base, _), closing(signed_in_client(base, "henshu")) as client:
        link = _receipt_link(client.get("/submissions?period=2026-11").text, "ind-04")
        page = client.get(link).text
        assert "再処理する" in page
        reply = client.post(link.replace("/receipt", "/requeue"), data={"csrf": csrf_of(page)})
        assert reply.status_code == 303 and reply.headers["location"] == link
        assert "2026-11-report.csv：4行受付・2行要修正" in client.get(link).text
        audit = client.get("/audit?action=requeue").text
        assert "編集 花子" in audit and "再受付" in audit
