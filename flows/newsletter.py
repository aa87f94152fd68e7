from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.flow_runs import pause_flow_run
from prefect.runtime import flow_run

from renkei import pipeline
from renkei.core.runs import tracked_run
from renkei.delivery import report as delivery_report
from renkei.newsletter import approval
from renkei.newsletter.approval_input import Approval
from renkei.newsletter.review import preview
from renkei.orchestration.alerts import HOOKS as ALERTS
from renkei.orchestration.limits import exclusive, writer
from renkei.orchestration.tasks import as_task, settings_from


@flow(name="compile_newsletter", timeout_seconds=8 * 24 * 3600, log_prints=True, **ALERTS)
def compile_newsletter(
    period: str | None = None,
    config: str = "renkei.toml",
    editorial: str | None = None,
    wait_for_approval: bool = True,
) -> str:
    """activities → sections → HTML + text draft → preview → wait for the secretariat's answer."""
    settings = settings_from(config)
    with writer(settings):  # every warehouse open, reads too, inside the slot
        with tracked_run(settings, "compile_newsletter") as run:
            report = as_task(pipeline.draft)(settings, period, editorial=editorial)
            run.summary = report.summary()
        print(run.summary)
        if not report.created or not wait_for_approval or report.status != "draft":
            return run.summary
        page = preview(settings, report.issue_id)
        request = approval.approval_request(
            report.issue_id, run.summary, str(page), report.content_sha256 or "", report.sections
        )
        create_markdown_artifact(
            request, key=f"newsletter-{report.issue_id}", description="承認待ち"
        )
        approval.set_waiting_run(settings, report.issue_id, str(flow_run.id))
    answer = pause_flow_run(
        wait_for_input=Approval.with_initial_data(description=request),
        timeout=settings.newsletter.approval_timeout_hours * 3600,
        poll_interval=settings.newsletter.approval_poll_seconds,
    )
    if answer.approved:
        verdict = f"approved by {answer.reviewer}"
    else:
        verdict = f"rejected by {answer.reviewer}: {answer.comment}"
    if answer.recorded:
        # `renkei approve` / `reject` wrote the record and cleared the wait before it
        # resumed this run; by now the send it announced may hold the warehouse.
        return f"{run.summary}; {verdict}"
    with writer(settings):  # answered in the Prefect UI: record it here, in turn
        approval.set_waiting_run(settings, report.issue_id, None)
        if answer.approved:
            approval.approve(
                settings, report.issue_id, by=answer.reviewer,
                content_sha256=report.content_sha256, comment=answer.comment,
            )  # fmt: skip
        else:
            approval.reject(settings, report.issue_id, by=answer.reviewer, reason=answer.comment)
    if answer.approved:  # the on-approval deployment sends it
        print(approval.announce_approval(report.issue_id))
    return f"{run.summary}; {verdict}"


@flow(name="send_newsletter", timeout_seconds=3600, log_prints=True, **ALERTS)
def send_newsletter(issue_id: str, config: str = "renkei.toml") -> str:
    """approved issue → one message per subscribed contact, each recorded once."""
    settings = settings_from(config)
    limits = settings.orchestration
    # one send at a time, and it writes the delivery journal: both slots, taken together
    with exclusive(limits.send_limit, limits.writer_limit):
        try:
            with tracked_run(settings, "send_newsletter") as run:
                run.summary = as_task(pipeline.send)(settings, issue_id).summary()
        finally:  # sent / failed / in progress, and every failure: also when the send paused
            delivery_report.publish_artifact(settings, issue_id)  # reads the warehouse: in the slot
    print(run.summary)
    return run.summary
