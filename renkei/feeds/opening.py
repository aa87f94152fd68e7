"""Open the warehouse in a background thread while the last feed bodies are parsed.

Opening the DuckDB file costs about 20 ms of CPU (the database instance, the schema check),
nearly all of it in DuckDB with the GIL released; a refresh parses bodies in Python for
longer than that. So the open starts when at most ``AHEAD`` bodies are left to store and
parse, on the other core, and the commit finds the connection ready. The warehouse is
still opened only after the fetch, never during network I/O, and held longer than before
by at most the time those last bodies take to parse (about 0.5 ms each when a few items
changed, 4 ms for a whole new 10-item feed).
"""

from __future__ import annotations

import contextvars
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from warehouse.connection import open_warehouse

AHEAD = 64  # bodies left to parse when the open starts


class OpenAhead:
    """``open_warehouse(path, stage=stage)``, begun by ``start`` in a thread; the
    connection from ``connection()``; closed (and the thread joined) on leaving."""

    def __init__(self, path: Path, *, stage: str) -> None:
        self.path, self.stage = path, stage
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="renkei-open")
        self._opening: Future[tuple[Any, duckdb.DuckDBPyConnection]] | None = None

    def _open(self) -> tuple[Any, duckdb.DuckDBPyConnection]:
        manager = open_warehouse(self.path, stage=self.stage)
        return manager, manager.__enter__()

    def start(self) -> None:
        if self._opening is None:  # in the caller's context (its warehouse wait, say)
            self._opening = self._pool.submit(contextvars.copy_context().run, self._open)

    def connection(self) -> duckdb.DuckDBPyConnection:
        self.start()
        assert self._opening is not None
        return self._opening.result()[1]  # an error opening (busy, migration) is raised here

    def __enter__(self) -> OpenAhead:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._opening is None:
                return
            try:
                manager, _ = self._opening.result()
            except Exception:  # raised by connection() to whoever needed it; nothing open
                return
            manager.__exit__(kind, error, trace)  # closed as `with open_warehouse` closes
        finally:
            self._pool.shutdown(wait=True)
