"""What a refresh's speed rests on keeps behaviour: one staged frame per run equal to a
frame per feed, the read-only read of the feed state (with the old fallback), and the
warehouse opened in a thread while the last bodies are parsed (closed on any error)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from renkei import pipeline
from renkei.core.settings import load_settings
from renkei.core.staging import staged_frame
from renkei.feeds.due import load_feed_state
from renkei.feeds.ingest import _Batch
from renkei.feeds.opening import OpenAhead
from warehouse.connection import WAIT_SECONDS, holder, open_warehouse
from warehouse.errors import WarehouseBusy


def test_the_run_stages_one_frame_equal_to_a_frame_per_feed() -> None:
    at = datetime(2026, 12, 5, tzinfo=UTC)
    feeds: list[tuple[str, str, str, list[dict[str, object]]]] = [
        ("m1", "a" * 64, "https://m1.example.jp/feed", [{"position": 0, "title": "x"}]),
        ("m2", "b" * 64, "https://m2.example.jp/feed", [{"position": 3}, {"position": 4}]),
    ]
    batch = _Batch()
    for member, sha, ref, rows in feeds:
        batch.stage(rows, raw_sha256=sha, member_id=member, source_ref=ref, staged_at=at)
    expected = pl.concat(
        staged_frame(
            rows,
            raw_sha256=sha,
            source_kind="feed",
            member_id=member,
            source_ref=ref,
            staged_at=at,
        )
        for member, sha, ref, rows in feeds
    )
    got = pl.DataFrame(batch.staged, schema=expected.schema)
    assert got.equals(expected)


def test_feed_state_is_read_before_and_after_the_warehouse_exists(workdir: Path) -> None:
    settings = load_settings(workdir / "renkei.toml")
    assert not settings.warehouse.exists()
    assert load_feed_state(settings) == {}  # made and migrated, as before
    assert settings.warehouse.exists()
    members = pipeline.sync_registry(settings)
    assert load_feed_state(settings) == {}  # read-only now: nothing fetched yet
    assert members is not None


def test_the_warehouse_opened_ahead_is_closed_when_the_parse_fails(workdir: Path) -> None:
    settings = load_settings(workdir / "renkei.toml")
    with pytest.raises(OSError, match="disk full"):
        with OpenAhead(settings.warehouse, stage="ingest_feeds") as warehouse:
            warehouse.start()  # opening in its thread while bodies are stored and parsed
            raise OSError("disk full")  # a raw-store write failing
    assert holder(settings.warehouse) is None  # closed: another process may open it
    with open_warehouse(settings.warehouse, stage="test") as con:
        assert con.execute("SELECT count(*) FROM feed_state").fetchone() == (0,)


def test_the_warehouse_opened_ahead_commits_what_is_written(workdir: Path) -> None:
    settings = load_settings(workdir / "renkei.toml")
    with OpenAhead(settings.warehouse, stage="ingest_feeds") as warehouse:
        con = warehouse.connection()  # not started: opened now
        note = holder(settings.warehouse)
        assert note is not None and note["stage"] == "ingest_feeds"
        con.execute("CREATE TABLE ahead_probe (n INTEGER)")
        con.execute("INSERT INTO ahead_probe VALUES (1)")
    assert holder(settings.warehouse) is None
    with open_warehouse(settings.warehouse, read_only=True) as con:
        assert con.execute("SELECT n FROM ahead_probe").fetchall() == [(1,)]


def test_the_warehouse_opened_ahead_waits_as_long_as_the_caller_would(workdir: Path) -> None:
    """The open runs in a thread, in the caller's context: a caller that waits 0 s for a
    busy warehouse (a web request, say) is told at once, not after the default 10 s."""
    settings = load_settings(workdir / "renkei.toml")
    with open_warehouse(settings.warehouse, stage="test"):
        pass  # made and migrated
    holder_code = (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
        "print('ready', flush=True); time.sleep(30)"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", holder_code, str(settings.warehouse)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "ready"
        token = WAIT_SECONDS.set(0.0)
        started = time.monotonic()
        try:
            with OpenAhead(settings.warehouse, stage="ingest_feeds") as warehouse:
                warehouse.start()
                with pytest.raises(WarehouseBusy):
                    warehouse.connection()
        finally:
            WAIT_SECONDS.reset(token)
        assert time.monotonic() - started < 5
    finally:
        other.kill()
        other.wait()
