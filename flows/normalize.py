from __future__ import annotations

from prefect import flow

from flows.steps import as_task, settings_from
from renkei import pipeline
from renkei.runs import tracked_run


@flow(name="normalize", timeout_seconds=1800, log_prints=True)
def normalize(config: str = "renkei.toml") -> str:
    """staged rows → clean, classify, dedupe → activities."""
    settings = settings_from(config)
    with tracked_run(settings, "normalize") as run:
        run.summary = as_task(pipeline.normalize)(settings).summary()
    print(run.summary)
    return run.summary
