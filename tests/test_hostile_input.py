"""Hostile submitted files, scaled down: each is rejected whole with the limit named, its raw
bytes kept, peak RSS well under 1 GB, and the member's next good file is still taken in.

Each case runs the real intake (`ingest_submission`) in its own process, so the peak RSS
(getrusage) printed is that file's alone; the generators are bench/hostile.py's, which runs
them at the issue's full sizes. Limits are the defaults unless the case says otherwise.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from intake_support import REGISTRY, receipt_of, rows

from renkei import pipeline
from renkei.core.rawstore import RawStore, sweep_incoming
from renkei.core.settings import Settings
from renkei.submissions.watch import InboxWatcher, WatchJournal

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("hostile", ROOT / "bench" / "hostile.py")
assert _spec is not None and _spec.loader is not None
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)

MB = 1024 * 1024
RSS_CAP_MB = 1024
CELL = "1つのセルの上限20,000文字"

# name, file, make, environment, the error (after "<file>: ")
CASES: list[tuple[str, str, Callable[[Path], None], dict[str, str], str]] = [
    (
        "100,000 columns",
        "wide.csv",
        lambda p: hostile.wide_csv(p, 100_000),
        {},
        "列が多すぎます（上限200列）",
    ),
    (
        "a 2 MB line",
        "long-line.csv",
        lambda p: hostile.long_line_csv(p, 2 * MB),
        {},
        "2行目が長すぎます（1行の上限1MB）",
    ),
    (
        "a 1 MB cell in short lines",
        "huge-cell.csv",
        lambda p: hostile.huge_cell_csv(p, MB),
        {},
        f"2行目のセルの文字数が多すぎます（{CELL}）",
    ),
    (
        "shared-string table of 40 MB (zipped to KBs)",
        "bomb.xlsx",
        lambda p: hostile.shared_string_bomb(p, 40 * MB, 10),
        {},
        "Excel ファイルの文字列の表が大きすぎます（上限32MB）",
    ),
    (
        "one 30,000-char shared string in 100 cells",
        "long-shared.xlsx",
        lambda p: hostile.shared_string_bomb(p, 30_000, 100),
        {},
        f"2行目のセルの文字数が多すぎます（{CELL}）",
    ),
    (
        "one 15,000-char shared string in 3,000 cells (45 M chars)",
        "bomb-by-reference.xlsx",
        lambda p: hostile.shared_string_bomb(p, 15_000, 3_000),
        {},
        "Excel ファイルのセルの文字が多すぎます（合計の上限33,554,432文字）",
    ),
    (
        "150,000 rows xlsx",
        "many-rows.xlsx",
        lambda p: hostile.many_rows_xlsx(p, 150_000),
        {},
        "行が多すぎます（上限100,000行。見出し行を除き、空行を含みます）",
    ),
    (
        "2 MB CSV over a 1 MB file limit",
        "oversize.csv",
        lambda p: hostile.oversize_csv(p, 2 * MB),
        {"RENKEI_INTAKE__MAX_FILE_BYTES": str(MB)},
        "ファイルが大きすぎます（上限1MB）",
    ),
]


@pytest.fixture
def settings(settings_for) -> Settings:
    return settings_for(REGISTRY)


def _kept(settings: Settings, path: Path, sha256: str) -> bytes:
    return RawStore(settings.raw_store).path_for(sha256).read_bytes()


@pytest.mark.parametrize(
    ("case", "file", "make", "env", "reason"), CASES, ids=[c[0] for c in CASES]
)
def test_hostile_file_is_rejected_whole_with_its_limit_in_bounded_memory(
    settings: Settings, case, file, make, env, reason
) -> None:
    inbox = settings.inbox / "ind-04"
    inbox.mkdir(parents=True)
    path, good = inbox / file, inbox / "good.csv"
    make(path)
    hostile.good_csv(good)

    bad, after = hostile.run_intakes(settings.source, "ind-04", [path, good], env)
    print(f"\n{case}: {path.stat().st_size:,} bytes → {bad['error']}; "
          f"peak RSS {bad['rss_mb']:.0f} MB, {bad['seconds']} s")  # fmt: skip

    assert bad["error"] == f"{file}: {reason}"
    assert (bad["accepted"], bad["rejected"]) == (0, 0)
    assert bad["rss_mb"] < RSS_CAP_MB
    assert f"  理由：{reason}\n" in receipt_of(path)
    data = path.read_bytes()
    assert bad["sha256"] == hashlib.sha256(data).hexdigest()
    assert _kept(settings, path, bad["sha256"]) == data  # the raw bytes are kept
    assert rows(settings, "SELECT status, error FROM submissions WHERE file_name = ?", [file]) == [
        ("rejected", f"{file}: {reason}")
    ]
    assert (after["error"], after["accepted"]) == (None, 2)  # the member's good file


def test_sheet_claiming_a1_to_xfd1048576_is_read_within_its_used_cells(settings: Settings) -> None:
    path = settings.inbox / "ind-04" / "dimension.xlsx"
    path.parent.mkdir(parents=True)
    hostile.dimension_bomb(path)

    (result,) = hostile.run_intakes(settings.source, "ind-04", [path])
    print(f"\ndimension A1:XFD1048576: peak RSS {result['rss_mb']:.0f} MB, {result['seconds']} s")

    assert (result["error"], result["accepted"], result["rejected"]) == (None, 1, 0)
    assert result["rss_mb"] < RSS_CAP_MB


def test_temporary_files_left_by_a_killed_intake_are_removed_at_the_next_start(
    tmp_path: Path,
) -> None:
    root = tmp_path / "raw"
    (root / "ab").mkdir(parents=True)
    stale = root / "ab" / ".incoming-abcd-4242-1"
    fresh = root / "ab" / ".incoming-abce-4243-1"  # another process writing right now
    kept = root / "ab" / "ab12"
    for path in (stale, fresh, kept):
        path.write_bytes(b"partial")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    os.utime(kept, (an_hour_ago, an_hour_ago))

    RawStore(root)  # the first store opened on this root in this process sweeps it

    assert sorted(p.name for p in (root / "ab").iterdir()) == [fresh.name, kept.name]
    assert sweep_incoming(root, older_than=0) == [fresh]


def test_links_and_fifos_in_the_inbox_are_refused_with_a_line_and_never_followed(
    settings: Settings, tmp_path: Path
) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    folder = settings.inbox / "ind-04"
    folder.mkdir(parents=True)
    (folder / "link.csv").symlink_to(secret)
    os.mkfifo(folder / "pipe.csv")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "report.csv").write_text("件名\nx\n", "utf-8")
    (settings.inbox / "aca-13").symlink_to(outside, target_is_directory=True)
    hostile.good_csv(folder / "good.csv")
    said: list[str] = []
    watcher = InboxWatcher(settings.inbox.resolve(), _Recorder(), WatchJournal(tmp_path / "j"),
                           settle_seconds=0, echo=said.append)  # fmt: skip

    watcher.scan()
    watcher.process(now=0)
    watcher.process(now=1)

    assert said == [
        "refused aca-13: a symbolic link: refused (never followed)",
        "refused ind-04/link.csv: a symbolic link: refused (never followed)",
        "refused ind-04/pipe.csv: not a regular file: refused",
        "handled ind-04/good.csv",
    ]
    outcomes = pipeline.ingest_inbox(settings)
    assert [(o.member_id, o.file_name, o.accepted) for o in outcomes] == [("ind-04", "good.csv", 2)]
    kept = [p.read_bytes() for p in settings.raw_store.rglob("*") if p.is_file()]
    assert not [b for b in kept if b.startswith(b"root:")]


class _Recorder:
    how = "recorded"

    def handle(self, path: Path, member_id: str, sha256: str) -> str:
        return f"handled {member_id}/{path.name}"

    def after_batch(self) -> str | None:
        return None
