"""Open the DuckDB file late, close it early, and say who holds it when it is busy.

DuckDB lets one process hold the file; while a writer has it, other processes cannot
open it even read-only. Writers leave a small ``<file>.holder`` note (stage, pid, time)
so a waiting reader can say "warehouse busy: normalize since 10:02:11 (pid 4242)".
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseBusy, WarehouseError
from warehouse.migrations import migrate
from warehouse.queries import sql

TIMEZONE = "Asia/Tokyo"
# How long an open waits for another process to let go of the file, when the caller does not
# say. A web request sets it shorter for its thread (a person is waiting; the page says the
# warehouse is busy instead), everything else keeps ten seconds.
WAIT_SECONDS: ContextVar[float] = ContextVar("renkei_warehouse_wait_seconds", default=10.0)


def _holder_path(path: Path) -> Path:
    return path.with_name(path.name + ".holder")


def holder(path: Path) -> dict[str, str] | None:
    """The note of the process holding the warehouse for writing (stage, pid, since), if any."""
    try:
        note = json.loads(_holder_path(Path(path)).read_text(encoding="utf-8"))
        return {"stage": str(note["stage"]), "since": str(note["since"]), "pid": str(note["pid"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _describe_holder(path: Path) -> str:
    note = holder(path)
    if note is None:
        return "another process"
    return f"{note['stage']} since {note['since']} (pid {note['pid']})"


def _is_lock_error(exc: duckdb.Error) -> bool:
    # Another process holds the file ("lock"), or in this process another connection does:
    # one with other settings ("different configuration", e.g. a reader while a flow run
    # on another thread writes) or another attachment ("file handle conflict").
    text = str(exc).lower()
    return "lock" in text or "conflict" in text or "different configuration" in text


def _attached(path: Path) -> duckdb.DuckDBPyConnection:
    """The file attached with small row groups (``attach_small_row_groups.sql``), as the
    default database; spills go where they go for the file itself (``<file>.tmp``)."""
    con = duckdb.connect(config={"temp_directory": str(path) + ".tmp"})
    try:
        con.execute(sql("attach_small_row_groups"), {"path": str(path)})
        con.execute("USE warehouse")  # a statement of its own: the ATTACH binds $path
    except BaseException:
        con.close()
        raise
    return con


def _connect(
    path: Path, read_only: bool, wait_seconds: float, small_row_groups: bool = False
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            if small_row_groups:
                return _attached(path)
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise WarehouseError(f"{path}: cannot open the warehouse: {exc}") from None
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"warehouse busy: {_describe_holder(path)} holds {path}; try again shortly",
                    holder=holder(path),
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


@contextmanager
def open_warehouse(
    path: Path,
    *,
    read_only: bool = False,
    stage: str = "renkei",
    wait_seconds: float | None = None,
    small_row_groups: bool = False,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a connection with the schema migrated (writers) and the session in JST.

    ``small_row_groups`` (writers): rows are written in row groups of 16,384 instead of
    122,880, so a big insert is compressed and written as it goes instead of all at the
    commit (a submission's intake: the commit's memory and time go into the inserts, which
    overlap the judging of the next part). Read as any others by every connection."""
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(
            f"{path}: warehouse not found (run `renkei ingest-feeds` or `renkei demo` first)"
        )
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    wait = WAIT_SECONDS.get() if wait_seconds is None else wait_seconds
    con = _connect(path, read_only, wait, small_row_groups and not read_only)
    holder = _holder_path(path)
    try:
        con.execute(f"SET TimeZone = '{TIMEZONE}'")  # constant, not a value from input
        if not read_only:
            holder.write_text(
                json.dumps(
                    {
                        "stage": stage,
                        "pid": os.getpid(),
                        "since": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                    }
                ),
                encoding="utf-8",
            )
            migrate(con)
        yield con
    finally:
        con.close()
        if not read_only:
            holder.unlink(missing_ok=True)
