"""The console beside the flows: it never holds the warehouse between requests, and while
a flow holds it a page waits briefly, then says 処理中です — no traceback, no failed flow."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import renkei_cli
from console_support import ISSUE, PASSWORDS, console_folder
from delivery_support import free_port

from renkei.core.settings import load_settings
from renkei.demo import examples_dir, prepare_folder, serve_folder

HOLD = """
import sys, time
from warehouse.connection import open_warehouse
with open_warehouse(sys.argv[1], stage="ingest_feeds"):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def start_console(config: Path) -> tuple[subprocess.Popen, str]:
    """`renkei console` as its own process (as in production), ready when /login answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "renkei", "console", "--port", str(port), "-c", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(
        f"console did not start: {process.stdout.read() if process.stdout else ''}"
    )


def client(base: str, login: str) -> httpx.Client:
    c = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    assert (
        c.post("/login", data={"login": login, "password": PASSWORDS[login][2]}).status_code == 303
    )
    return c


def test_a_page_says_busy_while_a_flow_holds_the_warehouse_and_works_after(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    config = console_folder(tmp_path_factory, tmp_path / "w")
    warehouse = load_settings(config).warehouse
    console, base = start_console(config)
    try:
        editor = client(base, "henshu")
        holder = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse), "4.5"],
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert holder.stdout and holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        busy = editor.get("/")
        waited = time.monotonic() - started
        holder.wait(timeout=30)
        after = editor.get("/")
    finally:
        console.terminate()
        console.wait(timeout=10)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "10"
    assert "処理中です（フィード取得（ingest_feeds）、開始時刻 " in busy.text
    assert "しばらくしてから再読み込みしてください" in busy.text
    assert "Traceback" not in busy.text
    assert 2.5 < waited < 10
    assert after.status_code == 200 and "ダッシュボード" in after.text


def test_an_ingest_flow_runs_while_the_console_is_used(
    prefect_server, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    from flows.ingest_feeds import ingest_feeds

    config = console_folder(tmp_path_factory, tmp_path / "w")
    examples = examples_dir()
    with serve_folder(examples) as origin:
        prepare_folder(config.parent, examples, origin)  # the feeds, served again
        console, base = start_console(config)
        results: list[str | BaseException] = []

        once = ingest_feeds.with_options(retries=0)  # a failure shows now, not in 5 minutes

        def run_flows() -> None:
            for _ in range(3):
                try:
                    results.append(once(config=str(config)))
                except BaseException as exc:  # the assertion below names it
                    results.append(exc)

        flows = threading.Thread(target=run_flows)
        answers: list[tuple[str, int, float, str]] = []
        try:
            editor = client(base, "henshu")
            flows.start()
            pages = ["/", f"/issues/{ISSUE}", "/feeds", "/submissions", "/audit"]
            deadline = time.monotonic() + 240
            while (flows.is_alive() or len(answers) < len(pages)) and time.monotonic() < deadline:
                path = pages[len(answers) % len(pages)]
                started = time.monotonic()
                reply = editor.get(path)
                answers.append((path, reply.status_code, time.monotonic() - started, reply.text))
            flows.join(timeout=60)
        finally:
            console.terminate()
            output = console.communicate(timeout=10)[0].decode("utf-8", "replace")
    assert [type(r) for r in results] == [str, str, str], results
    assert results[0].startswith("7 feeds, 7 fetched, 0 failed")
    assert all(code in (200, 503) for _, code, _, _ in answers), [a[:3] for a in answers]
    assert all(seconds < 10 for _, _, seconds, _ in answers), [a[:3] for a in answers]
    assert all("処理中です" in text for _, code, _, text in answers if code == 503)
    assert sum(1 for _, code, _, _ in answers if code == 200) >= len(pages)
    assert "Traceback" not in output


def test_the_dashboard_reads_the_warehouse_in_one_open(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each open and close of the file costs ~20 ms: the dashboard, which reads status,
    feed health, reports, deliveries, consultations, requests and needs, opens it once
    (read-only) and reads the same as the library calls that open it themselves."""
    from renkei.console.dashboard import read_dashboard
    from renkei.feeds.health import read_health
    from renkei.status import read_status
    from warehouse import connection

    config = console_folder(tmp_path_factory, tmp_path / "w")
    settings = load_settings(config)
    assert renkei_cli("normalize", "-c", str(config)).returncode == 0  # a recorded run
    opened: list[bool] = []
    real = connection._connect

    def counted(path, read_only, *rest):
        opened.append(read_only)
        return real(path, read_only, *rest)

    monkeypatch.setattr(connection, "_connect", counted)
    board = read_dashboard(settings)

    assert opened == [True]
    health = read_health(settings)
    assert board.feed_counts == dict(health.group_by("status").len().iter_rows())
    drafts = [r["issue_id"] for r in read_status(settings).issues.to_dicts()
              if r["status"] in ("draft", "approved")]  # fmt: skip
    assert [d["issue_id"] for d in board.drafts] == drafts == [ISSUE]
    # a run recorded by a command is summarised in Japanese on the page
    [run] = [r for r in board.runs if r["stage"] == "normalize"]
    assert run["summary_ja"].startswith("差分の整理：取り込んだ ")
    assert " staged rows -> " in run["summary"]  # the command's own output stays English
