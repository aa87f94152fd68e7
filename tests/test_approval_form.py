"""The approval form a paused ``compile_newsletter`` run shows in the Prefect UI.

Only what a reviewer fills in (decision, name, comment), in Japanese; an answer that cannot
be recorded keeps the run paused and says why; every answer is recorded exactly once —
from the form or from `renkei approve` / `reject`. On the real Prefect server of test_flows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from test_flows import _issue_rows, _renkei, _sql, _waiting_compile_run

from renkei import pipeline
from renkei.core.settings import load_settings

pytestmark = pytest.mark.prefect

# Drafts are made for a send date (issue 17); a fixed one keeps these tests from rotting.
SEND_DATE = date(2026, 11, 25)


FORM_FIELDS = {
    "decision": ("判断", ["承認する", "差し戻す"]),
    "reviewer": ("確認者の氏名", None),
    "comment": ("コメント", None),
}


@contextmanager
def waiting_run(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], dict[str, str], str]]:
    """A compile run paused for 2026-11; answered with a rejection at the end if a failed
    test left it waiting (a paused run would keep the session from ending)."""
    from prefect.flow_runs import resume_flow_run

    config, env, thread, outcome, run_id = _waiting_compile_run(tmp_path)
    try:
        yield config, env, outcome, run_id
        thread.join(timeout=60)
        assert not thread.is_alive(), "the compile flow run did not finish"
    finally:
        if thread.is_alive():
            closing = {"decision": "差し戻す", "reviewer": "テスト", "comment": "テスト終了"}
            try:
                resume_flow_run(UUID(run_id), run_input=closing)
            except Exception:  # not paused at this moment: it is finishing anyway
                pass
            thread.join(timeout=60)


def _pause(run_id: str, not_key: str | None = None) -> tuple[dict[str, str], str, dict[str, Any]]:
    """(keyset, description, schema) of the run's pause, once it is paused under a keyset
    other than ``not_key`` (the description key of an earlier pause)."""
    from prefect.client.orchestration import get_client
    from prefect.input.actions import read_flow_run_input

    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            state = client.read_flow_run(UUID(run_id)).state
            keyset = state.state_details.run_input_keyset if state and state.is_paused() else None
            if keyset and keyset["description"] != not_key:
                description = read_flow_run_input(keyset["description"], UUID(run_id))
                schema = read_flow_run_input(keyset["schema"], UUID(run_id))
                if description and schema:  # saved right after the state is set
                    return dict(keyset), description, schema
            time.sleep(0.2)
    pytest.fail(f"flow run {run_id} did not pause (again) for approval")


def _decisions(config: Path, env: dict[str, str]) -> list[dict[str, object]]:
    query = (
        "SELECT actor, action FROM audit_log WHERE action IN ('approve', 'reject') "
        "ORDER BY audit_id"
    )
    return _sql(config, query, env)


def test_the_form_has_only_the_reviewers_fields_with_japanese_labels(
    prefect_server, tmp_path: Path
) -> None:
    from prefect.flow_runs import resume_flow_run

    from renkei.newsletter.approval_input import form_schema

    with waiting_run(tmp_path) as (config, env, outcome, run_id):
        _, description, schema = _pause(run_id)

        # the schema the UI draws its form from: three fields, labelled in Japanese,
        # nothing else accepted; decision and name required (no "(Optional)" on them)
        assert schema == form_schema()
        fields = {
            name: (spec["title"], spec.get("enum")) for name, spec in schema["properties"].items()
        }
        assert fields == FORM_FIELDS
        assert schema["required"] == ["decision", "reviewer"]
        assert schema["additionalProperties"] is False
        assert all(spec["description"] for spec in schema["properties"].values())

        # the preview is a link, the hash the 12 characters `renkei approve --sha` takes
        digest = _sql(config, "SELECT content_sha256 AS h FROM newsletter_issues", env)[0]["h"]
        page = (config.parent / "newsletter").resolve()
        link = re.search(r"\[プレビューを開く\]\((file://[^)]+)\)", description)
        assert link and link.group(1).startswith(page.as_uri() + "/")
        assert f"内容ハッシュ：`{str(digest)[:12]}`" in description
        assert f"`renkei approve 2026-11 --sha {str(digest)[:12]}`" in description
        assert str(digest) not in description

        # an internal field sent anyway is refused by the server: the run stays paused
        forged = {"decision": "承認する", "reviewer": "誰か", "comment": "", "recorded": True}
        with pytest.raises(RuntimeError, match="Cannot resume this run"):
            resume_flow_run(UUID(run_id), run_input=forged)
        assert _issue_rows(config, env)[0]["status"] == "draft"

        resume_flow_run(
            UUID(run_id),
            run_input={"decision": "承認する", "reviewer": "事務局 佐藤", "comment": ""},
        )
    assert outcome["summary"].endswith("; approved by 事務局 佐藤")


def test_an_empty_name_keeps_the_run_paused_and_says_why_in_japanese(
    prefect_server, tmp_path: Path
) -> None:
    from prefect.flow_runs import resume_flow_run

    with waiting_run(tmp_path) as (config, env, outcome, run_id):
        first, _, _ = _pause(run_id)
        resume_flow_run(
            UUID(run_id), run_input={"decision": "承認する", "reviewer": "　 ", "comment": "OK"}
        )
        again, description, schema = _pause(run_id, not_key=first["description"])

        assert description.startswith(
            "### メルマガ 2026-11 の承認\n\n> **前回の回答は記録していません。** "
            "確認者の氏名が空欄でした。氏名を入力して、もう一度回答してください。\n\n"
        )
        assert "上限で省略" in description  # the same draft: its section counts stay
        assert set(schema["properties"]) == set(FORM_FIELDS)
        assert _issue_rows(config, env) == [
            {"status": "draft", "approved_by": None, "approval_comment": None, "same": None,
             "w": run_id}
        ]  # fmt: skip
        assert _decisions(config, env) == []

        # a rejection without a reason is not recorded either
        resume_flow_run(UUID(run_id), run_input={"decision": "差し戻す", "reviewer": "事務局 佐藤"})
        _, description, _ = _pause(run_id, not_key=again["description"])
        assert "差し戻す理由がコメント欄にありませんでした。" in description
        assert _decisions(config, env) == []

        # the same form answered with a name: recorded once, the wait cleared
        resume_flow_run(
            UUID(run_id),
            run_input={"decision": "承認する", "reviewer": "事務局 佐藤", "comment": "確認済み"},
        )
    assert outcome["summary"].endswith("; approved by 事務局 佐藤")
    assert _issue_rows(config, env) == [
        {"status": "approved", "approved_by": "事務局 佐藤", "approval_comment": "確認済み",
         "same": True, "w": None}
    ]  # fmt: skip
    assert _decisions(config, env) == [{"actor": "事務局 佐藤", "action": "approve"}]


def test_a_draft_changed_since_the_pause_keeps_the_run_paused(
    prefect_server, tmp_path: Path
) -> None:
    from prefect.flow_runs import resume_flow_run

    with waiting_run(tmp_path) as (config, env, outcome, run_id):
        first, before, _ = _pause(run_id)
        old = _sql(config, "SELECT content_sha256 AS h FROM newsletter_issues", env)[0]["h"]
        pipeline.draft(
            load_settings(config), "2026-11", editorial="巻頭言を追加しました。", as_of=SEND_DATE
        )
        new = _sql(config, "SELECT content_sha256 AS h FROM newsletter_issues", env)[0]["h"]
        assert new != old

        resume_flow_run(UUID(run_id), run_input={"decision": "承認する", "reviewer": "事務局 佐藤"})
        _, description, _ = _pause(run_id, not_key=first["description"])

        assert (
            f"> **前回の回答は記録していません。** フォームを表示した後に原稿が変更されました"
            f"（表示していた内容ハッシュ {str(old)[:12]}、現在 {str(new)[:12]}）。"
            "新しいプレビューで内容を確認してから、もう一度回答してください。\n\n"
        ) in description
        assert f"内容ハッシュ：`{str(new)[:12]}`" in description
        assert "上限で省略" in before and "上限で省略" not in description  # old counts gone
        assert _issue_rows(config, env)[0]["status"] == "draft"
        assert _decisions(config, env) == []

        resume_flow_run(UUID(run_id), run_input={"decision": "承認する", "reviewer": "事務局 佐藤"})
    assert outcome["summary"].endswith("; approved by 事務局 佐藤")
    rows = _issue_rows(config, env)
    assert (rows[0]["status"], rows[0]["same"]) == ("approved", True)
    assert _decisions(config, env) == [{"actor": "事務局 佐藤", "action": "approve"}]


@pytest.mark.parametrize(
    ("command", "verdict", "decision"),
    [
        (("approve", "--comment", "確認しました"), "approved by 事務局 山田", "approve"),
        (("reject", "--reason", "日付の誤り"), "rejected by 事務局 山田: 日付の誤り", "reject"),
    ],
    ids=["approve", "reject"],
)
def test_renkei_approve_or_reject_resumes_the_run_which_records_nothing_again(
    prefect_server, tmp_path: Path, command: tuple[str, ...], verdict: str, decision: str
) -> None:
    with waiting_run(tmp_path) as (config, env, outcome, run_id):
        _pause(run_id)
        name, *options = command
        done = _renkei(name, "2026-11", "--by", "事務局 山田", *options,
                       "--config", str(config), env=env)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"resumed the waiting Prefect flow run {run_id}" in done.stdout
    assert outcome["summary"].endswith(f"; {verdict}")
    assert _decisions(config, env) == [{"actor": "事務局 山田", "action": decision}]
    assert _issue_rows(config, env)[0]["w"] is None
