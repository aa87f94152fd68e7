"""The Prefect flows on a real Prefect server (one per test session: it costs ~15 s)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from renkei import pipeline
from renkei.demo import examples_dir, prepare_folder, serve_folder
from renkei.settings import load_settings

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


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


def test_flows_run_every_stage_on_a_real_prefect_server(prefect_server, tmp_path: Path) -> None:
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
    assert normalize(config=config) == "35 staged rows -> 35 activities, 0 quarantined"
    assert "draft with" in compile_newsletter(period="2026-11", config=config)
    pipeline.approve(load_settings(config), "2026-11", by="テスト承認者")
    assert send_newsletter(issue_id="2026-11", config=config).endswith("0 failed")
    assert publish_dataset(config=config).startswith("3 files written")
    # a re-run repeats nothing
    assert normalize(config=config) == "35 staged rows -> 35 activities, 0 quarantined"
    assert send_newsletter(issue_id="2026-11", config=config).endswith("nothing sent again")

    flow_states, task_names = asyncio.run(_runs())
    assert flow_states["ingest_feeds"] == "Completed"
    assert {"fetch_feeds", "store_and_stage_feeds", "sync_registry", "stage_submission"} <= set(
        task_names
    )
    dataset = json.loads((work / "publish" / "activities.json").read_text("utf-8"))
    assert len(dataset) == 35
