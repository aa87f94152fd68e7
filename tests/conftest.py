"""Shared fixtures: a real working folder (renkei init), a loopback HTTP server, SMTP."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from renkei.core.settings import Settings, load_settings
from renkei.scaffold import init_folder

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"


def skip_or_fail(reason: str) -> NoReturn:
    """Something a test needs is missing (../shared/, Chromium): skip on a developer's
    machine, fail under CI=true, where .ci/run provides it and a skip would hide a gap."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


@dataclass
class Ran:
    """What a `renkei` process would have given: exit status, stdout, stderr."""

    returncode: int
    stdout: str
    stderr: str


def renkei_cli(*args: str, cwd: Path | None = None) -> Ran:
    """`renkei ARGS` in this process with Typer's CliRunner on ``renkei.cli.app``.

    An expected error (``EXPECTED``) comes back as ``result.exception``; it is turned into
    what ``renkei.cli.main`` makes of it: ``error: ...`` on stderr and ``exc.exit_code``.
    Any other exception is raised here. No Prefect API is configured (as for a process
    started without PREFECT_API_URL), even while a session's test server is running."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from typer.testing import CliRunner

    from renkei.cli import app
    from renkei.core.errors import EXPECTED

    with (
        contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext(),
        temporary_settings(restore_defaults={PREFECT_API_URL}),
    ):
        result = CliRunner().invoke(app, list(args))
    exc = result.exception
    if isinstance(exc, EXPECTED):
        return Ran(exc.exit_code, result.stdout, result.stderr + f"error: {exc}\n")
    if exc is not None and not isinstance(exc, SystemExit):
        raise exc
    return Ran(result.exit_code, result.stdout, result.stderr)


# ------------------------------------------------------------------ scheduling on workers
# pytest-xdist hands out whole files (pyproject: --dist loadfile), but through the scheduler
# below: the files sharing a Prefect server (fixtures below) are one unit each, so one worker
# starts that server once instead of every worker starting its own (15-25 s of two cores
# each). Units are handed out in the order below, the longest first, then the rest in
# collection order (--no-loadscope-reorder): a long file started last would run alone at the
# end. (xdist's own --dist loadgroup cannot do this: with pytest 9 it no longer sees groups.)
PREFECT_GROUPS = {
    # the real stack (server, deployments, worker): the `e2e` fixture
    "test_orchestration_e2e.py": "prefect-e2e",
    "test_orchestration_e2e_ops.py": "prefect-e2e",
    # the in-process test server: the `prefect_server` fixture
    "test_approval_form.py": "prefect-harness",
    "test_flows.py": "prefect-harness",
    "test_doctor_checks.py": "prefect-harness",
    "test_console_busy.py": "prefect-harness",
    "test_delivery_prefect.py": "prefect-harness",
    "test_alerts_pending.py": "prefect-harness",
}
LONGEST_FIRST = (
    "prefect-harness",
    "prefect-e2e",
    "test_cli.py",
    "test_normalize_incremental.py",
    "test_console_browser.py",
    "test_faults.py",
    "test_intake_watch.py",
    "test_bounces_kill.py",
    "test_console_security.py",
    "test_normalize_idempotent.py",
    "test_delivery_crash.py",
    "test_collaboration.py",
    "test_portal.py",
)


def work_unit(nodeid: str) -> str:
    """The unit a test is scheduled in: its file's name, or its shared Prefect server's."""
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return PREFECT_GROUPS.get(name, name)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByWorkUnit(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {unit: i for i, unit in enumerate(LONGEST_FIRST)}
    # stable: the order inside a file (and among the rest) stays as collected
    items.sort(key=lambda item: rank.get(work_unit(item.nodeid), len(rank)))


@pytest.fixture(autouse=True)
def _no_renkei_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the settings they set: no RENKEI_* from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("RENKEI_"):
            monkeypatch.delenv(key)


def write_registry(folder: Path, rows: list[str]) -> Path:
    header = "member_id,name,sector,sector_ja,prefecture,scope,feed_url,contact_email\n"
    path = folder / "members.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder made by `renkei init`, with a small registry written by the test."""
    folder = tmp_path / "work"
    init_folder(folder)
    allow_loopback_feeds(folder / "renkei.toml")
    return folder


def allow_loopback_feeds(config: Path) -> None:
    """Tests serve feeds from 127.0.0.1, which renkei refuses by default (issue 16)."""
    text = config.read_text("utf-8")
    assert "\n[feeds]\n" in text
    line = "[feeds]\nallow_private_addresses = true\n"
    config.write_text(text.replace("[feeds]\n", line, 1), encoding="utf-8")


@pytest.fixture
def settings_for(workdir: Path):
    def make(rows: list[str]) -> Settings:
        write_registry(workdir, rows)
        return load_settings(workdir / "renkei.toml")

    return make


@pytest.fixture
def demo_copy(tmp_path: Path) -> Iterator[Path]:
    """A copy of examples/ the test may change."""
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target)
    yield target


# The Prefect servers are shared by the tests of one work unit and stopped after its last
# test (not at the end of the session: an idle server and worker still poll, about a fifth
# of a core, which the rest of the suite needs). One per worker and unit; xdist runs a
# unit's tests one after the other on one worker, and `nextitem` says when it is done.
_RUNNING: dict[str, tuple[ExitStack, object]] = {}


def _shared(request: pytest.FixtureRequest, kind: str, start: Callable[[ExitStack], object]):
    key = f"{kind}@{work_unit(request.node.nodeid)}"
    if key not in _RUNNING:
        stack = ExitStack()
        try:
            _RUNNING[key] = (stack, start(stack))
        except BaseException:
            stack.close()
            raise
    return _RUNNING[key][1]


@pytest.hookimpl(trylast=True)  # after the test's own fixtures are torn down
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    unit = work_unit(item.nodeid)
    if nextitem is not None and work_unit(nextitem.nodeid) == unit:
        return
    for key in [k for k in _RUNNING if k.endswith(f"@{unit}")]:
        _RUNNING.pop(key)[0].close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    while _RUNNING:  # an interrupted run: nothing outlives the session
        _RUNNING.popitem()[1][0].close()


@pytest.fixture
def prefect_server(request: pytest.FixtureRequest) -> None:
    """A temporary Prefect server (prefect_test_harness) for the in-process tests that need
    the engine: starting one costs ~20 s of CPU, so the tests of a unit share it."""
    from prefect.testing.utilities import prefect_test_harness

    def start(stack: ExitStack) -> object:
        return stack.enter_context(prefect_test_harness(server_startup_timeout=120))

    _shared(request, "harness", start)


@pytest.fixture
def e2e(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The real Prefect stack of the end-to-end files (tests/prefect_stack.py): server,
    the deployments of prefect.yaml, a worker, an SMTP server; shared by the unit's tests."""
    from prefect_stack import running_e2e

    def start(stack: ExitStack) -> object:
        return stack.enter_context(running_e2e(tmp_path_factory.mktemp("prefect-e2e")))

    return _shared(request, "e2e", start)


@pytest.fixture(params=[None, 2], ids=["whole", "in-parts-of-2"])
def part_rows(request, monkeypatch) -> None:
    """Run a submission test twice: files judged whole, and judged and staged two rows at a
    time (renkei.submissions.write writes each part while the next is judged)."""
    from renkei.submissions import check as submission_check

    if request.param:
        monkeypatch.setattr(submission_check, "PART_ROWS", request.param)
