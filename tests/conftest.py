"""Shared fixtures: a real working folder (renkei init), a loopback HTTP server, SMTP."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from renkei.core.settings import Settings, load_settings
from renkei.scaffold import init_folder

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"


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
    return folder


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


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect server (prefect_test_harness) for every in-process test that
    needs the engine: starting one costs ~15 s, so the session shares it."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(params=[None, 2], ids=["whole", "in-parts-of-2"])
def part_rows(request, monkeypatch) -> None:
    """Run a submission test twice: files judged whole, and judged and staged two rows at a
    time (renkei.submissions.write writes each part while the next is judged)."""
    from renkei.submissions import check as submission_check

    if request.param:
        monkeypatch.setattr(submission_check, "PART_ROWS", request.param)
