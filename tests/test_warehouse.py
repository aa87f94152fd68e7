"""The DuckDB file: migrations recorded once, and a clear message while another process holds it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from renkei.errors import WarehouseBusy
from warehouse.connection import open_warehouse
from warehouse.migrations import available


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
