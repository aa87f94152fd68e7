"""`renkei watch` as a real process on a real folder (no Prefect API: it ingests itself).

The Prefect path (events → on-submission deployment) is driven end to end by the
orchestration tests; here: settling, what is ignored, once per sha256, restart, signals.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from intake_support import FIXTURES, REGISTRY, drop, rows

from renkei.core.settings import Settings
from renkei.submissions.watch import InboxWatcher, WatchJournal, is_candidate


@pytest.fixture
def settings(settings_for) -> Settings:
    return settings_for(REGISTRY)


EOF = "\x00end of output"


class Watch:
    """A `renkei watch` process whose output lines are read with a timeout."""

    def __init__(self, settings: Settings, tmp: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_HOME=str(tmp / "prefect-home"), RENKEI_INTAKE__SETTLE_SECONDS="0.3")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "renkei", "watch", "--config", str(settings.source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(EOF)

    def rest(self, timeout: float = 30) -> list[str]:
        """Every line up to the end of the output (the process has ended)."""
        seen = []
        while (line := self.lines.get(timeout=timeout)) is not EOF:
            seen.append(line)
        return seen

    def next(self, timeout: float = 60) -> str:
        return self.lines.get(timeout=timeout)

    def quiet_for(self, seconds: float) -> list[str]:
        seen = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                seen.append(self.lines.get(timeout=left))
            except queue.Empty:
                break
        return seen

    def stop(self, signum: int) -> int:
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def test_watch_takes_in_each_settled_file_once_and_ignores_the_rest(
    settings: Settings, tmp_path: Path
) -> None:
    drop(settings, "cp932_japanese.csv")  # dropped while watch was not running
    watch = Watch(settings, tmp_path)
    try:
        assert watch.next().endswith(
            "no Prefect API configured (PREFECT_API_URL): ingesting directly; Ctrl-C stops"
        )
        assert watch.next() == "ingested ind-04/cp932_japanese.csv: 4 rows read (cp932), 4 new"
        assert watch.next() == "normalize: 4 staged rows -> 4 activities, 0 quarantined"
        folder = settings.inbox / "ind-04"
        for name in (".hidden.csv", "~$report.xlsx", "report.csv.crdownload", "x.csv.受付結果.txt"):
            (folder / name).write_bytes((FIXTURES / "one_bad_row.csv").read_bytes())
        (settings.inbox / "loose.csv").write_bytes(b"title\nx\n")
        drop(settings, "excel_unicode_text.txt", as_name="unicode.txt")
        assert watch.next() == "ingested ind-04/unicode.txt: 2 rows read (utf-16), 2 new"
        assert watch.next() == "normalize: 6 staged rows -> 6 activities, 0 quarantined"
        assert watch.stop(signal.SIGTERM) == 0
        assert watch.rest() == ["watch stopped"]
    finally:
        if watch.proc.poll() is None:
            watch.proc.kill()
    assert sorted(p.name for p in (settings.inbox / "ind-04").glob("*.受付結果.txt")) == [
        "cp932_japanese.csv.受付結果.txt",
        "unicode.txt.受付結果.txt",
        "x.csv.受付結果.txt",
    ]

    drop(settings, "utf8_bom_english.csv")  # arrives while watch is stopped
    again = Watch(settings, tmp_path)
    try:
        again.next()  # the start-up line
        assert (
            again.next() == "ingested ind-04/utf8_bom_english.csv: 2 rows read (utf-8-sig), 2 new"
        )
        assert again.next() == "normalize: 8 staged rows -> 8 activities, 0 quarantined"
        assert again.quiet_for(2) == []  # the files handled before are not handled again
        assert again.stop(signal.SIGINT) == 0
    finally:
        if again.proc.poll() is None:
            again.proc.kill()
    assert rows(settings, "SELECT count(*) FROM submissions") == [(3,)]


class Recorder:
    how = "recorded"

    def __init__(self) -> None:
        self.handled: list[tuple[str, str]] = []

    def handle(self, path: Path, member_id: str, sha256: str) -> str:
        self.handled.append((member_id, path.name))
        return f"handled {path.name}"

    def after_batch(self) -> str | None:
        return None


def test_a_file_still_being_written_waits_until_it_settles(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "ind-04").mkdir(parents=True)
    recorder = Recorder()
    watcher = InboxWatcher(
        inbox, recorder, WatchJournal(tmp_path / "w.jsonl"), settle_seconds=1.0, echo=lambda _: None
    )
    path = inbox / "ind-04" / "big.csv"
    path.write_bytes(b"title\n")
    watcher.notice(path)
    assert watcher.process(now=100.0) == 0  # first sight: size noted
    path.write_bytes(b"title\nmore\n")
    assert watcher.process(now=100.9) == 0  # grew: the clock starts again
    assert watcher.process(now=101.5) == 0
    assert watcher.process(now=102.0) == 1
    assert recorder.handled == [("ind-04", "big.csv")]
    path.touch()
    watcher.notice(path)  # same bytes again (e.g. saved unchanged): not handled twice
    assert watcher.process(now=200.0) == 0 and watcher.process(now=202.0) == 0
    assert WatchJournal(tmp_path / "w.jsonl").seen("ind-04", recorder_sha(path))


def recorder_sha(path: Path) -> str:
    from renkei.core.rawstore import sha256_hex

    return sha256_hex(path.read_bytes())


@pytest.mark.parametrize(
    ("relative", "wanted"),
    [
        ("ind-04/report.csv", True),
        ("ind-04/報告 2026年11月.xlsx", True),
        ("ind-04/report.csv.受付結果.txt", False),
        ("ind-04/~$report.xlsx", False),
        ("ind-04/.report.csv", False),
        ("ind-04/report.csv.part", False),
        ("ind-04/report.xlsx.crdownload", False),
        ("ind-04/Thumbs.db", False),
        ("report.csv", False),
        ("ind-04/sub/report.csv", False),
        (".trash/report.csv", False),
    ],
)
def test_which_inbox_files_are_submissions(tmp_path: Path, relative: str, wanted: bool) -> None:
    assert is_candidate(tmp_path / relative, tmp_path) is wanted


def test_a_new_member_folder_is_looked_into_when_it_appears(tmp_path: Path) -> None:
    """Files copied into a folder created a moment earlier raise no event of their own."""
    inbox = tmp_path / "inbox"
    folder = inbox / "aca-13"
    folder.mkdir(parents=True)
    (folder / "report.csv").write_bytes(b"title\nx\n")
    (folder / "report.csv.受付結果.txt").write_bytes(b"receipt")
    recorder = Recorder()
    watcher = InboxWatcher(
        inbox, recorder, WatchJournal(tmp_path / "w.jsonl"), settle_seconds=1.0, echo=lambda _: None
    )
    watcher.notice(folder)  # the only event: the folder was added
    assert watcher.process(now=100.0) == 0
    assert watcher.process(now=101.0) == 1
    assert recorder.handled == [("aca-13", "report.csv")]
