from __future__ import annotations

import time
from datetime import date
from uuid import UUID

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.flow_runs import pause_flow_run
from prefect.runtime import flow_run

from renkei import pipeline
from renkei.core.runs import tracked_run
from renkei.core.settings import Settings
from renkei.delivery import report as delivery_report
from renkei.newsletter import approval
from renkei.newsletter.approval_input import Approval, recorded_answer
from renkei.newsletter.draft import DraftReport
from renkei.newsletter.review import preview
from renkei.orchestration.alerts import HOOKS as ALERTS
from renkei.orchestration.alerts import retry_pending
from renkei.orchestration.limits import exclusive, writer
from renkei.orchestration.tasks import as_task, settings_from


@flow(name="compile_newsletter", timeout_seconds=8 * 24 * 3600, log_prints=True, **ALERTS)
def compile_newsletter(
    period: str | None = None,
    config: str = "renkei.toml",
    editorial: str | None = None,
    wait_for_approval: bool = True,
    as_of: date | None = None,
) -> str:
    """activities → sections → HTML + text draft → preview → wait for the secretariat's answer.

    ``as_of``: the send date the draft is made for (default: today in Japan)."""
    settings = settings_from(config)
    retry_pending(settings)  # failure alerts earlier runs could not mail
    with writer(settings):  # every warehouse open, reads too, inside the slot
        with tracked_run(settings, "compile_newsletter") as run:
            report = as_task(pipeline.draft)(settings, period, editorial=editorial, as_of=as_of)
            run.report(report)
        print(run.summary)
        if not report.created or not wait_for_approval or report.status != "draft":
            return run.summary
        issue_id, seen = report.issue_id, report.content_sha256 or ""
        request = approval.approval_request(
            issue_id, run.summary, preview(settings, issue_id), seen, report.sections
        )
        create_markdown_artifact(request, key=f"newsletter-{issue_id}", description="承認待ち")
        approval.set_waiting_run(settings, issue_id, str(flow_run.id))
    verdict = _await_answer(settings, report, request)
    return f"{run.summary}; {verdict}"


def _await_answer(settings: Settings, report: DraftReport, request: str) -> str:
    """Pause until an answer is recorded; an answer that cannot be recorded (no name, a
    draft changed since the form was shown, a rejection without a reason) records nothing
    and pauses again, the reason on top of the new form. Returns the verdict."""
    issue_id, seen = report.issue_id, report.content_sha256 or ""
    summary = report.summary()
    sections: dict[str, tuple[int, int]] | None = report.sections
    deadline = time.monotonic() + settings.newsletter.approval_timeout_hours * 3600
    while True:
        answer = pause_flow_run(
            wait_for_input=Approval.with_initial_data(description=request),
            timeout=max(1, int(deadline - time.monotonic())),
            poll_interval=settings.newsletter.approval_poll_seconds,
        )
        # `renkei approve` / `reject` wrote the record before they resumed this run and
        # left the answer they recorded beside the form (approval_input.RECORDED_KEY); by
        # now the send they announced may hold the warehouse: touch nothing.
        shell = recorded_answer(UUID(flow_run.id))
        if shell is not None:
            if shell.approved:
                return f"approved by {shell.reviewer}"
            return f"rejected by {shell.reviewer}: {shell.comment}"
        with writer(settings):  # answered in the Prefect UI: record it here, in turn
            outcome = approval.answer_from_form(
                settings, issue_id, seen_sha256=seen, approved=answer.approved,
                reviewer=answer.reviewer, comment=answer.comment,
            )  # fmt: skip
            if outcome.kind == "pause":
                changed, seen = outcome.content_sha256 != seen, outcome.content_sha256
                if changed:  # the compile's summary and section counts no longer apply
                    summary, sections = "", None
                page = preview(settings, issue_id)  # the draft as it is now
                request = approval.approval_request(
                    issue_id, summary, page, seen, sections, reason=outcome.message
                )
                if changed:
                    create_markdown_artifact(
                        request, key=f"newsletter-{issue_id}", description="承認待ち（原稿変更）"
                    )
        if outcome.kind != "pause":
            break
        print(f"answer not recorded, waiting again: {outcome.message}")
    if outcome.kind == "recorded" and answer.approved:  # the on-approval deployment sends it
        print(approval.announce_approval(issue_id))
    return outcome.message


@flow(name="send_newsletter", timeout_seconds=3600, log_prints=True, **ALERTS)
def send_newsletter(issue_id: str, config: str = "renkei.toml") -> str:
    """approved issue → one message per subscribed contact, each recorded once."""
    settings = settings_from(config)
    retry_pending(settings)  # failure alerts earlier runs could not mail
    limits = settings.orchestration
    # one send at a time, and it writes the delivery journal: both slots, taken together
    with exclusive(limits.send_limit, limits.writer_limit):
        try:
            with tracked_run(settings, "send_newsletter") as run:
                run.report(as_task(pipeline.send)(settings, issue_id))
        finally:  # sent / failed / in progress, and every failure: also when the send paused
            delivery_report.publish_artifact(settings, issue_id)  # reads the warehouse: in the slot
    print(run.summary)
    return run.summary
