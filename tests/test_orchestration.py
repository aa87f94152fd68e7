"""Orchestration choices that need no server: task runner, events without an API, compat fix."""

from __future__ import annotations

from pathlib import Path

from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner

from renkei.core.settings import Settings, load_settings
from renkei.feeds.fetch import FeedTarget
from renkei.newsletter.approval import announce_approval
from renkei.orchestration.cluster import _chunks, task_runner
from renkei.orchestration.limits import exclusive


def _with(workdir: Path, **options: object) -> Settings:
    settings = load_settings(workdir / "renkei.toml")
    update = settings.orchestration.model_copy(update=options)
    return settings.model_copy(update={"orchestration": update})


def test_the_default_task_runner_is_a_thread_pool(workdir: Path) -> None:
    assert isinstance(task_runner(_with(workdir)), ThreadPoolTaskRunner)


def test_dask_runs_a_local_cluster_of_worker_processes_or_joins_a_given_scheduler(
    workdir: Path,
) -> None:
    local = task_runner(_with(workdir, task_runner="dask", dask_workers=2))
    remote = task_runner(_with(workdir, task_runner="dask", dask_address="tcp://10.0.0.5:8786"))

    assert isinstance(local, DaskTaskRunner) and isinstance(remote, DaskTaskRunner)
    assert local.cluster_kwargs == {
        "n_workers": 2,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
    }
    assert remote.address == "tcp://10.0.0.5:8786"


def test_feeds_are_split_by_host_so_no_host_gets_two_connection_pools() -> None:
    def feed(n: int, host: str) -> FeedTarget:
        return FeedTarget(f"m{n}", f"https://{host}/feed{n}.rss")

    targets = [feed(1, "a.jp"), feed(2, "b.jp"), feed(3, "A.jp"), feed(4, "c.jp"), feed(5, "a.jp")]
    chunks = _chunks(targets, 2)
    assert [[t.member_id for t in chunk] for chunk in chunks] == [["m1", "m3", "m5"], ["m2", "m4"]]
    assert _chunks(targets[:1], 3) == [targets[:1]]


def test_outside_a_flow_run_the_global_limit_is_not_needed() -> None:
    with exclusive("renkei-warehouse"):
        pass  # no API call, no error


def test_approval_without_a_prefect_api_emits_nothing_and_says_so() -> None:
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        note = announce_approval("2026-11")

    assert note == (
        "no Prefect API configured (PREFECT_API_URL): no renkei.newsletter.approved event "
        "emitted; send the issue with `renkei send 2026-11`"
    )
