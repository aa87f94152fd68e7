"""A send writes its progress beside the journal, so it can be followed without opening the
warehouse the send holds: at the start, now and then while it runs, at the end; the file
stays for the last figures and the next run replaces it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from delivery_support import (
    ISSUE_ID,
    ScriptedServer,
    approve_issue,
    free_port,
    registry_rows,
    with_smtp,
)

from renkei.delivery import progress as progress_module
from renkei.delivery.progress import (
    ProgressWriter,
    SendFailure,
    SendProgress,
    progress_path,
    read_progress,
)
from renkei.delivery.send import DeliveryPaused, send_issue

FIRST, SECOND, THIRD = (
    "renkei@member00.example.jp",
    "tanaka@member00.example.jp",
    "renkei@member01.example.jp",
)  # the order the send takes them in (member, then address)
REFUSED = "550 5.1.1 User unknown"


def test_progress_is_readable_during_the_send(settings_for, monkeypatch) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    monkeypatch.setattr(progress_module, "WRITE_EVERY", 0.0)  # every message, for exact counts
    seen: dict[int, SendProgress | None] = {}
    with ScriptedServer() as server:
        server.rcpt_script[SECOND] = [REFUSED]

        def during(count: int) -> None:  # the send waits for this message's 250
            seen[count] = read_progress(settings.warehouse, ISSUE_ID)

        server.on_data = during
        report = send_issue(with_smtp(settings, server.port), ISSUE_ID)
    assert (report.sent, len(report.failed)) == (2, 1)

    first, second = seen[1], seen[2]
    assert first is not None and second is not None
    assert (first.total, first.done, first.sent, first.failed, first.unknown) == (3, 0, 0, 0, 0)
    assert (first.finished, first.state, first.state_ja, first.percent) == (
        False,
        "running",
        "送信中",
        0.0,
    )
    # the first was sent, the second refused at RCPT; the third is on the wire
    assert (second.done, second.sent, second.failed, second.unknown) == (2, 1, 1, 0)
    assert second.failures == (SendFailure(SECOND, "failed", 550, "5.1.1 User unknown"),)
    assert second.state == "running" and second.percent == pytest.approx(200 / 3)

    last = read_progress(settings.warehouse, ISSUE_ID)
    assert last is not None
    assert (last.issue_id, last.total, last.done, last.sent, last.failed, last.unknown) == (
        ISSUE_ID,
        3,
        3,
        2,
        1,
        0,
    )
    assert (last.finished, last.error, last.state, last.state_ja) == (
        True,
        None,
        "finished",
        "完了",
    )
    assert last.percent == 100.0 and last.remaining_seconds == 0.0
    assert last.started_at == first.started_at and last.updated_at >= second.updated_at
    assert last.rate == 3 / (last.updated_at - last.started_at).total_seconds()
    path = progress_path(settings.warehouse, ISSUE_ID)
    assert path.name == f"{settings.warehouse.name}.send-{ISSUE_ID}.progress"
    assert sorted(p.name for p in path.parent.iterdir() if ".progress" in p.name) == [path.name]
    body = json.loads(path.read_text(encoding="utf-8"))
    assert body["failures"] == [
        {"recipient": SECOND, "status": "failed", "smtp_code": 550, "reply": "5.1.1 User unknown"}
    ]

    # a rerun of the sent issue sends nothing and leaves the last figures as they were
    before = path.read_bytes()
    assert send_issue(with_smtp(settings, free_port()), ISSUE_ID).already_sent
    assert path.read_bytes() == before


def test_the_next_run_replaces_the_file(settings_for) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    with ScriptedServer() as server:
        server.rcpt_script[SECOND] = [REFUSED]
        smtp = with_smtp(settings, server.port)
        send_issue(smtp, ISSUE_ID)
        send_issue(smtp, ISSUE_ID, resend_failed=True)
    last = read_progress(settings.warehouse, ISSUE_ID)
    assert last is not None
    assert (last.total, last.done, last.sent, last.failed, last.failures) == (1, 1, 1, 0, ())
    assert last.state == "finished"


def test_a_paused_send_says_it_stopped_and_why(settings_for) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    nobody = with_smtp(settings, free_port(), max_connection_failures=2)  # nothing listens
    with pytest.raises(DeliveryPaused) as paused:
        send_issue(nobody, ISSUE_ID, sleep=lambda _: None)
    last = read_progress(settings.warehouse, ISSUE_ID)
    assert last is not None
    assert (last.total, last.done, last.failed, last.finished) == (3, 1, 1, True)
    assert (last.state, last.state_ja, last.error) == (
        "stopped",
        "停止（エラー）",
        str(paused.value),
    )
    assert last.failures[0].recipient == FIRST and last.failures[0].status == "failed"


def _written(path: Path, **changes: object) -> None:
    body = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**body, **changes}), encoding="utf-8")


def test_a_killed_send_reads_as_interrupted(tmp_path: Path) -> None:
    warehouse = tmp_path / "renkei.duckdb"
    writer = ProgressWriter(warehouse, ISSUE_ID, total=10)
    writer.start()
    alive = read_progress(warehouse, ISSUE_ID)
    assert alive is not None and alive.state == "running"  # this process wrote it
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    _written(progress_path(warehouse, ISSUE_ID), pid=int(gone.stdout))
    dead = read_progress(warehouse, ISSUE_ID)
    assert dead is not None
    assert (dead.state, dead.state_ja, dead.finished) == (
        "interrupted",
        "中断（プロセス終了）",
        False,
    )
    _written(progress_path(warehouse, ISSUE_ID), host="another-host")  # cannot check: trusted
    remote = read_progress(warehouse, ISSUE_ID)
    assert remote is not None and remote.state == "running"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


def test_writes_are_at_most_every_half_second(tmp_path: Path, monkeypatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(progress_module, "time", clock)
    warehouse = tmp_path / "renkei.duckdb"
    writer = ProgressWriter(warehouse, ISSUE_ID, total=4)
    writer.start()
    writer.count(FIRST, "sent", 250, "2.0.0 queued")
    clock.now += 0.49
    writer.maybe_write()
    shown = read_progress(warehouse, ISSUE_ID)
    assert shown is not None and shown.done == 0  # too soon: not rewritten
    clock.now += 0.01
    writer.maybe_write()
    shown = read_progress(warehouse, ISSUE_ID)
    assert shown is not None and (shown.done, shown.sent) == (1, 1)
    writer.count(SECOND, "unknown", 354, "End data with <CR><LF>.<CR><LF>")
    writer.finish()  # the end is always written
    shown = read_progress(warehouse, ISSUE_ID)
    assert shown is not None
    assert (shown.done, shown.unknown, shown.finished, shown.percent) == (2, 1, True, 50.0)
    assert shown.failures == (
        SendFailure(SECOND, "unknown", 354, "End data with <CR><LF>.<CR><LF>"),
    )


def test_only_the_last_twenty_failures_are_kept(tmp_path: Path) -> None:
    writer = ProgressWriter(tmp_path / "renkei.duckdb", ISSUE_ID, total=25)
    for i in range(25):
        writer.count(f"x{i:02d}@example.jp", "failed", 550, "no")
    writer.finish()
    shown = read_progress(tmp_path / "renkei.duckdb", ISSUE_ID)
    assert shown is not None and shown.failed == 25
    assert [f.recipient for f in shown.failures] == [f"x{i:02d}@example.jp" for i in range(5, 25)]


def test_no_file_or_a_broken_one_reads_as_none(tmp_path: Path) -> None:
    warehouse = tmp_path / "renkei.duckdb"
    assert read_progress(warehouse, ISSUE_ID) is None
    progress_path(warehouse, ISSUE_ID).write_text("{not json", encoding="utf-8")
    assert read_progress(warehouse, ISSUE_ID) is None
    progress_path(warehouse, ISSUE_ID).write_text('{"issue_id": "x"}', encoding="utf-8")
    assert read_progress(warehouse, ISSUE_ID) is None
    assert os.listdir(tmp_path) == [progress_path(warehouse, ISSUE_ID).name]  # nothing else
