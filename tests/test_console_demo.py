"""After the quickstart: the demo ends on its own, leaves no server running, and prints the
one command that opens the console on its data and the demo logins that work there."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
from delivery_support import free_port


def test_the_demo_prints_a_console_command_and_logins_that_work(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "renkei", "demo", "--out", "demo-out"], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    out, err = demo.communicate(timeout=300)
    assert demo.returncode == 0, err
    try:  # nothing of the demo's process group is left (no feed server, no console)
        os.killpg(demo.pid, 0)
        left = True
    except ProcessLookupError:
        left = False
    assert not left
    command = re.search(r"^console \(Japanese web UI\): (renkei console -c \S+)$", out, re.M)
    logins = dict(re.findall(r"^\s+(?:editor|approver|admin)\s+(\S+) / (\S+)  ", out, re.M))
    assert command and set(logins) == {"demo-editor", "demo-approver", "demo-admin"}
    args = shlex.split(command.group(1))[1:]
    port = free_port()
    console = subprocess.Popen(
        [sys.executable, "-m", "renkei", *args, "--port", str(port)], cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/login", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the console did not start"
                time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            signed = client.post(
                "/login", data={"login": "demo-approver", "password": logins["demo-approver"]}
            )
            issue = client.get("/issues/2026-11")
    finally:
        console.terminate()
        console.wait(timeout=10)
    assert signed.status_code == 200 and "ダッシュボード" in signed.text
    assert "デモ 承認者（承認者）" in signed.text
    assert issue.status_code == 200 and "送信済み" in issue.text
