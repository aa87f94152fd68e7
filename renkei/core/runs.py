"""Record each stage run (start, end, outcome) so `renkei status` can show the last ones.

A run whose process dies (SIGKILL, out of memory, a machine down) cannot record its end, so
its row would say ``running`` forever. :func:`abandon_stale_runs` marks every run still
``running`` after its stage's timeout (:data:`STAGE_TIMEOUTS`, the same as the flow's
``timeout_seconds``) as ``abandoned``; it runs at the start of every tracked run and in
``renkei doctor``, which fails while a stage's latest run is abandoned.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

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


def abandon_stale_runs(con: duckdb.DuckDBPyConnection, now: datetime) -> pl.DataFrame:
    """Mark runs still ``running`` past their stage's timeout ``abandoned``; return them."""
    return run_query(
        con,
        "abandon_stale_runs",
        {
            "now": now,
            "stages": list(STAGE_TIMEOUTS),
            "timeouts": list(STAGE_TIMEOUTS.values()),
            "default_timeout": DEFAULT_TIMEOUT,
        },
    )


class RunRecord:
    summary: str = ""


@contextmanager
def tracked_run(settings: Settings, stage: str) -> Iterator[RunRecord]:
    """Wrap a stage; set ``record.summary``. A failure is recorded, then re-raised."""
    with open_warehouse(settings.warehouse, stage=stage) as con:
        abandon_stale_runs(con, datetime.now(UTC))
        run_id = run_query(con, "start_run", {"stage": stage, "now": datetime.now(UTC)})["run_id"][
            0
        ]
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
                },
            )
