"""Record each stage run (start, end, outcome) so `renkei status` can show the last ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query


class RunRecord:
    summary: str = ""


@contextmanager
def tracked_run(settings: Settings, stage: str) -> Iterator[RunRecord]:
    """Wrap a stage; set ``record.summary``. A failure is recorded, then re-raised."""
    with open_warehouse(settings.warehouse, stage=stage) as con:
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
