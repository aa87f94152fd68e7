"""Record each stage run (start, end, outcome) so `renkei status` can show the last ones.

A run whose process dies (SIGKILL, out of memory, a machine down) cannot record its end, so
its row would say ``running`` forever. :func:`abandon_stale_runs` marks a run still
``running`` after its stage's timeout (:data:`STAGE_TIMEOUTS`, the same as the flow's
``timeout_seconds``) as ``abandoned`` — unless its process is still alive on this machine
(a long CLI send has no timeout of its own): only what is known is written. A run started
on another machine, or before runs recorded their process, cannot be looked at and is
judged by its timeout alone. It runs at the start of every tracked run and in
``renkei doctor``, which fails while a stage's latest run is abandoned.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query

# Seconds a stage may run: each flow's ``timeout_seconds`` (tests/test_doctor_checks.py
# keeps them equal). compile_newsletter's flow also waits for approval, but its tracked run
# is the draft alone. Stages not named here (CLI-only ones) get DEFAULT_TIMEOUT.
STAGE_TIMEOUTS: dict[str, int] = {
    "ingest_feeds": 1800,
    "ingest_submission": 600,
    "normalize": 1800,
    "rebuild": 1800,
    "compile_newsletter": 8 * 24 * 3600,
    "send_newsletter": 3600,
    "publish_dataset": 900,
}
DEFAULT_TIMEOUT = 3600


def _this_process() -> dict[str, object]:
    return {"pid": os.getpid(), "host": socket.gethostname()}


def _alive_here(pid: int | None, host: str | None) -> bool:
    """True when the run's process is known to be alive on this machine."""
    if pid is None or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def abandon_stale_runs(con: duckdb.DuckDBPyConnection, now: datetime) -> pl.DataFrame:
    """Mark runs still ``running`` past their stage's timeout, whose process is gone,
    ``abandoned``; return them."""
    limits = {
        "now": now,
        "stages": list(STAGE_TIMEOUTS),
        "timeouts": list(STAGE_TIMEOUTS.values()),
        "default_timeout": DEFAULT_TIMEOUT,
    }
    stale = run_query(con, "runs_past_timeout", limits)
    gone = [
        int(row["run_id"])
        for row in stale.iter_rows(named=True)
        if not _alive_here(row["pid"], row["host"])
    ]
    return run_query(con, "abandon_stale_runs", {**limits, "run_ids": gone})


class RunRecord:
    """What a stage says about its run: ``summary`` (English: commands, flows, logs) and
    ``summary_ja`` (Japanese: the console's dashboard; empty when the stage has none)."""

    summary: str = ""
    summary_ja: str = ""

    def report(self, result: Any) -> str:
        """Take both summaries from a stage's report (``summary()``, and ``summary_ja()``
        when it has one); returns the English one."""
        self.summary = result.summary()
        said = getattr(result, "summary_ja", None)
        self.summary_ja = said() if callable(said) else ""
        return self.summary


@contextmanager
def tracked_run(settings: Settings, stage: str) -> Iterator[RunRecord]:
    """Wrap a stage; set ``record.summary``. A failure is recorded, then re-raised."""
    with open_warehouse(settings.warehouse, stage=stage) as con:
        abandon_stale_runs(con, datetime.now(UTC))
        run_id = run_query(
            con, "start_run", {"stage": stage, "now": datetime.now(UTC), **_this_process()}
        )["run_id"][0]
    record = RunRecord()
    status = "failed"
    try:
        yield record
        status = "ok"
    except BaseException as exc:
        record.summary = record.summary or f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with open_warehouse(settings.warehouse, stage=stage) as con:
            execute(
                con,
                "finish_run",
                {
                    "run_id": int(run_id),
                    "now": datetime.now(UTC),
                    "status": status,
                    "summary": record.summary[:500],
                    "summary_ja": record.summary_ja[:500],
                },
            )
