"""DuckDB's settings while one submission is written: a small memory limit and one thread.

May import warehouse; imported by renkei.submissions.write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from warehouse.queries import execute

__all__ = ["bounded_memory", "one_thread"]


@contextmanager
def bounded_memory(con) -> Iterator[None]:
    """DuckDB's memory limit lowered (96 MB) while one submission is written. DuckDB keeps the
    transaction's rows uncompressed until the commit writes them (a 100,000-row file: ~50 MB
    of row data, and as much again around it); under the limit it spills what does not fit to
    its temporary directory instead of growing the process (README, Performance: csv intake).
    The setting is the database's: it is reset before the connection is closed."""
    execute(con, "intake_memory_small")
    try:
        yield
    finally:
        execute(con, "intake_memory_reset")


@contextmanager
def one_thread(con) -> Iterator[None]:
    """One DuckDB thread for a big staged insert: on two cores its parallel Arrow scan only
    contends with itself (100,000 rows: 0.12 s single-threaded, 0.24 s with two threads)
    and with the main thread, which is judging rows meanwhile."""
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        con.execute(f"SET threads = {threads}")  # an int read back from DuckDB
