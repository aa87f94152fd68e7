"""The Prefect flows on a real Prefect server (one per test session: it costs ~15 s)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from renkei import pipeline
from renkei.core.settings import load_settings
from renkei.demo import examples_dir, prepare_folder, serve_folder

pytestmark = pytest.mark.prefect


async def _runs() -> tuple[dict[str, str], list[str]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort, TaskRunSort

    async with get_client() as client:
        flows = await client.read_flow_runs(limit=200, sort=FlowRunSort.ID_DESC)
        tasks = await client.read_task_runs(limit=200, sort=TaskRunSort.ID_DESC)
        names = {f.flow_id: (await client.read_flow(f.flow_id)).name for f in flows}
    return (
        {names[f.flow_id]: f.state_name for f in flows},
        sorted({t.name.rsplit("-", 1)[0] for t in tasks}),
    )


WarehouseOpens = list[tuple[bool, tuple[str, ...]]]


# Drafts are made for a send date (issue 17); a fixed one keeps these tests from rotting.
SEND_DATE = date(2026, 11, 25)


@pytest.fixture
def warehouse_opens(monkeypatch: pytest.MonkeyPatch) -> WarehouseOpens:
    """Every warehouse open made inside a flow run: (read-only, the limits held then).

    DuckDB lets one process have the file, readers included, so a flow that opens it
    outside the writer slot can find another flow's writer there and fail."""
    from prefect.context import FlowRunContext

    from renkei.orchestration.limits import held_limits
    from warehouse import connection

    opens: WarehouseOpens = []
    real = connection._connect

    def watched(path: Path, read_only: bool, wait_seconds: float, *rest: bool):
        if FlowRunContext.get() is not None:
            opens.append((read_only, held_limits()))
        return real(path, read_only, wait_seconds, *rest)

    monkeypatch.setattr(connection, "_connect", watched)
    return opens


def _all_in_the_writer_slot(opens: WarehouseOpens) -> bool:
    return bool(opens) and all("renkei-warehouse" in held for _, held in opens)


def test_flows_run_every_stage_on_a_real_prefect_server(
    prefect_server, tmp_path: Path, warehouse_opens: WarehouseOpens
) -> None:
    from flows.ingest_feeds import ingest_feeds
    from flows.ingest_submission import ingest_submission
    from flows.newsletter import compile_newsletter, send_newsletter
    from flows.normalize import normalize
    from flows.publish_dataset import publish_dataset

    work = tmp_path / "work"
    examples = examples_dir()
    with serve_folder(examples) as origin:
        prepare_folder(work, examples, origin)
        config = str(work / "renkei.toml")
        assert ingest_feeds(config=config).startswith("7 feeds, 7 fetched, 0 failed, 32 new")
    report = work / "inbox" / "gov-21" / "2026-11-report.csv"
    summary = ingest_submission(path=str(report), member_id="gov-21", config=config)
    assert summary == "2026-11-report.csv: 3 rows read (utf-8), 3 new"
    assert normalize(config=config) == "35 staged rows -> 34 activities, 0 quarantined, 1 merged"
    assert "draft with" in compile_newsletter(
        period="2026-11", config=config, wait_for_approval=False, as_of=SEND_DATE
    )
    pipeline.approve(load_settings(config), "2026-11", by="テスト承認者")
    assert send_newsletter(issue_id="2026-11", config=config).endswith("0 failed")
    assert publish_dataset(config=config).startswith("28 files written")
    # a re-run repeats nothing
    assert normalize(config=config) == "35 staged rows -> 34 activities, 0 quarantined, 1 merged"
    assert send_newsletter(issue_id="2026-11", config=config).endswith("nothing sent again")

    assert _all_in_the_writer_slot(warehouse_opens), warehouse_opens
    flow_states, task_names = asyncio.run(_runs())
    assert flow_states["ingest_feeds"] == "Completed"
    assert {"fetch_feeds", "store_and_stage_feeds", "sync_registry", "stage_file"} <= set(
        task_names
    )
    dataset = json.loads((work / "publish" / "activities.json").read_text("utf-8"))
    assert len(dataset) == 34  # the co-hosted forum is one activity
    health = json.loads(asyncio.run(_artifact("feed-health")))
    assert [(row["会員ID"], row["状態"]) for row in health] == [
        (member, "ok") for member in sorted(row["会員ID"] for row in health)
    ] and len(health) == 7


async def _artifact(key: str) -> str:
    """The newest artifact with this key (raw request: Prefect 3.8.8's client sends nulls
    this server version rejects, and empty run filters would exclude flow-level artifacts)."""
    from prefect.client.orchestration import get_client

    body = {"limit": 1, "offset": 0, "sort": "CREATED_DESC", "artifacts": {"key": {"any_": [key]}}}
    async with get_client() as client:
        response = await client._client.post("/artifacts/filter", json=body)
    found = response.json()
    return str(found[0]["data"]) if found else ""


def _renkei(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "renkei", *args], capture_output=True, text=True, timeout=120,
        env=env,
    )  # fmt: skip


def _waiting_compile_run(
    tmp_path: Path,
) -> tuple[Path, dict[str, str], threading.Thread, dict[str, str], str]:
    """A compile flow run for 2026-11, started in a thread and paused for approval."""
    from prefect.settings import PREFECT_API_URL

    from flows.newsletter import compile_newsletter

    work = tmp_path / "work"
    examples = examples_dir()
    with serve_folder(examples) as origin:
        prepare_folder(work, examples, origin)
        config = work / "renkei.toml"
        text = config.read_text("utf-8").replace(
            "[newsletter]", "[newsletter]\napproval_poll_seconds = 1"
        )
        config.write_text(text, encoding="utf-8")
        settings = load_settings(config)
        pipeline.ingest_feeds(settings)
    pipeline.normalize(settings)

    outcome: dict[str, str] = {}
    waiting = threading.Thread(
        target=lambda: outcome.update(
            summary=compile_newsletter(period="2026-11", config=str(config), as_of=SEND_DATE)
        )
    )
    waiting.start()
    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        probe = _sql(config, "SELECT waiting_flow_run_id AS w FROM newsletter_issues", env)
        if probe and probe[0]["w"]:
            return config, env, waiting, outcome, probe[0]["w"]
        time.sleep(0.5)
    pytest.fail("the compile flow never started waiting for approval")


def _sql(config: Path, query: str, env: dict[str, str]) -> list[dict[str, object]]:
    """The rows of ``query`` as dicts, read here (a `renkei sql` process would cost ~2 s of
    imports per probe); [] while a flow run holds the warehouse. ``env`` is unused: kept
    so the callers read as the `renkei` commands they sit beside."""
    from warehouse.connection import open_warehouse
    from warehouse.errors import WarehouseError

    try:
        with open_warehouse(load_settings(config).warehouse, read_only=True, wait_seconds=1) as con:
            cursor = con.execute(query)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except WarehouseError:
        return []


def _issue_rows(config: Path, env: dict[str, str]) -> list[dict[str, object]]:
    """The approval record: status, who, comment, hash approved = hash compiled, waiting run."""
    query = (
        "SELECT status, approved_by, approval_comment, approved_sha256 = content_sha256 AS same, "
        "waiting_flow_run_id AS w FROM newsletter_issues"
    )
    return _sql(config, query, env)


def test_compile_flow_waits_for_approval_and_renkei_approve_resumes_it(
    prefect_server, tmp_path: Path
) -> None:
    config, env, waiting, outcome, _ = _waiting_compile_run(tmp_path)

    approved = _renkei("approve", "2026-11", "--by", "事務局 山田", "--comment", "確認しました",
                       "--config", str(config), env=env)  # fmt: skip
    assert approved.returncode == 0, approved.stderr
    assert "resumed the waiting Prefect flow run" in approved.stdout
    waiting.join(timeout=60)
    assert outcome["summary"].endswith("approved by 事務局 山田")

    assert _issue_rows(config, env) == [
        {"status": "approved", "approved_by": "事務局 山田", "approval_comment": "確認しました",
         "same": True, "w": None}
    ]  # fmt: skip

    artifact = asyncio.run(_artifact("newsletter-2026-11"))
    assert "上限で省略" in artifact and "開催予定のイベント" in artifact

    # editing the draft after approval takes the approval away: send refuses
    edited = _renkei("draft", "--period", "2026-11", "--editorial", "巻頭言を追加しました。",
                     "--config", str(config), env=env)  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    refused = _renkei("send", "2026-11", "--config", str(config), env=env)
    assert refused.returncode == 1
    assert "not approved (status draft)" in refused.stderr


def test_an_answer_given_in_the_prefect_ui_is_recorded_by_the_waiting_run(
    prefect_server, tmp_path: Path, warehouse_opens: WarehouseOpens
) -> None:
    from uuid import UUID

    from prefect.flow_runs import resume_flow_run

    config, env, waiting, outcome, run_id = _waiting_compile_run(tmp_path)

    # what the UI's resume form sends: the fields a reviewer fills in
    answer = {"decision": "承認する", "reviewer": "事務局 佐藤", "comment": "UIで確認"}
    resume_flow_run(UUID(run_id), run_input=answer)
    waiting.join(timeout=60)

    assert outcome["summary"].endswith("approved by 事務局 佐藤")
    assert _issue_rows(config, env) == [
        {"status": "approved", "approved_by": "事務局 佐藤", "approval_comment": "UIで確認",
         "same": True, "w": None}
    ]  # fmt: skip
    assert _all_in_the_writer_slot(warehouse_opens), warehouse_opens


def test_a_waiting_run_woken_after_the_send_ends_completed(prefect_server, tmp_path: Path) -> None:
    """`renkei approve` records, announces, then resumes; the announced send may finish
    before the waiting run wakes up (a loaded machine). The run must not record again."""
    from uuid import UUID

    from renkei.newsletter.approval import approve
    from renkei.newsletter.approval_input import answer, resume_recorded

    config, env, waiting, outcome, run_id = _waiting_compile_run(tmp_path)
    settings = load_settings(config)
    approve(settings, "2026-11", by="事務局 山田")
    sent = pipeline.send(settings, "2026-11")
    assert sent.sent > 0 and sent.failed == []

    resume_recorded(UUID(run_id), answer(approved=True, reviewer="事務局 山田"))
    waiting.join(timeout=60)

    assert outcome["summary"].endswith("approved by 事務局 山田")
    assert _sql(config, "SELECT status FROM newsletter_issues", env) == [{"status": "sent"}]
