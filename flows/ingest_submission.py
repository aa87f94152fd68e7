from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.steps import as_task, settings_from
from renkei import pipeline
from renkei.runs import tracked_run


@flow(name="ingest_submission", timeout_seconds=600, log_prints=True)
def ingest_submission(path: str, member_id: str, config: str = "renkei.toml") -> str:
    """registry → store raw file → read CSV → stage rows."""
    settings = settings_from(config)
    with tracked_run(settings, "ingest_submission") as run:
        run.summary = pipeline.ingest_submission(
            settings, Path(path), member_id, run=as_task
        ).summary()
    print(run.summary)
    return run.summary
