"""A `renkei bounces process` killed (SIGKILL) at many points — after classifying, inside
the warehouse transaction, after the commit, between marking seen and moving — loses no
message and counts none twice: the next run finishes the job with the same result as one
uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bounce_support import (
    EXPECTED,
    bounce_env,
    bounce_folder,
    contact_states,
    deliver_fixtures,
    events,
)
from imap_support import Dovecot, running_dovecot

from renkei.delivery.bounce_mailbox import PAUSE_ENV


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


def _process(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "renkei", "bounces", "process", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kills_at_random_steps_lose_nothing_and_count_nothing_twice(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    dovecot.clear()
    settings = bounce_folder(tmp_path / "work", dovecot)
    deliver_fixtures(dovecot)
    base = {k: v for k, v in os.environ.items() if not k.startswith("RENKEI_")}
    env = {**base, **bounce_env(dovecot), PAUSE_ENV: "0.01"}
    # Steps per batch of 7: classified, recorded (inside the transaction), committed,
    # flagged (seen, not yet moved), moved. Each CLI process costs ~4 s to start, so three
    # kills: inside a transaction, after a commit, between flag and move (each run starts
    # over where the last one was killed).
    steps_seen: list[str] = []
    for target in (2, 8, 14):
        proc = _process(settings.source, env)
        assert proc.stderr is not None
        seen = 0
        for line in proc.stderr:
            if line.startswith("bounces-step "):
                seen += 1
                if seen == target:
                    steps_seen.append(line.split()[1])
                    proc.send_signal(signal.SIGKILL)  # while it sleeps in that step
                    break
        proc.wait(timeout=30)
    assert steps_seen == ["recorded", "committed", "flagged"]

    final = subprocess.run(
        [sys.executable, "-m", "renkei", "bounces", "process", "--config", str(settings.source)],
        env={**base, **bounce_env(dovecot)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert final.returncode == 0, final.stderr
    recorded = events(settings)
    assert len(recorded) == len(EXPECTED) - 1  # every message once (35 repeats 01)
    assert sorted(k for k, *_ in recorded.values()) == sorted(row["kind"] for row in EXPECTED[:-1])
    assert dovecot.count("INBOX") == 0
    assert dovecot.count("renkei-processed") == len(EXPECTED)
    states = {e: s for e, (s, _) in contact_states(settings).items()}
    assert states["tanaka@member00.example.jp"] == "bounced"  # 3 soft, each counted once
    assert states["renkei@member02.example.jp"] == "subscribed"  # 2 soft, not 4
    assert sorted(states.values()).count("bounced") == 6
