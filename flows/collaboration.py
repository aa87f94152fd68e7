from __future__ import annotations

from prefect import flow

from renkei.collaboration.reminders import purge_expired, remind
from renkei.core.runs import tracked_run
from renkei.orchestration.alerts import HOOKS as ALERTS
from renkei.orchestration.alerts import retry_pending
from renkei.orchestration.limits import writer
from renkei.orchestration.tasks import as_task, settings_from


@flow(name="remind_consultations", timeout_seconds=600, log_prints=True, **ALERTS)
def remind_consultations(config: str = "renkei.toml") -> str:
    """consultation requests without an outcome → one mail to the secretariat; personal parts
    past the retention period erased."""
    settings = settings_from(config)
    retry_pending(settings)  # failure alerts earlier runs could not mail
    with writer(settings), tracked_run(settings, "remind_consultations") as run:
        reminded = as_task(remind)(settings)
        purged = as_task(purge_expired)(settings)
        run.summary = f"{reminded}; {purged}"
    print(run.summary)
    return run.summary
