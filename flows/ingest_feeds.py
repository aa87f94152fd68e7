from __future__ import annotations

from prefect import flow

from renkei.core.runs import tracked_run
from renkei.feeds import health as feed_health
from renkei.orchestration import cluster
from renkei.orchestration.alerts import HOOKS as ALERTS
from renkei.orchestration.alerts import retry_pending
from renkei.orchestration.limits import writer
from renkei.orchestration.tasks import as_task, settings_from


# A failed attempt is retried once (a feed host may be down for minutes); a retry repeats
# nothing already done: stored payloads are keyed by sha256 and staging is an upsert.
@flow(name="ingest_feeds", timeout_seconds=1800, log_prints=True, retries=1,
      retry_delay_seconds=300, **ALERTS)  # fmt: skip
def ingest_feeds(config: str = "renkei.toml") -> str:
    """registry → feed state → fetch due feeds concurrently (one task: a task per HTTP request
    would cost more than the request) → store raw → parse → stage."""
    settings = settings_from(config)
    retry_pending(settings)  # failure alerts earlier runs could not mail
    with writer(settings):  # every warehouse open of the run, reads too, inside the slot
        with tracked_run(settings, "ingest_feeds") as run:
            report = cluster.ingest_feeds(settings, run=as_task)
            run.report(report)
        feed_health.publish_artifact(settings)  # the health table as a Prefect table artifact
    print(run.summary)
    for line in report.failed:
        print(f"  failed: {line}")
    for line in report.moved:
        print(f"  moved: {line}")
    return run.summary
