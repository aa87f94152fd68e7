from __future__ import annotations

from prefect import flow

from flows.steps import ALERTS, as_task, settings_from, writer
from renkei import orchestration
from renkei.runs import tracked_run


@flow(name="normalize", timeout_seconds=1800, log_prints=True, **ALERTS)
def normalize(config: str = "renkei.toml") -> str:
    """staged rows → clean, classify, dedupe → activities."""
    settings = settings_from(config)
    with writer(settings), tracked_run(settings, "normalize") as run:
        run.summary = orchestration.normalize(settings, run=as_task).summary()
    print(run.summary)
    return run.summary
