"""The README's promises are checked: two Quickstart commands, run by CI as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quickstart() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Quickstart", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "Quickstart has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quickstart_is_exactly_two_commands() -> None:
    first, second = quickstart()
    assert "renkei demo" in first
    assert "pytest" in second


def test_ci_runs_the_readme_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "README.md" in ci and "Quickstart" in ci
    assert "-eq 5" in ci  # pytest's "no tests collected" fails CI


def test_changelog_follows_keep_a_changelog() -> None:
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text("utf-8")
