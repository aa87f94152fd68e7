"""One implementation of approve/reject for the CLI and the console (approve_and_release,
reject_and_release), and the four-eyes rule: whoever last edited a draft may not approve it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import renkei_cli
from prefect.settings import PREFECT_API_URL, temporary_settings
from test_item_moves import SEND_DATE, make_november, stored

from renkei import pipeline
from renkei.core.errors import ApprovalError
from renkei.core.settings import Settings
from renkei.newsletter.approval import approve, approve_and_release, reject_and_release
from renkei.newsletter.editing import edit_issue, move_item

REFUSED = "最後に編集した人（佐藤）は承認できません。別の承認者に依頼してください（四つの目の原則）"
NO_API = (
    "no Prefect API configured (PREFECT_API_URL): no renkei.newsletter.approved event "
    "emitted; send the issue with `renkei send 2026-11`"
)


@pytest.fixture
def november(settings_for) -> Settings:
    return make_november(settings_for)


@pytest.fixture(autouse=True)
def _no_prefect_api() -> Iterator[None]:
    """As a process started without PREFECT_API_URL (a session's test server may run)."""
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        yield


def config_of(settings: Settings) -> str:
    return str(settings.warehouse.parent / "renkei.toml")


def test_the_last_editor_may_not_approve_but_another_approver_may(november: Settings) -> None:
    edit_issue(november, "2026-11", by="山田", editorial="巻頭言")
    move_item(november, "2026-11", "ev-c", "up", by="佐藤")  # a move is an edit too
    with pytest.raises(ApprovalError) as refused:
        approve(november, "2026-11", by="佐藤", four_eyes=True)
    assert str(refused.value) == REFUSED
    assert stored(november)["status"] == "draft"
    digest = approve(november, "2026-11", by=" 山田 ", four_eyes=True)
    row = stored(november)
    assert (row["status"], row["approved_by"], digest) == (
        "approved", " 山田 ", row["content_sha256"],
    )  # fmt: skip


def test_without_four_eyes_the_editor_may_approve(november: Settings) -> None:
    edit_issue(november, "2026-11", by="佐藤", editorial="巻頭言")
    assert approve(november, "2026-11", by="佐藤") == stored(november)["content_sha256"]


def test_an_unedited_draft_may_be_approved_by_anyone_under_four_eyes(november: Settings) -> None:
    assert approve(november, "2026-11", by="佐藤", four_eyes=True)


def test_the_cli_applies_the_four_eyes_setting(november: Settings) -> None:
    edit_issue(november, "2026-11", by="佐藤", editorial="巻頭言")
    refused = renkei_cli("approve", "2026-11", "--by", "佐藤", "--config", config_of(november))
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.endswith(f"error: {REFUSED}\n")
    assert november.newsletter.four_eyes is True


def test_approve_and_release_gives_the_lines_the_cli_prints(november: Settings) -> None:
    digest = stored(november)["content_sha256"]
    result = approve_and_release(
        november, "2026-11", by="山田", content_sha256=digest[:12], comment="確認しました",
        four_eyes=True,
    )  # fmt: skip
    expected = [f"issue 2026-11 approved by 山田 (content sha256 {digest[:12]})", NO_API]
    assert (result.digest, result.notes) == (digest, expected)
    # the CLI prints exactly these lines (approving the same content again is a no-op)
    ran = renkei_cli("approve", "2026-11", "--by", "山田", "--config", config_of(november))
    assert (ran.returncode, ran.stdout) == (0, "\n".join(expected) + "\n")


def test_reject_and_release_gives_the_lines_the_cli_prints(november: Settings) -> None:
    pipeline.approve(november, "2026-11", by="山田")
    digest = stored(november)["content_sha256"]
    result = reject_and_release(november, "2026-11", by="佐藤", reason="日付の誤りあり")
    line = "issue 2026-11 returned to draft by 佐藤: 日付の誤りあり"
    assert (result.digest, result.notes) == (digest, [line])
    assert stored(november)["status"] == "draft"
    ran = renkei_cli(
        "reject", "2026-11", "--by", "佐藤", "--reason", "日付の誤りあり",
        "--config", config_of(november),
    )  # fmt: skip
    assert (ran.returncode, ran.stdout) == (0, line + "\n")
    assert SEND_DATE == stored(november)["selected_as_of"]
