"""After the quickstart: the demo ends on its own, leaves no server running, and prints the
one command that opens the console on its data and the demo logins that work there (used by
tests/test_cli.py's demo test, so the demo runs once for both)."""

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


def run_demo(cwd: Path) -> subprocess.CompletedProcess[str]:
    """`renkei demo --out demo-out` in its own process group, which must be empty once the
    demo has ended (no feed server, no console left running)."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "renkei", "demo", "--out", "demo-out"], cwd=cwd,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    out, err = demo.communicate(timeout=300)
    try:  # nothing of the demo's process group is left (no feed server, no console)
        os.killpg(demo.pid, 0)
        left = True
    except ProcessLookupError:
        left = False
    assert not left
    return subprocess.CompletedProcess(demo.args, demo.returncode, out, err)


def assert_the_printed_console_opens(out: str, tmp_path: Path) -> None:
    """The one command the demo prints opens the console, and a printed login works."""
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
