from __future__ import annotations

from prefect import flow

from renkei.core.runs import tracked_run
from renkei.orchestration import cluster
from renkei.orchestration.alerts import HOOKS as ALERTS
from renkei.orchestration.alerts import retry_pending
from renkei.orchestration.limits import writer
from renkei.orchestration.tasks import as_task, settings_from


@flow(name="normalize", timeout_seconds=1800, log_prints=True, **ALERTS)
def normalize(config: str = "renkei.toml") -> str:
    """staged rows → clean, classify, dedupe → activities."""
    settings = settings_from(config)
    retry_pending(settings)  # failure alerts earlier runs could not mail
    with writer(settings), tracked_run(settings, "normalize") as run:
        run.report(cluster.normalize(settings, run=as_task))
    print(run.summary)
    return run.summary
