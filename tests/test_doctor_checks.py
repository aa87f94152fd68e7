"""`renkei doctor` fails on each thing that makes an unattended renkei quietly useless:
no live worker, the `renkei init` placeholders, a readable unsubscribe key, an SMTP server
that does not answer, a run killed while `running`, an alert nobody received."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from delivery_support import ScriptedServer, free_port
from test_doctor import _demo_folder

from renkei.core.runs import STAGE_TIMEOUTS, tracked_run
from renkei.core.settings import load_settings
from renkei.doctor import Check, diagnose, pool_check
from renkei.orchestration.alert_journal import JST
from renkei.orchestration.alerts import send_alert
from warehouse.connection import open_warehouse
from warehouse.queries import run_query


def _check(config: Path, name: str, api: str | None = None) -> Check:
    [found] = [c for c in diagnose(config, api) if c.name == name]
    return found


def _set(config: Path, old: str, new: str) -> None:
    text = config.read_text("utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo folder's renkei.toml: every check passes on it."""
    return _demo_folder(tmp_path) / "renkei.toml"


def test_doctor_fails_on_the_issuer_placeholders_renkei_init_wrote(workdir: Path) -> None:
    config = workdir / "renkei.toml"

    check = _check(config, "issuer")

    assert check.line() == (
        "✗ issuer: still the `renkei init` placeholder: postal_address, contact_email, "
        "website, unsubscribe_url\n"
        f"    → put the secretariat's real values in [issuer] of {config}"
    )
    _set(config, "（住所を記入）", "基町10-52")
    _set(config, 'contact_email = "collabo@example.jp"', 'contact_email = "c@collabo.ac.jp"')
    assert _check(config, "issuer").detail == (
        "still the `renkei init` placeholder: website, unsubscribe_url"
    )


def test_doctor_fails_when_the_unsubscribe_key_is_readable_by_others(demo: Path) -> None:
    key = demo.parent / "unsubscribe.key"
    key.write_text("secret\n", encoding="utf-8")
    key.chmod(0o644)

    check = _check(demo, "unsubscribe key")

    assert (check.mark, check.fix) == ("broken", f"chmod 600 {key}")
    assert check.detail == (
        f"{key} is open to group or others (mode 0644): whoever reads it can forge "
        "unsubscribe links"
    )
    key.chmod(0o600)
    assert _check(demo, "unsubscribe key").line() == f"✓ unsubscribe key: {key} (mode 0600)"


def test_doctor_fails_when_smtp_does_not_answer_and_passes_when_it_does(demo: Path) -> None:
    server = ScriptedServer()
    _set(
        demo,
        'transport = "outbox"',
        f'transport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {server.port}\n'
        'smtp_security = "none"',
    )

    down = _check(demo, "SMTP")
    with server:
        up = _check(demo, "SMTP")

    assert down.line() == (
        f"✗ SMTP: 127.0.0.1:{server.port} (none): [Errno 111] Connection refused\n"
        "    → check [mail] smtp_host, smtp_port, smtp_security and the password"
    )
    assert up.line() == f"✓ SMTP: 127.0.0.1:{server.port} (none)"


def _start_run(config: Path, stage: str, started: datetime, *, pid: int | None = None) -> None:
    """A run row as a process on this machine writes it; by default a process now gone."""
    if pid is None:
        child = subprocess.Popen(["true"])
        child.wait()
        pid = child.pid
    with open_warehouse(load_settings(config).warehouse) as con:
        run_query(
            con,
            "start_run",
            {"stage": stage, "now": started, "pid": pid, "host": socket.gethostname()},
        )


def _run_rows(config: Path) -> list[tuple[str, str]]:
    with open_warehouse(load_settings(config).warehouse, read_only=True) as con:
        rows = con.execute("SELECT stage, status FROM runs ORDER BY run_id").fetchall()
    return [(str(stage), str(status)) for stage, status in rows]


def test_doctor_marks_a_run_past_its_timeout_abandoned_and_fails_until_the_stage_succeeds(
    demo: Path,
) -> None:
    started = datetime.now(UTC) - timedelta(minutes=31)
    _start_run(demo, "normalize", started)  # killed: its timeout is 30 min
    _start_run(demo, "publish_dataset", datetime.now(UTC) - timedelta(minutes=14))  # within 15

    check = _check(demo, "runs")

    assert check.mark == "broken"
    assert check.detail == (
        "abandoned (killed or died, no outcome recorded): "
        f"normalize (started {started.astimezone(JST):%Y-%m-%d %H:%M})"
    )
    assert _run_rows(demo) == [("normalize", "abandoned"), ("publish_dataset", "running")]
    with open_warehouse(load_settings(demo).warehouse, read_only=True) as con:
        [(summary,)] = con.execute("SELECT summary FROM runs WHERE stage = 'normalize'").fetchall()
    assert summary == (
        "abandoned: still running 1800 s after its start (its timeout); "
        "the process was killed or died"
    )
    assert _check(demo, "runs").mark == "broken"  # stays failed: nothing has re-run it

    with tracked_run(load_settings(demo), "normalize") as run:
        run.summary = "0 activities"
    assert _check(demo, "runs").line() == "✓ runs: no run abandoned"


def test_a_run_past_its_timeout_whose_process_is_alive_here_is_not_abandoned(
    demo: Path,
) -> None:
    _start_run(demo, "send_newsletter", datetime.now(UTC) - timedelta(hours=2), pid=os.getpid())

    assert _check(demo, "runs").line() == "✓ runs: no run abandoned"
    assert _run_rows(demo) == [("send_newsletter", "running")]


def test_the_next_tracked_run_of_any_stage_marks_runs_past_their_timeout(demo: Path) -> None:
    _start_run(demo, "send_newsletter", datetime.now(UTC) - timedelta(hours=2))

    with tracked_run(load_settings(demo), "publish_dataset"):
        pass

    assert _run_rows(demo) == [("send_newsletter", "abandoned"), ("publish_dataset", "ok")]


def test_doctor_fails_while_an_alert_is_pending(demo: Path) -> None:
    down = free_port()
    _set(
        demo,
        'transport = "outbox"',
        f'transport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {down}\nsmtp_security = "none"',
    )
    demo.write_text(
        demo.read_text("utf-8") + '\n[orchestration]\nalert_to = "alerts@example.jp"\n',
        encoding="utf-8",
    )
    assert _check(demo, "failure alerts").mark == "ok"
    send_alert(
        load_settings(demo), flow_name="normalize", run_name="r", flow_run_id="run-1",
        state="Crashed", error="killed",
    )  # fmt: skip

    check = _check(demo, "failure alerts")

    assert check.mark == "broken"
    assert check.detail.startswith(
        "1 alert(s) not delivered to alerts@example.jp; oldest: normalize Crashed at "
    )
    assert "(killed); last error: " in check.detail and "Connection refused" in check.detail
    assert check.fix == (
        "fix mail (see the SMTP line): the next flow run retries them; `renkei status` lists them"
    )


WORKER = {"name": "host-1", "status": "ONLINE", "last_heartbeat_time": "2026-12-01T10:00:00Z"}


def test_the_pool_answer_is_judged_by_its_status_and_its_online_workers() -> None:
    ready = {"type": "process", "status": "READY", "is_paused": False}
    offline = {**WORKER, "status": "OFFLINE"}

    assert pool_check(ready, [WORKER]).line() == "✓ work pool: renkei (process, worker host-1)"
    assert pool_check({**ready, "status": "NOT_READY"}, [offline]).detail == (
        "renkei has no live worker (status NOT_READY; "
        "host-1 OFFLINE, last seen 2026-12-01T10:00:00Z)"
    )
    assert pool_check({**ready, "status": "PAUSED", "is_paused": True}, [WORKER]).line() == (
        "✗ work pool: renkei is paused (no run starts)\n    → prefect work-pool resume renkei"
    )


@pytest.mark.prefect
def test_doctor_fails_on_a_pool_without_a_live_worker_on_a_real_prefect_server(
    prefect_server, demo: Path
) -> None:
    from prefect.settings import PREFECT_API_URL

    api = str(PREFECT_API_URL.value()).rstrip("/")
    httpx.delete(f"{api}/work_pools/renkei")
    httpx.post(f"{api}/work_pools/", json={"name": "renkei", "type": "process"}).raise_for_status()

    idle = _check(demo, "work pool", api)
    httpx.post(
        f"{api}/work_pools/renkei/workers/heartbeat",
        json={"name": "host-1", "heartbeat_interval_seconds": 30},
    ).raise_for_status()  # what `prefect worker start --pool renkei` sends
    live = _check(demo, "work pool", api)
    httpx.delete(f"{api}/work_pools/renkei")

    assert idle.line() == (
        "✗ work pool: renkei has no live worker (status NOT_READY; no worker ever connected)\n"
        "    → start one on the host that has the working folder: "
        "`prefect worker start --pool renkei` (under systemd, see README)"
    )
    assert live.line() == "✓ work pool: renkei (process, worker host-1)"


def test_stage_timeouts_are_the_flows_timeouts() -> None:
    from flows.ingest_feeds import ingest_feeds
    from flows.ingest_submission import ingest_submission
    from flows.newsletter import compile_newsletter, send_newsletter
    from flows.normalize import normalize
    from flows.publish_dataset import publish_dataset

    flows = [ingest_feeds, ingest_submission, normalize, compile_newsletter, send_newsletter,
             publish_dataset]  # fmt: skip
    assert {f.name: f.timeout_seconds for f in flows} == {
        name: seconds for name, seconds in STAGE_TIMEOUTS.items() if name != "rebuild"
    }
