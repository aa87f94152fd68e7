"""A send killed with SIGKILL mid-run, then run again: every address gets exactly one copy.

The SMTP server (in this process) kills the `renkei send` process at a chosen point, so the
kill lands deterministically: while the sender waits for the reply to the k-th DATA (the
server has the message, the sender does not know it yet), or while it waits for the reply
to the RCPT of message k+1 (the server never gets that message).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter

import pytest
from delivery_support import (
    ISSUE_ID,
    ScriptedServer,
    approve_issue,
    delivery_rows,
    registry_rows,
    smtp_env,
    with_smtp,
)

from renkei import pipeline

N_MEMBERS = 5  # plus a second contact for the first member: six addresses


def kill_and_resume(settings, workdir, kill_at: str, k: int) -> ScriptedServer:
    approve_issue(settings)
    with ScriptedServer() as server:
        env = {**os.environ, **smtp_env(server.port)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "renkei", "send", ISSUE_ID, "-c", "renkei.toml"],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

        def kill() -> None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)  # dead before the server goes on

        if kill_at == "data":
            server.on_data = lambda count: kill() if count == k else None
        else:
            rcpts: list[str] = []

            def on_rcpt(address: str) -> None:
                rcpts.append(address)
                if len(rcpts) == k + 1:
                    kill()

            server.on_rcpt = on_rcpt
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        assert len(server.messages) == k
        server.on_data = server.on_rcpt = None
        resumed = pipeline.send(with_smtp(settings, server.port), ISSUE_ID)
    assert resumed.sent == N_MEMBERS + 1 - k
    # killed while the server held message k: that row is decided "sent" (handed over);
    # killed at RCPT of message k+1: that row is sent again
    assert resumed.resolved == (1 if kill_at == "data" else 0)
    return server


@pytest.mark.parametrize(
    ("kill_at", "k"),
    [("data", 1), ("data", 3), ("data", 6), ("rcpt", 0), ("rcpt", 2), ("rcpt", 5)],
)
def test_killed_send_resumes_without_duplicates_or_gaps(
    settings_for, workdir, kill_at: str, k: int
) -> None:
    settings = settings_for(registry_rows(N_MEMBERS))
    server = kill_and_resume(settings, workdir, kill_at, k)
    received = server.parsed()
    addresses = Counter(m["To"] for m in received)
    assert len(received) == N_MEMBERS + 1
    assert set(addresses.values()) == {1}
    assert len({m["Message-ID"] for m in received}) == N_MEMBERS + 1
    assert set(delivery_rows(settings).values()) == {"sent"}
    assert pipeline.send(settings, ISSUE_ID).summary() == (
        f"issue {ISSUE_ID}: already sent; nothing sent again"
    )
