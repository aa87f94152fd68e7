"""A send killed with SIGKILL mid-run, then run again: no address gets two copies, and the
one message whose fate the killed process could not know is `unknown`, never `sent`.

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
from renkei.delivery.report import delivery_report

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
    # killed while the server held message k (handed over, no reply read): that row is
    # decided "unknown" and not sent again; killed at RCPT of message k+1: sent again
    assert resumed.resolved == (1 if kill_at == "data" else 0)
    assert resumed.unknown_before == (1 if kill_at == "data" else 0)
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
    rows = delivery_rows(settings)
    if kill_at == "data":  # the server got message k; the killed sender never read its 250
        (held,) = server.messages[k - 1][0]
        assert {r: s for r, s in rows.items() if s != "sent"} == {held: "unknown"}
        (listed,) = delivery_report(settings, ISSUE_ID).unknown
        assert listed["detail"].endswith(
            "the process ended after the message was handed over, before the reply; "
            "the server last said '354 End data with <CR><LF>.<CR><LF>'"
        )
        assert pipeline.send(settings, ISSUE_ID).summary() == (
            f"issue {ISSUE_ID}: already sent; nothing sent again; 1 unknown from an earlier "
            f"run, not resent (`renkei deliveries {ISSUE_ID}` lists them; "
            f"`renkei send {ISSUE_ID} --resend-unknown` resends them)"
        )
    else:
        assert set(rows.values()) == {"sent"}
        assert pipeline.send(settings, ISSUE_ID).summary() == (
            f"issue {ISSUE_ID}: already sent; nothing sent again"
        )
