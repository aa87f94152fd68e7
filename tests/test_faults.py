"""Acceptance 1 (issue 16), scaled down: `bench/faults.py` with 30 recipients and 3 SIGKILLs
of a real `renkei send` process against the misbehaving SMTP server in another process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPIENTS = 30
KILLS = 3


def test_killed_and_dropped_sends_give_no_duplicate_no_false_sent_and_list_every_unknown(
    tmp_path: Path,
) -> None:
    out = tmp_path / "faults.json"
    ran = subprocess.run(
        [
            sys.executable, str(ROOT / "bench" / "faults.py"),
            "--recipients", str(RECIPIENTS), "--kills", str(KILLS), "--seed", "7",
            "--json", str(out),
        ],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.splitlines()[-1] == "OK: all checks hold"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["kills"] == KILLS
    assert result["duplicates"] == []
    assert result["copies"][">1"] == 0
    assert result["sent_not_accepted"] == []
    assert result["sent_without_copy"] == []
    assert result["failed_with_copy"] == []
    assert result["unfinished"] == []
    assert sum(result["states"].values()) == RECIPIENTS
    assert set(result["states"]) <= {"sent", "failed", "unknown"}
    assert result["unknown_listed_cli"] is True
    assert result["unknown_listed_artifact"] is True
    listed = [line for line in result["deliveries"] if line.startswith("  unknown: ")]
    assert len(listed) == len(result["unknown"]) == result["states"].get("unknown", 0)
    assert all(" JST; " in line and "the server last said '354 " in line for line in listed)
    assert result["issue_status"] == "sent"
