"""renkei unattended: a real Prefect server, the deployments of prefect.yaml and a worker.

Events and triggers move the work along (submission -> ingest -> normalize; approval ->
send -> publish); nothing is run by hand after setup. The stack is conftest's fixture
``e2e`` (tests/prefect_stack.py), shared with test_orchestration_e2e_ops.py, which holds the
rest of the end-to-end tests (conftest runs the two files as one unit on one worker).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from prefect_stack import (
    ALERT_TO,
    E2E,
    FIXTURES,
    emit_submission,
    final_run,
    titles_in_activities,
)

from warehouse.connection import open_warehouse
from warehouse.errors import WarehouseError

pytestmark = pytest.mark.prefect

SHIMANE = ["しまね技術シーズ発表会", "島根オープンイノベーション交流会"]


def _issue(home: Path, issue_id: str) -> dict[str, object]:
    try:
        with open_warehouse(home / "renkei.duckdb", read_only=True, wait_seconds=1) as con:
            rows = con.execute(
                "SELECT status, waiting_flow_run_id FROM newsletter_issues WHERE issue_id = $i",
                {"i": issue_id},
            ).fetchall()
    except WarehouseError:
        return {}
    return {"status": rows[0][0], "waiting": rows[0][1]} if rows else {}


def _sent(home: Path, issue_id: str) -> list[str]:
    with open_warehouse(home / "renkei.duckdb", read_only=True) as con:
        rows = con.execute(
            "SELECT recipient FROM deliveries WHERE issue_id = $i AND status = 'sent' "
            "ORDER BY recipient",
            {"i": issue_id},
        ).fetchall()
    return [row[0] for row in rows]


def _newsletters(e2e: E2E) -> list[str]:
    return [to for tos, _ in e2e.mail.messages for to in tos if to != ALERT_TO]


def test_doctor_on_the_running_stack_checks_api_pool_limits_and_smtp(e2e: E2E) -> None:
    result = e2e.stack.renkei("doctor")

    assert result.returncode == 0, result.stdout + result.stderr
    marks = [line.split(":")[0] for line in result.stdout.splitlines() if line[:1] in "✓✗–"]
    assert marks == [
        "✓ config",
        "✓ warehouse",
        "✓ registry",
        "✓ issuer",
        "✓ unsubscribe key",
        "✓ Prefect API",
        "✓ work pool",
        "✓ concurrency limit",
        "✓ concurrency limit",
        "✓ SMTP",
        "✓ failure alerts",
        "✓ activities invariants",
        "✓ runs",
    ]


def test_deploy_creates_every_deployment_with_its_schedule_in_tokyo_time(e2e: E2E) -> None:
    deployments = e2e.stack.deployments()

    schedules = {
        name: [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in d["schedules"]]
        for name, d in deployments.items()
    }
    assert schedules == {
        "ingest_feeds/daily": [("0 6 * * *", "Asia/Tokyo")],
        "ingest_submission/on-submission": [],
        "normalize/after-ingest": [],
        "compile_newsletter/monthly": [("0 9 25 * *", "Asia/Tokyo")],
        "send_newsletter/on-approval": [],
        "publish_dataset/weekly": [("0 7 * * 1", "Asia/Tokyo")],
        "publish_dataset/after-send": [],
        "process_bounces/hourly": [("17 * * * *", "Asia/Tokyo")],
        "remind_consultations/weekly": [("0 9 * * 1", "Asia/Tokyo")],
    }
    assert {d["work_pool_name"] for d in deployments.values()} == {"renkei"}


def _submit_shimane(e2e: E2E) -> list[str]:
    """ind-02's December report dropped in the inbox and announced; the titles once they
    are activities. Idempotent: the stack's warehouse already holding them, nothing is
    sent again (the approval test needs December's rows whether or not it runs alone)."""
    if titles_in_activities(e2e.home, SHIMANE) == SHIMANE:
        return SHIMANE
    target = e2e.home / "inbox" / "ind-02" / "2026-12-shimane.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / target.name, target)

    emit_submission(e2e, target, "ind-02")

    return e2e.stack.wait_for(
        "the submitted rows in activities",
        lambda: titles_in_activities(e2e.home, SHIMANE) == SHIMANE and SHIMANE,
    )


def test_a_submission_event_reaches_activities_through_ingest_then_normalize(e2e: E2E) -> None:
    assert titles_in_activities(e2e.home, SHIMANE) == []  # the first to submit them

    titles = _submit_shimane(e2e)

    assert titles == SHIMANE
    ingest = final_run(e2e.stack, "ingest_submission", "Completed")
    normalize = e2e.stack.wait_for(
        "the normalize run to complete", lambda: final_run(e2e.stack, "normalize", "Completed")
    )
    assert ingest is not None and ingest["parameters"]["member_id"] == "ind-02"
    assert ingest["deployment_id"] and normalize["deployment_id"]  # both started by triggers


def test_approval_event_sends_the_issue_and_the_send_publishes_the_dataset(e2e: E2E) -> None:
    stack = e2e.stack
    _submit_shimane(e2e)  # December's rows (done already when the test above ran first)
    compile_run = stack.run_deployment("compile_newsletter/monthly", {"period": "2026-12"})
    stack.wait_for(
        "the compiled draft to wait for approval",
        lambda: _issue(e2e.home, "2026-12").get("waiting"),
    )

    approved = stack.renkei("approve", "2026-12", "--by", "事務局 山田")

    assert approved.returncode == 0, approved.stderr
    assert "emitted renkei.newsletter.approved for 2026-12" in approved.stdout
    assert "resumed the waiting Prefect flow run" in approved.stdout
    stack.wait_for(
        "the published dataset after the send",
        lambda: final_run(stack, "publish_dataset", "Completed"),
    )
    sent = _sent(e2e.home, "2026-12")
    assert len(sent) >= 10
    assert sorted(_newsletters(e2e)) == sent  # each recorded recipient got exactly one
    assert _issue(e2e.home, "2026-12")["status"] == "sent"
    assert (e2e.home / "publish" / "activities.json").is_file()
    compiled = stack.wait_for("the compile run to finish", lambda: stack.finished(compile_run))
    assert compiled["parameters"]["period"] == "2026-12"
