from __future__ import annotations

from prefect import flow

from flows.steps import as_task, settings_from
from renkei import pipeline
from renkei.runs import tracked_run


@flow(name="compile_newsletter", timeout_seconds=600, log_prints=True)
def compile_newsletter(
    period: str | None = None, config: str = "renkei.toml", editorial: str | None = None
) -> str:
    """activities of the period → sections → MJML/HTML + text → draft awaiting approval."""
    settings = settings_from(config)
    with tracked_run(settings, "compile_newsletter") as run:
        run.summary = as_task(pipeline.draft)(settings, period, editorial=editorial).summary()
    print(run.summary)
    return run.summary


@flow(name="send_newsletter", timeout_seconds=3600, log_prints=True)
def send_newsletter(issue_id: str, config: str = "renkei.toml") -> str:
    """approved issue → one message per subscribed contact, each recorded once."""
    settings = settings_from(config)
    with tracked_run(settings, "send_newsletter") as run:
        run.summary = as_task(pipeline.send)(settings, issue_id).summary()
    print(run.summary)
    return run.summary
