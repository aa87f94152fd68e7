from __future__ import annotations

from prefect import flow

from renkei import pipeline
from renkei.core.runs import tracked_run
from renkei.orchestration.alerts import HOOKS as ALERTS
from renkei.orchestration.alerts import retry_pending
from renkei.orchestration.limits import writer
from renkei.orchestration.tasks import as_task, settings_from


@flow(name="publish_dataset", timeout_seconds=900, log_prints=True, **ALERTS)
def publish_dataset(config: str = "renkei.toml") -> str:
    """activities → open-data release (data package, events.ics, Atom, stats, index.html)."""
    settings = settings_from(config)
    retry_pending(settings)  # failure alerts earlier runs could not mail
    with writer(settings), tracked_run(settings, "publish_dataset") as run:
        files = as_task(pipeline.publish)(settings)
        run.summary = f"{len(files)} files written to {settings.publish_dir}"
        run.summary_ja = f"公開データのファイル {len(files)} 件を書き出しました"
    print(run.summary)
    return run.summary
