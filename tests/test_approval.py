"""The approval gate in the warehouse: approve, reject, re-approve, stale approvals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from renkei import pipeline
from renkei.core.errors import ApprovalError
from renkei.core.settings import Settings
from renkei.newsletter import approval
from warehouse.connection import open_warehouse
from warehouse.queries import execute

# Drafts are made for a send date (issue 17); a fixed one keeps these tests from rotting.
SEND_DATE = date(2026, 11, 25)


FEEDS = Path(__file__).parent / "fixtures" / "feeds"


@pytest.fixture
def drafted(httpserver: HTTPServer, settings_for) -> Settings:
    body = (FEEDS / "tottori_sjis.rdf").read_bytes()
    httpserver.expect_request("/feed.rdf").respond_with_data(
        body, content_type="application/rdf+xml"
    )
    settings = settings_for(
        [f"aca-01,国立大学法人鳥取大学,academia,学,鳥取県,prefecture,"
         f"{httpserver.url_for('/feed.rdf')},renkei@tottori-u.example.jp"]
    )  # fmt: skip
    pipeline.ingest_feeds(settings)
    pipeline.normalize(settings)
    assert pipeline.draft(settings, "2026-11", as_of=SEND_DATE).created
    return settings


def audit(settings: Settings) -> list[tuple[str, str]]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute("SELECT actor, action FROM audit_log ORDER BY audit_id").fetchall()


def test_rejection_returns_to_draft_with_the_reason_logged(drafted: Settings) -> None:
    pipeline.approve(drafted, "2026-11", by="山田")
    pipeline.reject(drafted, "2026-11", by="佐藤", reason="日付の誤りあり")
    with pytest.raises(ApprovalError, match="not approved"):
        pipeline.send(drafted, "2026-11")
    with open_warehouse(drafted.warehouse, read_only=True) as con:
        detail = con.execute("SELECT detail FROM audit_log WHERE action = 'reject'").fetchall()
    assert "日付の誤りあり" in detail[0][0]
    assert audit(drafted)[-2:] == [("山田", "approve"), ("佐藤", "reject")]


def test_approving_the_same_content_twice_records_it_once(drafted: Settings) -> None:
    first = pipeline.approve(drafted, "2026-11", by="山田")
    assert pipeline.approve(drafted, "2026-11", by="山田") == first
    assert [a for a in audit(drafted) if a[1] == "approve"] == [("山田", "approve")]


def test_recompiling_identical_content_keeps_the_approval(drafted: Settings) -> None:
    digest = pipeline.approve(drafted, "2026-11", by="山田")
    again = pipeline.draft(drafted, "2026-11", as_of=SEND_DATE)
    assert again.content_sha256 == digest
    with open_warehouse(drafted.warehouse, read_only=True) as con:
        status = con.execute("SELECT status FROM newsletter_issues").fetchall()[0][0]
    assert status == "approved"


def test_an_old_approval_must_be_given_again(drafted: Settings) -> None:
    pipeline.approve(drafted, "2026-11", by="山田")
    later = datetime.now(UTC) + timedelta(hours=drafted.newsletter.approval_valid_hours + 1)
    with pytest.raises(ApprovalError, match="approve it again"):
        approval.ensure_fresh(drafted, "2026-11", now=later)
    approval.ensure_fresh(drafted, "2026-11")  # fresh now: no error


def test_reject_needs_a_name_and_a_reason(drafted: Settings) -> None:
    with pytest.raises(ApprovalError, match="--by and --reason are required"):
        pipeline.reject(drafted, "2026-11", by="山田", reason=" ")


def issue_row(settings: Settings) -> dict:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.sql("SELECT * FROM newsletter_issues").pl().row(0, named=True)


def activity_ids(settings: Settings) -> list[str]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = con.execute("SELECT activity_id FROM issue_items ORDER BY activity_id").fetchall()
    return [r[0] for r in rows]


def test_edits_recompile_with_a_new_hash_and_take_the_approval_away(drafted: Settings) -> None:
    from renkei.newsletter.editing import edit_issue

    before = pipeline.approve(drafted, "2026-11", by="山田")
    first, second = activity_ids(drafted)
    report = edit_issue(
        drafted, "2026-11", by="佐藤", drop=[second], titles={first: "【注目】連携セミナー"},
        editorial="今月は連携セミナーを特集します。",
    )  # fmt: skip
    assert report.content_sha256 != before and report.item_count == 1
    row = issue_row(drafted)
    assert row["status"] == "draft" and row["approved_by"] is None
    assert (
        "【注目】連携セミナー" in row["html"].replace("\u200b", "")  # U+200B between phrases
        and "今月は連携セミナーを特集します。" in row["text"]
    )
    # edits and the editorial survive a plain recompile
    again = pipeline.draft(drafted, "2026-11", as_of=SEND_DATE)
    assert again.content_sha256 == report.content_sha256
    # undo brings the dropped item back
    assert edit_issue(drafted, "2026-11", by="佐藤", undo=[second]).item_count == 2


def test_edit_names_unknown_activities_and_sections(drafted: Settings) -> None:
    from renkei.newsletter.editing import edit_issue

    with pytest.raises(ApprovalError, match="unknown activity id"):
        edit_issue(drafted, "2026-11", by="佐藤", drop=["nope"])
    with pytest.raises(ApprovalError, match="unknown section"):
        edit_issue(drafted, "2026-11", by="佐藤", order=["ads"])


def test_send_test_goes_to_one_address_marked_test_and_records_no_delivery(
    drafted: Settings,
) -> None:
    from email import message_from_bytes, policy

    from renkei.delivery.proof import send_test

    note = send_test(drafted, "2026-11", "Check@Example.jp")
    assert note.startswith("test copy of 2026-11 (draft, sha256 ")
    (eml,) = (drafted.mail.outbox / "2026-11-test").glob("*.eml")
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith("[TEST] 中国地域産学官連携通信")
    assert msg["To"] == "Check@example.jp"
    with open_warehouse(drafted.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM deliveries").fetchall() == [(0,)]


def test_an_item_withdrawn_after_approval_makes_the_approval_stale(drafted: Settings) -> None:
    pipeline.approve(drafted, "2026-11", by="山田")
    with open_warehouse(drafted.warehouse, read_only=True) as con:
        (listed,) = con.execute(
            "SELECT activity_id FROM issue_items ORDER BY activity_id LIMIT 1"
        ).fetchone()
    with open_warehouse(drafted.warehouse) as con:  # as a corrected resubmission does
        execute(con, "withdraw_activities", {"ids": [listed]})
    with pytest.raises(ApprovalError, match=f"1 listed item.*withdrawn.*first: {listed}"):
        pipeline.send(drafted, "2026-11")
    # recompiled without it: a new approval is needed
    pipeline.draft(drafted, "2026-11", as_of=SEND_DATE)
    pipeline.approve(drafted, "2026-11", by="山田")
    approval.ensure_fresh(drafted, "2026-11")


def test_a_form_answer_without_a_name_or_for_a_changed_draft_records_nothing(
    drafted: Settings,
) -> None:
    seen = issue_row(drafted)["content_sha256"]
    form = {"seen_sha256": seen, "approved": True, "comment": ""}

    empty = approval.answer_from_form(drafted, "2026-11", reviewer=" 　", **form)
    assert empty == approval.FormOutcome(
        "pause",
        "**前回の回答は記録していません。** "
        "確認者の氏名が空欄でした。氏名を入力して、もう一度回答してください。",
        seen,
    )
    unexplained = approval.answer_from_form(
        drafted, "2026-11", reviewer="佐藤", **{**form, "approved": False}
    )
    assert unexplained.kind == "pause" and "差し戻す理由" in unexplained.message

    changed = pipeline.draft(drafted, "2026-11", editorial="巻頭言", as_of=SEND_DATE).content_sha256
    assert changed and changed != seen
    stale = approval.answer_from_form(drafted, "2026-11", reviewer="佐藤", **form)
    assert stale == approval.FormOutcome(
        "pause",
        "**前回の回答は記録していません。** フォームを表示した後に原稿が変更されました"
        f"（表示していた内容ハッシュ {seen[:12]}、現在 {changed[:12]}）。"
        "新しいプレビューで内容を確認してから、もう一度回答してください。",
        changed,
    )
    assert issue_row(drafted)["status"] == "draft"
    assert [a for a in audit(drafted) if a[1] in ("approve", "reject")] == []

    done = approval.answer_from_form(
        drafted, "2026-11", reviewer=" 佐藤 ", **{**form, "seen_sha256": changed}
    )
    assert done == approval.FormOutcome("recorded", "approved by 佐藤", changed)
    again = approval.answer_from_form(
        drafted, "2026-11", reviewer="山田", **{**form, "seen_sha256": changed}
    )
    assert again == approval.FormOutcome(
        "decided", "already approved by 佐藤; the answer in the form was not recorded", changed
    )
    assert [a for a in audit(drafted) if a[1] == "approve"] == [("佐藤", "approve")]


def test_the_approval_request_links_the_preview_and_shows_the_short_hash(
    tmp_path: Path,
) -> None:
    page = tmp_path / "プレビュー 2026-11.html"
    text = approval.approval_request("2026-11", "", page, "ab" * 32, reason="理由")
    assert text == (
        "### メルマガ 2026-11 の承認\n\n> 理由\n\n"
        f"- プレビュー：[プレビューを開く]({page.as_uri()})（サーバー上のファイル：`{page}`）\n"
        "- 内容ハッシュ：`abababababab`（`renkei approve 2026-11 --sha abababababab` と同じ値）"
        "\n\nプレビューで内容を確認し、下のフォームで「判断」を選んで氏名を入力し、送信してください。"
        "差し戻す場合は理由をコメントに書いてください。"
    )
    assert "%20" in page.as_uri()  # a space in the path does not break the link
