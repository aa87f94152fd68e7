"""renkei unattended: a real Prefect server, the deployments of prefect.yaml and a worker.

One server + worker serves every test here (starting them costs tens of seconds on two
cores). Nothing is run by hand after setup: events and triggers move the work along.
"""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from delivery_support import ScriptedServer
from prefect_stack import WAIT, PrefectStack

from renkei.demo import examples_dir, prepare_folder
from warehouse.connection import open_warehouse
from warehouse.errors import WarehouseError

pytestmark = pytest.mark.prefect

FIXTURES = Path(__file__).parent / "fixtures" / "orchestration"
ALERT_TO = "alerts@example.jp"
SHIMANE = ["しまね技術シーズ発表会", "島根オープンイノベーション交流会"]
WATCHED = ["受信箱監視テスト 知財セミナー"]


@dataclass
class E2E:
    stack: PrefectStack
    mail: ScriptedServer

    @property
    def home(self) -> Path:
        return self.stack.home


def _configure(home: Path, smtp_port: int, ui_url: str) -> None:
    config = home / "renkei.toml"
    text = config.read_text("utf-8").replace(
        '[mail]\ntransport = "outbox"\n',
        f'[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\n'
        'smtp_security = "none"\nrate_per_second = 1000\n',
    )
    text = text.replace("[newsletter]\n", "[newsletter]\napproval_poll_seconds = 1\n")
    text += f'\n[orchestration]\nalert_to = "{ALERT_TO}"\nui_url = "{ui_url}"\n'
    config.write_text(text, encoding="utf-8")


@pytest.fixture(scope="session")
def e2e(tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2E]:
    base = tmp_path_factory.mktemp("prefect-e2e")
    home = base / "work"
    prepare_folder(home, examples_dir(), "http://127.0.0.1:9")  # feeds are not fetched here
    with ScriptedServer() as mail:
        stack = PrefectStack(base, home)
        _configure(home, mail.port, stack.ui_url)
        try:
            stack.start()
            yield E2E(stack, mail)
        finally:
            stack.stop()


def _titles(home: Path, titles: list[str]) -> list[str]:
    """Those of ``titles`` now in activities (the warehouse may be busy: then none)."""
    try:
        with open_warehouse(home / "renkei.duckdb", read_only=True, wait_seconds=1) as con:
            rows = con.execute(
                "SELECT title FROM activities WHERE list_contains($t, title) ORDER BY title",
                {"t": titles},
            ).fetchall()
    except WarehouseError:
        return []
    return [row[0] for row in rows]


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


def _emit_submission(e2e: E2E, path: Path, member_id: str) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from renkei.core.events import emit

    sha = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "0" * 64
    with temporary_settings(updates={PREFECT_API_URL: e2e.stack.api_url}):
        emit(
            "renkei.submission.received",
            resource={
                "prefect.resource.id": f"renkei.submission.{sha}",
                "prefect.resource.name": path.name,
            },
            payload={"member_id": member_id, "path": str(path), "sha256": sha},
        )


def _final(stack: PrefectStack, flow_name: str, state: str) -> dict[str, object] | None:
    runs = [r for r in stack.flow_runs(flow_name) if r["state_name"] == state]
    return runs[0] if runs else None


def _newsletters(e2e: E2E) -> list[str]:
    return [to for tos, _ in e2e.mail.messages for to in tos if to != ALERT_TO]


def _alerts(e2e: E2E) -> list:
    return [m for m in e2e.mail.parsed() if m["To"] == ALERT_TO]


def test_doctor_on_the_running_stack_checks_api_pool_limits_and_smtp(e2e: E2E) -> None:
    result = e2e.stack.renkei("doctor")

    assert result.returncode == 0, result.stdout + result.stderr
    marks = [line.split(":")[0] for line in result.stdout.splitlines() if line[:1] in "✓✗–"]
    assert marks == [
        "✓ config",
        "✓ warehouse",
        "✓ registry",
        "✓ Prefect API",
        "✓ work pool",
        "✓ concurrency limit",
        "✓ concurrency limit",
        "✓ SMTP",
        "✓ failure alerts",
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
    }
    assert {d["work_pool_name"] for d in deployments.values()} == {"renkei"}


def test_a_submission_event_reaches_activities_through_ingest_then_normalize(e2e: E2E) -> None:
    target = e2e.home / "inbox" / "ind-02" / "2026-12-shimane.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / target.name, target)

    _emit_submission(e2e, target, "ind-02")

    titles = e2e.stack.wait_for(
        "the submitted rows in activities",
        lambda: _titles(e2e.home, SHIMANE) == SHIMANE and SHIMANE,
    )
    assert titles == SHIMANE
    ingest = _final(e2e.stack, "ingest_submission", "Completed")
    normalize = e2e.stack.wait_for(
        "the normalize run to complete", lambda: _final(e2e.stack, "normalize", "Completed")
    )
    assert ingest is not None and ingest["parameters"]["member_id"] == "ind-02"
    assert ingest["deployment_id"] and normalize["deployment_id"]  # both started by triggers


def test_approval_event_sends_the_issue_and_the_send_publishes_the_dataset(e2e: E2E) -> None:
    stack = e2e.stack
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
        lambda: _final(stack, "publish_dataset", "Completed"),
    )
    sent = _sent(e2e.home, "2026-12")
    assert len(sent) >= 10
    assert sorted(_newsletters(e2e)) == sent  # each recorded recipient got exactly one
    assert _issue(e2e.home, "2026-12")["status"] == "sent"
    assert (e2e.home / "publish" / "activities.json").is_file()
    compiled = stack.wait_for("the compile run to finish", lambda: stack.finished(compile_run))
    assert compiled["parameters"]["period"] == "2026-12"


def test_a_failing_flow_run_sends_exactly_one_alert(e2e: E2E) -> None:
    stack = e2e.stack
    _emit_submission(e2e, e2e.home / "inbox" / "nobody" / "report.csv", "nobody")

    failed = stack.wait_for(
        "the failing ingest_submission run", lambda: _final(stack, "ingest_submission", "Failed")
    )
    link = f"{stack.ui_url}/runs/flow-run/{failed['id']}"

    def about_this_run() -> list:  # another test's failed run has its own alert
        return [m for m in _alerts(e2e) if link in m.get_content()]

    stack.wait_for("the alert e-mail", about_this_run)
    time.sleep(2)  # a second alert for the same run would arrive within this
    alerts = about_this_run()
    assert len(alerts) == 1
    assert alerts[0]["Subject"] == "【renkei】ingest_submission が失敗しました"
    assert "エラー: SubmissionError: --member nobody: not in the registry" in (
        alerts[0].get_content()
    )


def _has_watch() -> bool:
    from renkei.cli import app

    return any(
        c.name == "watch" or (c.callback and c.callback.__name__ == "watch")
        for c in app.registered_commands
    )


@pytest.mark.skipif(not _has_watch(), reason="`renkei watch` (issue 4) is not implemented yet")
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
        time.sleep(2)  # it scans the inbox, then subscribes to changes
        shutil.copy(FIXTURES / target.name, target)
        titles = stack.wait_for(
            "the dropped file's rows in activities",
            lambda: _titles(e2e.home, WATCHED) == WATCHED and WATCHED,
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
