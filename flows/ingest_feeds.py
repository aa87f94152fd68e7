from __future__ import annotations

from prefect import flow

from flows.steps import as_task, settings_from
from renkei import pipeline
from renkei.runs import tracked_run


@flow(name="ingest_feeds", timeout_seconds=1800, log_prints=True)
def ingest_feeds(config: str = "renkei.toml") -> str:
    """registry → fetch feeds → store raw → parse → stage."""
    settings = settings_from(config)
    with tracked_run(settings, "ingest_feeds") as run:
        run.summary = pipeline.ingest_feeds(settings, run=as_task).summary()
    print(run.summary)
    return run.summary
