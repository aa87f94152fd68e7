from __future__ import annotations

from prefect import flow

from flows.steps import as_task, settings_from
from renkei import pipeline
from renkei.runs import tracked_run


@flow(name="ingest_feeds", timeout_seconds=1800, log_prints=True)
def ingest_feeds(config: str = "renkei.toml") -> str:
    """registry → feed state → fetch due feeds concurrently (one task: a task per HTTP request
    would cost more than the request) → store raw → parse → stage."""
    settings = settings_from(config)
    with tracked_run(settings, "ingest_feeds") as run:
        report = pipeline.ingest_feeds(settings, run=as_task)
        run.summary = report.summary()
    print(run.summary)
    for line in report.failed:
        print(f"  failed: {line}")
    for line in report.moved:
        print(f"  moved: {line}")
    return run.summary
