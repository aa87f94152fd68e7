from __future__ import annotations

from pathlib import Path

from prefect import flow

from renkei.core.runs import tracked_run
from renkei.orchestration.alerts import HOOKS as ALERTS
from renkei.orchestration.alerts import retry_pending
from renkei.orchestration.limits import writer
from renkei.orchestration.tasks import as_task, settings_from
from renkei.submissions.intake import ingest_submission as ingest


@flow(name="ingest_submission", timeout_seconds=600, log_prints=True, **ALERTS)
def ingest_submission(path: str, member_id: str, config: str = "renkei.toml") -> str:
    """registry → keep the file → judge and stage rows, replace an earlier version →
    receipt beside the file → receipt by mail. An unreadable file is not a failed run:
    its receipt tells the member why."""
    settings = settings_from(config)
    retry_pending(settings)  # failure alerts earlier runs could not mail
    with writer(settings), tracked_run(settings, "ingest_submission") as run:
        run.report(ingest(settings, Path(path), member_id, run=as_task, raise_on_reject=False))
    print(run.summary)
    return run.summary
