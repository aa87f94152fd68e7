"""The saved reviewer list: added, renamed, removed and listed with an audit trail; the
draft goes to all of them as a [TEST] copy over one connection, a refused address does not
stop the rest, one `send_test` audit row, a Japanese line per address, no delivery row."""

from __future__ import annotations

import json

import pytest
from delivery_support import (
    ISSUE_ID,
    SUBJECT,
    ScriptedServer,
    approve_issue,
    free_port,
    registry_rows,
    with_smtp,
)

from renkei.core.errors import ApprovalError
from renkei.delivery.reviewers import (
    ReviewerError,
    add_reviewer,
    list_reviewers,
    remove_reviewer,
    send_test_to_reviewers,
)
from warehouse.connection import open_warehouse

ALICE, BOB, CAROL = "alice@example.jp", "bob@example.jp", "carol@example.jp"


def audits(settings, *actions: str) -> list[tuple[str, str, str, dict]]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT actor, action, subject, detail FROM audit_log"
            " WHERE list_contains($actions, action) ORDER BY audit_id",
            {"actions": list(actions)},
        ).fetchall()
    return [(actor, action, subject, json.loads(detail)) for actor, action, subject, detail in rows]


@pytest.fixture
def settings(settings_for):
    made = settings_for(registry_rows(1))
    approve_issue(made)  # any stored issue is a draft to proof
    return made


def test_add_rename_list_and_remove_are_audited(settings) -> None:
    added = add_reviewer(settings, " Alice@Example.JP ", "佐藤 花子", by="山田")
    assert (added.email, added.name, added.added_by) == ("Alice@example.jp", "佐藤 花子", "山田")
    add_reviewer(settings, BOB, "鈴木", by="山田")
    add_reviewer(settings, "Alice@example.jp", "佐藤 花子（広報）", by="田中")  # renamed
    assert [(r.email, r.name, r.added_by) for r in list_reviewers(settings)] == [
        (BOB, "鈴木", "山田"),
        ("Alice@example.jp", "佐藤 花子（広報）", "田中"),
    ]
    assert remove_reviewer(settings, BOB, by="田中") is True
    assert remove_reviewer(settings, BOB, by="田中") is False  # not there any more
    assert [r.email for r in list_reviewers(settings)] == ["Alice@example.jp"]
    assert audits(settings, "reviewer_add", "reviewer_remove") == [
        ("山田", "reviewer_add", "Alice@example.jp", {"name": "佐藤 花子"}),
        ("山田", "reviewer_add", BOB, {"name": "鈴木"}),
        ("田中", "reviewer_add", "Alice@example.jp", {"name": "佐藤 花子（広報）"}),
        ("田中", "reviewer_remove", BOB, {}),
    ]
    with open_warehouse(settings.warehouse, read_only=True) as con:
        assert con.execute("SELECT name FROM schema_version WHERE version = 20").fetchall() == [
            ("reviewers",)
        ]


def test_bad_addresses_and_names_are_refused_in_japanese(settings) -> None:
    with pytest.raises(
        ReviewerError, match=r"^'not-an-address': メールアドレスとして正しくありません（"
    ):
        add_reviewer(settings, "not-an-address", "誰か", by="山田")
    with pytest.raises(ReviewerError, match=r"^alice@example.jp: 名前を入力してください$"):
        add_reviewer(settings, ALICE, " 　", by="山田")
    with pytest.raises(ReviewerError, match="メールアドレスとして正しくありません"):
        remove_reviewer(settings, "a@@b", by="山田")
    assert list_reviewers(settings) == []
    assert audits(settings, "reviewer_add", "reviewer_remove") == []


def test_the_draft_goes_to_every_reviewer_and_a_refusal_does_not_stop_the_rest(
    settings,
) -> None:
    for email, name in ((ALICE, "佐藤"), (BOB, "鈴木"), (CAROL, "高橋")):
        add_reviewer(settings, email, name, by="山田")
    with ScriptedServer() as server:
        server.rcpt_script[BOB] = ["550 5.1.1 User unknown"]
        lines = send_test_to_reviewers(with_smtp(settings, server.port), ISSUE_ID, by="佐藤")
    assert lines == [
        f"{ALICE}: 送信しました",
        f"{BOB}: 送信できませんでした（550 5.1.1 User unknown）",
        f"{CAROL}: 送信しました",
    ]
    assert server.rcpt_seen == [ALICE, BOB, CAROL]
    assert len(set(server.sessions)) == 1  # one connection served the list
    assert [rcpts for rcpts, _ in server.messages] == [[ALICE], [CAROL]]
    assert [m["Subject"] for m in server.parsed()] == [f"[TEST] {SUBJECT}"] * 2
    ((actor, _, subject, detail),) = audits(settings, "send_test")
    assert (actor, subject) == ("佐藤", ISSUE_ID)
    assert detail["to"] == [ALICE, BOB, CAROL]
    assert detail["sent"] == [ALICE, CAROL]
    assert detail["failed"] == {BOB: "550 5.1.1 User unknown"}
    assert detail["status"] == "approved" and len(detail["content_sha256"]) == 64
    with open_warehouse(settings.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM deliveries").fetchall() == [(0,)]


def test_an_unreachable_server_gives_a_line_for_each_address_and_still_audits(
    settings,
) -> None:
    add_reviewer(settings, ALICE, "佐藤", by="山田")
    add_reviewer(settings, BOB, "鈴木", by="山田")
    nobody = with_smtp(settings, free_port())  # nothing listens there
    lines = send_test_to_reviewers(nobody, ISSUE_ID, by="佐藤")
    assert [line.split(": ", 1)[0] for line in lines] == [ALICE, BOB]
    assert all(": 送信できませんでした（-1 ConnectionRefusedError: " in line for line in lines)
    ((_, _, _, detail),) = audits(settings, "send_test")
    assert (detail["sent"], sorted(detail["failed"])) == ([], [ALICE, BOB])


def test_no_reviewers_or_no_such_issue(settings) -> None:
    with pytest.raises(ReviewerError, match=r"^テスト送信先（レビュアー）が登録されていません$"):
        send_test_to_reviewers(settings, ISSUE_ID, by="佐藤")
    add_reviewer(settings, ALICE, "佐藤", by="山田")
    with pytest.raises(ApprovalError, match="no such issue"):
        send_test_to_reviewers(settings, "2031-01", by="佐藤")
    assert audits(settings, "send_test") == []
