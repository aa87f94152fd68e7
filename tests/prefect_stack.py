"""A real Prefect stack for end-to-end tests: server, deployments from prefect.yaml, worker.

``running_e2e`` is the stack the end-to-end files share (conftest's fixture ``e2e``: one
per work unit and xdist worker, started for the unit's first test and stopped after its
last). Everything runs as subprocesses in their own process groups on 127.0.0.1 with a
temporary PREFECT_HOME; ``stop()`` kills the groups (and the flow-run
process groups the worker started) with SIGTERM, then SIGKILL — no process outlives the
test session.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
WAIT = 120.0  # every wait in these tests is bounded by this
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_groups(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.killpg(os.getpgid(pid), sig)
        except (ProcessLookupError, PermissionError):
            pass


class PrefectStack:
    """``start()`` brings up server, work pool, limits, deployments and worker."""

    def __init__(self, base: Path, home: Path) -> None:
        self.base = base
        self.home = home  # RENKEI_HOME: the working folder the flow runs use
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.ui_url = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("RENKEI_", "PREFECT_"))
        }
        self.env.update(
            PREFECT_HOME=str(base / "prefect-home"),
            PREFECT_API_URL=self.api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_UI_ENABLED="false",
            PREFECT_SERVER_LOGGING_LEVEL="WARNING",
            PREFECT_WORKER_QUERY_SECONDS="1",
            PREFECT_WORKER_PREFETCH_SECONDS="1",
            # no scheduled run may start mid-test (a run of `daily` or `monthly` whose time
            # falls inside the session would race the tests' own runs); triggers still fire
            PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
            RENKEI_HOME=str(home),
        )

    # -------------------------------------------------------------- processes

    def _spawn(self, name: str, args: list[str], cwd: Path | None = None) -> None:
        log = self.base / f"{name}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            self.procs[name] = subprocess.Popen(
                args,
                cwd=cwd or self.base,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def tail(self, name: str = "worker", lines: int = 40) -> str:
        log = self.logs.get(name)
        if log is None or not log.exists():
            return f"(no {name} log)"
        text = log.read_text("utf-8", errors="replace").splitlines()
        return f"--- last {lines} lines of {name}.log ---\n" + "\n".join(text[-lines:])

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout: float = WAIT) -> T:
        """Poll ``probe`` until it returns something truthy; fail with the worker's log tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise AssertionError(
                        f"{name} exited ({proc.returncode}) while waiting for "
                        f"{what}\n{self.tail(name)}"
                    )
            time.sleep(0.5)
        extra = "".join(f"\n{self.tail(name, 15)}" for name in self.logs if name == "watch")
        raise AssertionError(
            f"timed out after {timeout:.0f} s waiting for {what}\n{self.tail()}{extra}"
        )

    def start(self) -> None:
        self._spawn(
            "server",
            [
                str(VENV_BIN / "prefect"),
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
        )
        self.wait_for("the Prefect server's /api/health", self._healthy)
        self._setup_server()
        # the worker starts (imports, registers) while the deployments are created
        self._spawn("worker", [str(VENV_BIN / "prefect"), "worker", "start", "--pool", "renkei"])
        shutil.copy(ROOT / "prefect.yaml", self.home / "prefect.yaml")
        deploy = subprocess.run(
            [str(VENV_BIN / "prefect"), "--no-prompt", "deploy", "--all"],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        assert deploy.returncode == 0, deploy.stdout[-3000:] + deploy.stderr[-3000:]
        self.wait_for("the worker to start", lambda: "started" in self.tail("worker", 20))

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _setup_server(self) -> None:
        """What the README tells an operator to do once: work pool and global limits."""
        body = {"name": "renkei", "type": "process"}
        for path, payload in (
            ("/work_pools/", body),
            ("/v2/concurrency_limits/", {"name": "renkei-warehouse", "limit": 1}),
            ("/v2/concurrency_limits/", {"name": "renkei-send", "limit": 1}),
        ):
            response = httpx.post(f"{self.api_url}{path}", json=payload, timeout=30)
            assert response.status_code in (200, 201), response.text

    def stop(self) -> None:
        pids = []
        for proc in self.procs.values():
            pids += [proc.pid, *descendants(proc.pid)]
        _kill_groups(pids, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        _kill_groups(pids, signal.SIGKILL)  # the worker ignores SIGTERM (STACK_NOTES)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc in self.procs.values():
            proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)

    # -------------------------------------------------------------- API reads

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """A raw API call (3.8.8's client sends nulls this server rejects on some filters).

        A 503 is retried, as Prefect's own client does: the server answers it when its
        SQLite database stays locked under load (the suite runs beside it on two cores)."""
        for delay in (0.5, 1, 2, 4, 0):
            response = httpx.post(f"{self.api_url}{path}", json=body, timeout=30)
            if response.status_code != 503 or not delay:
                break
            time.sleep(delay)
        response.raise_for_status()
        return response.json()

    def flow_runs(self, flow_name: str) -> list[dict[str, Any]]:
        body = {
            "sort": "START_TIME_DESC",
            "limit": 50,
            "offset": 0,
            "flows": {"name": {"any_": [flow_name]}},
        }
        return self.post("/flow_runs/filter", body)

    def finished(self, run_id: str) -> dict[str, Any] | None:
        """The flow run once it has Completed; an AssertionError with its state's message
        as soon as it ends any other way (no waiting out the timeout on a failed run)."""
        response = httpx.get(f"{self.api_url}/flow_runs/{run_id}", timeout=30)
        if response.status_code == 503:
            return None
        response.raise_for_status()
        run = response.json()
        state = run.get("state") or {}
        if state.get("type") in ("FAILED", "CRASHED", "CANCELLED"):
            raise AssertionError(
                f"flow run {run['name']} ended {state.get('name')}: {state.get('message')}\n"
                f"{self.tail()}"
            )
        return run if state.get("type") == "COMPLETED" else None

    def deployments(self) -> dict[str, dict[str, Any]]:
        """Every deployment by ``flow/deployment`` name."""
        flows = {f["id"]: f["name"] for f in self.post("/flows/filter", {"limit": 50, "offset": 0})}
        found = self.post("/deployments/filter", {"limit": 50, "offset": 0})
        return {f"{flows[d['flow_id']]}/{d['name']}": d for d in found}

    def run_deployment(self, name: str, parameters: dict[str, Any]) -> str:
        flow_name, deployment_name = name.split("/")
        found = httpx.get(
            f"{self.api_url}/deployments/name/{flow_name}/{deployment_name}", timeout=30
        )
        found.raise_for_status()
        run = self.post(
            f"/deployments/{found.json()['id']}/create_flow_run", {"parameters": parameters}
        )
        return str(run["id"])

    def renkei(self, *args: str, timeout: float = WAIT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "renkei", *args],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def inotify_inodes(pid: int) -> set[int]:
    """The inodes a process has inotify watches on (Linux: its fdinfo), e.g. the folders
    `renkei watch` has subscribed to — a readiness signal that needs no output from it."""
    found: set[int] = set()
    try:
        fds = list(Path(f"/proc/{pid}/fdinfo").iterdir())
    except OSError:
        return found
    for fd in fds:
        try:
            text = fd.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("inotify wd:"):
                fields = dict(f.split(":", 1) for f in line.split()[1:] if ":" in f)
                found.add(int(fields["ino"], 16))
    return found


# ------------------------------------------------------------------ the shared e2e stack

FIXTURES = ROOT / "tests" / "fixtures" / "orchestration"
ALERT_TO = "alerts@example.jp"


@dataclass
class E2E:
    stack: PrefectStack
    mail: Any  # delivery_support.ScriptedServer

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


@contextmanager
def running_e2e(base: Path) -> Iterator[E2E]:
    """The demo folder, an SMTP server and a started stack whose flow runs use both."""
    from delivery_support import ScriptedServer

    from renkei.demo import examples_dir, prepare_folder

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


def titles_in_activities(home: Path, titles: list[str]) -> list[str]:
    """Those of ``titles`` now in activities (the warehouse may be busy: then none)."""
    from warehouse.connection import open_warehouse
    from warehouse.errors import WarehouseError

    try:
        with open_warehouse(home / "renkei.duckdb", read_only=True, wait_seconds=1) as con:
            rows = con.execute(
                "SELECT title FROM activities WHERE list_contains($t, title) ORDER BY title",
                {"t": titles},
            ).fetchall()
    except WarehouseError:
        return []
    return [row[0] for row in rows]


def emit_submission(e2e: E2E, path: Path, member_id: str) -> None:
    import hashlib

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


def final_run(stack: PrefectStack, flow_name: str, state: str) -> dict[str, Any] | None:
    runs = [r for r in stack.flow_runs(flow_name) if r["state_name"] == state]
    return runs[0] if runs else None
