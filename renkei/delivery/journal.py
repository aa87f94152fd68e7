"""The send journal: every delivery state change, appended to a file before anything else.

A DuckDB commit costs a few milliseconds (it syncs its log), three per message would cap a
send far below 200 messages/s. So each state change of a delivery — ``sending`` before the
SMTP transaction, ``handed_over`` before the final ".", ``sent``/``failed`` after the
reply, ``unknown`` when no reply came — is first one ``write()`` to
``<warehouse>.send-<issue>.journal`` (microseconds), and the ``deliveries`` table is
brought up to date from it in short batched transactions (every ``FLUSH_ROWS`` changes or
``FLUSH_SECONDS``, and at the end).

A ``write()`` that returned is in the operating system's page cache, so it survives the
process being killed (SIGKILL, OOM, a crash); the next send replays the journal into the
table before deciding anything, then removes it. It is not synced to disk per message: a
power cut during a send can lose the last moments of the journal (documented in the README).
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from renkei.core.staging import write_batch
from warehouse.transaction import transaction

# No other process can read the warehouse while a send holds it, so the table is brought up
# to date only now and then (its commits cost CPU the SMTP server could use) and at the end.
FLUSH_ROWS = 5000
FLUSH_SECONDS = 10.0

SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "issue_id": pl.String,
    "recipient": pl.String,
    "member_id": pl.String,
    "status": pl.String,
    "message_id": pl.String,
    "transport": pl.String,
    "attempted_at": pl.Datetime("us", "UTC"),
    "sent_at": pl.Datetime("us", "UTC"),
    "error": pl.String,
    "phase": pl.String,
    "smtp_code": pl.Int32,
    "smtp_reply": pl.String,
    "attempts": pl.Int32,
}
_TIMES = ("attempted_at", "sent_at")


def journal_path(warehouse: Path, issue_id: str) -> Path:
    return Path(warehouse).with_name(f"{Path(warehouse).name}.send-{issue_id}.journal")


def _to_line(state: dict[str, Any]) -> bytes:
    out = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in state.items()}
    return (json.dumps(out, ensure_ascii=False) + "\n").encode("utf-8")


def _from_line(line: str) -> dict[str, Any] | None:
    try:
        state = json.loads(line)
    except ValueError:
        return None  # a torn last line (only possible after a power cut)
    for key in _TIMES:
        if state.get(key):
            state[key] = datetime.fromisoformat(state[key])
    return state


class SendJournal:
    def __init__(self, warehouse: Path, issue_id: str) -> None:
        self.path = journal_path(warehouse, issue_id)
        self.pending: dict[str, dict[str, Any]] = {}
        self._fd: int | None = None
        self._flushed = time.monotonic()

    def replay(self, con: duckdb.DuckDBPyConnection) -> int:
        """Apply a killed run's journal to the table, then remove it; return rows applied."""
        if not self.path.exists():
            return 0
        latest: dict[str, dict[str, Any]] = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            state = _from_line(line)
            if state is not None:
                latest[state["recipient"]] = state
        self._write_rows(con, list(latest.values()))
        self.path.unlink()
        return len(latest)

    def record(self, state: dict[str, Any]) -> None:
        """Append one state change; returns once the OS has it (microseconds, no DuckDB:
        it is called between the body and the final "." of DATA, where the server waits)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.write(self._fd, _to_line(state))
        self.pending[state["recipient"]] = state

    def maybe_flush(self, con: duckdb.DuckDBPyConnection) -> None:
        """Bring the table up to date if enough has piled up (call between messages)."""
        if len(self.pending) >= FLUSH_ROWS or time.monotonic() - self._flushed > FLUSH_SECONDS:
            self.flush(con)

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        self._write_rows(con, list(self.pending.values()))
        self.pending.clear()
        self._flushed = time.monotonic()

    def close(self, con: duckdb.DuckDBPyConnection) -> None:
        """Flush everything to the table and remove the journal (the run ended normally)."""
        self.flush(con)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)

    @staticmethod
    def _write_rows(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        frame = pl.DataFrame([{k: r.get(k) for k in SCHEMA} for r in rows], schema=SCHEMA)
        with transaction(con):
            write_batch(con, "delivery_upsert_batch", frame)
