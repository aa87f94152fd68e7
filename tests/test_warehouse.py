"""The DuckDB file: migrations recorded once, and a clear message while another process holds it."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from renkei.core.errors import WarehouseBusy
from warehouse.connection import open_warehouse
from warehouse.migrations import available, migrate
from warehouse.queries import FrameStream, arrow_views, execute, registered


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    for _ in range(2):
        with open_warehouse(path) as con:
            rows = con.execute("SELECT version, name FROM schema_version").fetchall()
    assert rows == [(v, n) for v, n, _ in available()]
    assert rows[0] == (1, "init")


def test_reader_waits_then_names_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with open_warehouse(path):
        pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from warehouse.connection import open_warehouse\n"
                f"with open_warehouse({str(path)!r}, stage='normalize'):\n"
                "    print('held', flush=True); time.sleep(30)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match=r"warehouse busy: normalize since .* \(pid \d+\)"):
            with open_warehouse(path, read_only=True, wait_seconds=1):
                pass
        assert time.monotonic() - started >= 1
    finally:
        holder.kill()
        holder.wait()


def _migrated_before(path: Path, version: int) -> duckdb.DuckDBPyConnection:
    """A warehouse file with every migration before ``version`` applied and recorded."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL)"
    )
    for number, name, text in available():
        if number < version:
            con.execute(text)
            con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [number, name])
    return con


def test_migration_011_keys_quarantine_by_member_and_keeps_its_rows(tmp_path: Path) -> None:
    con = _migrated_before(tmp_path / "w.duckdb", 11)
    con.execute(
        "INSERT INTO quarantine VALUES (NULL, 'abc', 1, 'ind-04', 'submission', '件名が空です',"
        " '{}', TIMESTAMPTZ '2026-11-20 10:00:00+09')"
    )
    assert migrate(con) == [v for v, _, _ in available() if v >= 11]  # 011 and any later
    con.execute(  # the same row of the same bytes, from another member: its own row now
        "INSERT INTO quarantine VALUES (NULL, 'abc', 1, 'aca-13', 'submission', '件名が空です',"
        " '{}', TIMESTAMPTZ '2026-11-20 10:00:00+09')"
    )
    assert con.execute("SELECT member_id FROM quarantine ORDER BY 1").fetchall() == [
        ("aca-13",),
        ("ind-04",),
    ]
    con.close()


def test_migration_029_drops_the_activity_keys_and_keeps_every_row(tmp_path: Path) -> None:
    con = _migrated_before(tmp_path / "w.duckdb", 29)
    con.execute(
        "INSERT INTO activities (activity_id, member_id, source, title, title_key, category,"
        " category_rule, all_day, content_sha256, first_seen_at, updated_at, fee_text) VALUES"
        " ('a1', 'aca-01', 'feed', '産学連携セミナー', 'k', 'event', 'r', true, 'h',"
        " TIMESTAMPTZ '2026-11-20 10:00:00+09', TIMESTAMPTZ '2026-11-21 10:00:00+09', '無料')"
    )
    con.execute("INSERT INTO activity_organisers VALUES ('a1', 'aca-01', 'host', 'publisher')")
    before = con.execute("SELECT * FROM activities").fetchall()

    assert migrate(con) == [v for v, _, _ in available() if v >= 29]

    assert con.execute("SELECT * FROM activities").fetchall() == before
    assert con.execute("SELECT * FROM activity_organisers").fetchall() == [
        ("a1", "aca-01", "host", "publisher")
    ]
    keys = con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        " AND table_name IN ('activities', 'activity_organisers')"
    ).fetchall()
    assert keys == []
    assert con.execute("SELECT count(*) FROM upcoming_events").fetchall() == [(0,)]  # views read on
    con.close()


def _row_groups(con: duckdb.DuckDBPyConnection) -> int:
    found = con.execute(
        "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('probe')"
    ).fetchall()
    return found[0][0]


def test_a_writer_with_small_row_groups_writes_what_every_connection_reads(
    tmp_path: Path,
) -> None:
    """open_warehouse(small_row_groups=True): the file attached with row groups of 16,384
    rows (written as an insert goes, not all at the commit); spills beside the file; a
    second open in the same process waits as for another process."""
    path = tmp_path / "w.duckdb"
    with open_warehouse(path, small_row_groups=True) as con:
        assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [
            (f"{path}.tmp",)
        ]
        con.execute("CREATE TABLE probe AS SELECT range AS n FROM range(40000)")
        assert _row_groups(con) == 3  # 16,384 + 16,384 + 7,232
        with pytest.raises(WarehouseBusy):
            with open_warehouse(path, wait_seconds=0.2):
                pass
    with open_warehouse(path) as con:
        assert con.execute("SELECT count(*), sum(n) FROM probe").fetchall() == [
            (40000, 40000 * 39999 // 2)
        ]
        con.execute("CREATE TABLE probe2 AS SELECT range AS n FROM range(40000)")
        groups = con.execute(
            "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('probe2')"
        ).fetchall()
        assert groups == [(1,)]  # the usual size elsewhere
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb"]


def test_a_reader_in_the_process_of_a_writer_waits_as_for_another_process(
    tmp_path: Path,
) -> None:
    """A read-only open while a writer on another thread of this process holds the file
    (DuckDB: "a different configuration than existing connections") is busy, not broken:
    it waits, and opens once the writer is done; and the other way round."""
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as con:
        con.execute("CREATE TABLE probe AS SELECT 1 AS n")
        with pytest.raises(WarehouseBusy):
            with open_warehouse(path, read_only=True, wait_seconds=0.2):
                pass
    with open_warehouse(path, read_only=True) as con:
        assert con.execute("SELECT n FROM probe").fetchall() == [(1,)]
        with pytest.raises(WarehouseBusy):
            with open_warehouse(path, wait_seconds=0.2):
                pass


_WITHOUT_PYARROW = """
import sys
sys.modules["pyarrow"] = None  # any import of pyarrow fails
from pathlib import Path
from renkei import pipeline
from renkei.core.settings import load_settings
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

settings = load_settings(Path(sys.argv[1]))
outcome = pipeline.ingest_submission(settings, Path(sys.argv[2]), "cci")
with open_warehouse(settings.warehouse, read_only=True) as con:
    rows = run_query(con, "staged_row_count").item()
print(outcome.accepted, outcome.rejected, rows)
"""


def test_a_csv_intake_needs_no_pyarrow(settings_for, tmp_path: Path) -> None:
    """Frames go to DuckDB and results come back through the Arrow C stream interface
    (warehouse.queries.FrameStream): pyarrow is 37 MB of a process's memory, and the
    intake's peak is held under 350 MB (bench/csv_intake.py)."""
    settings = settings_for(["cci,テスト商工会議所,industry,産,岡山県,prefecture,,"])
    report = Path(__file__).parent / "fixtures" / "normalize" / "cci-report.csv"

    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PYARROW, str(settings.source), str(report)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    accepted, _rejected, staged = map(int, done.stdout.split())
    assert accepted > 0 and staged == accepted  # every accepted row staged


def test_frames_reach_duckdb_in_place_and_come_back_with_their_types(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "id": ["a", "b", None],
            "n": [1, None, 3],
            "at": [datetime(2026, 12, 5, 9, tzinfo=UTC), None, None],
            "flag": [True, False, None],
        }
    )
    with open_warehouse(tmp_path / "w.duckdb") as con:
        assert isinstance(arrow_views(frame), FrameStream)
        with registered(con, batch=frame):
            con.execute(
                "CREATE TEMP VIEW twice AS SELECT * FROM batch UNION ALL SELECT * FROM batch"
            )
            back = pl.DataFrame(con.sql("SELECT * FROM twice"))
        assert back.schema == pl.Schema(
            {
                "id": pl.String,
                "n": pl.Int64,
                "at": pl.Datetime("us", "Asia/Tokyo"),
                "flag": pl.Boolean,
            }
        )
        assert back.to_dicts() == frame.to_dicts() * 2

        untyped = pl.DataFrame({"id": ["a"], "error": [None]})  # Polars' Null type
        assert not isinstance(arrow_views(untyped), FrameStream)  # DuckDB's stream reader
        with registered(con, batch=untyped):  # refuses an Arrow null column: pyarrow reads it
            assert con.execute("SELECT id, error FROM batch").fetchall() == [("a", None)]


def test_normalise_memory_settings_are_put_back(tmp_path: Path) -> None:
    """What a full normalise sets for its read (a small buffer, the background thread that
    gives memory back) is reset after it, for a process that goes on using the warehouse."""
    with open_warehouse(tmp_path / "w.duckdb") as con:

        def settings() -> list[tuple[object, ...]]:
            return con.execute(
                "SELECT current_setting('memory_limit'),"
                " current_setting('allocator_background_threads')"
            ).fetchall()

        before = settings()
        execute(con, "normalize_memory_read")
        assert settings() != before
        execute(con, "normalize_memory_reset")
        assert settings() == before


def test_migration_030_puts_the_english_suppression_reasons_into_japanese(tmp_path: Path) -> None:
    """Reasons stored before 2026-12-05 read as reason_ja writes them now; the server's own
    words are kept, and a reason of any other form is left alone."""
    con = _migrated_before(tmp_path / "w.duckdb", 30)
    reasons = {
        "a@x.jp": "hard 5.1.1 issue 2026-11: 550 5.1.1 user unknown",
        "b@x.jp": "3 of the last 5 deliveries: soft 4.2.2 issue 2026-11: 452 full: try later",
        "c@x.jp": "complaint issue 2026-11",
        "d@x.jp": "hard 5.0.0: line1\nline2",
        "e@x.jp": "恒久的な不達（5.1.1・2026-11号）：550 user unknown",
        "f@x.jp": "hardware failure",
    }
    for email, reason in reasons.items():
        con.execute(
            "INSERT INTO contacts (email, member_id, status, consent_source, consent_at,"
            " updated_at, suppressed_reason) VALUES (?, 'aca-01', 'bounced', 'registry',"
            " now(), now(), ?)",
            [email, reason],
        )

    assert migrate(con) == [v for v, _, _ in available() if v >= 30]

    found = dict(con.execute("SELECT email, suppressed_reason FROM contacts").fetchall())
    assert found == {
        "a@x.jp": "恒久的な不達（5.1.1・2026-11号）：550 5.1.1 user unknown",
        "b@x.jp": "直近5通のうち3通が届かず：一時的な不達（4.2.2・2026-11号）：452 full: try later",
        "c@x.jp": "苦情（2026-11号）",
        "d@x.jp": "恒久的な不達（5.0.0）：line1\nline2",
        "e@x.jp": "恒久的な不達（5.1.1・2026-11号）：550 user unknown",
        "f@x.jp": "hardware failure",
    }
    con.close()
