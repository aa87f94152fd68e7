"""renkei unattended, continued (see test_orchestration_e2e.py): failure alerts, `renkei
watch` emitting to the stack, the Dask task runner, the warehouse concurrency limit.

The same stack, fixture ``e2e`` (tests/prefect_stack.py): conftest schedules both files as
one unit on one worker, so the stack starts once for the two.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect_stack import (
    ALERT_TO,
    E2E,
    FIXTURES,
    WAIT,
    emit_submission,
    final_run,
    inotify_inodes,
    titles_in_activities,
)

from renkei.demo import examples_dir, prepare_folder
from warehouse.connection import open_warehouse

pytestmark = pytest.mark.prefect

WATCHED = ["受信箱監視テスト 知財セミナー"]


def _alerts(e2e: E2E) -> list:
    return [m for m in e2e.mail.parsed() if m["To"] == ALERT_TO]


def test_a_failing_flow_run_sends_exactly_one_alert(e2e: E2E) -> None:
    stack = e2e.stack
    emit_submission(e2e, e2e.home / "inbox" / "nobody" / "report.csv", "nobody")

    failed = stack.wait_for(
        "the failing ingest_submission run", lambda: final_run(stack, "ingest_submission", "Failed")
    )
    link = f"{stack.ui_url}/runs/flow-run/{failed['id']}"

    def about_this_run() -> list:  # another test's failed run has its own alert
        return [m for m in _alerts(e2e) if link in m.get_content()]

    stack.wait_for("the alert e-mail", about_this_run)
    time.sleep(2)  # not a readiness wait: the window in which a second alert would arrive
    alerts = about_this_run()
    assert len(alerts) == 1
    assert alerts[0]["Subject"] == "【renkei】ingest_submission が失敗しました"
    assert "エラー: SubmissionError: --member nobody: not in the registry" in (
        alerts[0].get_content()
    )


def test_renkei_watch_turns_a_dropped_file_into_activities(e2e: E2E) -> None:
    """Issue 4, acceptance 2: drop a file in the inbox while `renkei watch` runs."""
    stack = e2e.stack
    target = e2e.home / "watched" / "gov-31" / "2026-12-watch.csv"
    target.parent.mkdir(parents=True)  # a fresh inbox with the member's folder in it
    log = stack.base / "watch.log"
    stack.logs["watch"] = log
    with log.open("wb") as out:
        watch = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "renkei",
                "watch",
                "--config",
                "renkei.toml",
                "--inbox",
                "watched",
            ],
            cwd=e2e.home,
            env=stack.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        stack.wait_for("`renkei watch` to start", lambda: "watching" in stack.tail("watch"))
        # it scans the inbox, then subscribes to changes: ready once its inotify watch
        # covers the member's folder (a file copied in before that would go unnoticed)
        folder = target.parent.stat().st_ino
        stack.wait_for(
            "`renkei watch` to watch the member's folder",
            lambda: folder in inotify_inodes(watch.pid),
        )
        shutil.copy(FIXTURES / target.name, target)
        titles = stack.wait_for(
            "the dropped file's rows in activities",
            lambda: titles_in_activities(e2e.home, WATCHED) == WATCHED and WATCHED,
        )
        assert titles == WATCHED
        assert "2026-12-watch.csv" in stack.tail("watch")
    finally:
        watch.send_signal(signal.SIGTERM)
        try:
            watch.wait(timeout=15)
        except subprocess.TimeoutExpired:
            watch.kill()
            watch.wait(timeout=WAIT)


# ---------------------------------------------------------------------- Dask scale-out

ACTIVITY_COLUMNS = "* EXCLUDE (first_seen_at, updated_at)"


def _activities(home: Path) -> list[tuple]:
    with open_warehouse(home / "renkei.duckdb", read_only=True) as con:
        return con.execute(f"SELECT {ACTIVITY_COLUMNS} FROM activities ORDER BY ALL").fetchall()


def test_ingest_and_normalize_on_a_two_worker_dask_cluster_give_the_same_warehouse(
    e2e: E2E, tmp_path: Path
) -> None:
    from distributed import LocalCluster
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.ingest_feeds import ingest_feeds
    from flows.normalize import normalize
    from renkei.demo import serve_folder

    summaries = {}
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        serve_folder(examples_dir()) as origin,
        temporary_settings(updates={PREFECT_API_URL: e2e.stack.api_url}),
    ):
        for runner in ("default", "dask"):
            home = tmp_path / runner
            prepare_folder(home, examples_dir(), origin)
            config = home / "renkei.toml"
            extra = f'task_runner = "{runner}"\ndask_address = "{cluster.scheduler_address}"\n'
            config.write_text(config.read_text("utf-8") + f"\n[orchestration]\n{extra}", "utf-8")
            once = ingest_feeds.with_options(retries=0)  # a failure here must not wait 300 s
            summaries[runner] = (once(config=str(config)), normalize(config=str(config)))

    assert summaries["dask"] == summaries["default"]
    assert summaries["dask"][1] == "32 staged rows -> 31 activities, 0 quarantined, 1 merged"
    default = _activities(tmp_path / "default")
    assert len(default) == 31
    assert _activities(tmp_path / "dask") == default


def test_two_warehouse_writers_started_together_run_one_after_the_other(
    e2e: E2E, tmp_path: Path
) -> None:
    """Two normalize flow runs in two processes (as two workers would start them), both
    against the e2e server and its `renkei-warehouse` limit of 1."""
    home = tmp_path / "work"
    prepare_folder(home, examples_dir(), "http://127.0.0.1:9")
    code = "from flows.normalize import normalize; normalize(config='renkei.toml')"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=home,
            env={**e2e.stack.env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=WAIT)[0].decode("utf-8", "replace") for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(o[-2000:] for o in outputs)
    assert not any("do not exist" in o for o in outputs)  # the limit was really taken

    with open_warehouse(home / "renkei.duckdb", read_only=True) as con:
        spans = con.execute(
            "SELECT started_at, finished_at FROM runs WHERE stage = 'normalize' "
            "AND status = 'ok' ORDER BY started_at"
        ).fetchall()
    assert len(spans) == 2
    assert spans[0][1] <= spans[1][0]  # the second began after the first had finished
