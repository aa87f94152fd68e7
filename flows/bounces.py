from __future__ import annotations

from prefect import flow

from renkei.core.runs import tracked_run
from renkei.delivery.bounce_mailbox import process_bounces as read_bounce_mailbox
from renkei.orchestration.alerts import HOOKS as ALERTS
from renkei.orchestration.alerts import retry_pending
from renkei.orchestration.limits import writer
from renkei.orchestration.tasks import as_task, settings_from


@flow(name="process_bounces", timeout_seconds=1800, log_prints=True, **ALERTS)
def process_bounces(config: str = "renkei.toml") -> str:
    """bounce mailbox (IMAP) → bounce events → suppressed addresses; marked read after commit."""
    settings = settings_from(config)
    retry_pending(settings)  # failure alerts earlier runs could not mail
    with writer(settings), tracked_run(settings, "process_bounces") as run:
        run.report(as_task(read_bounce_mailbox)(settings))
    print(run.summary)
    return run.summary
