"""The stages, composed: the one implementation the CLI, the flows and the demo call.

Composition only. A stage with several steps is written here as a short list of named
steps, each called through ``run(step)``: the CLI passes ``direct`` (fast, no Prefect
server), the flows pass ``renkei.orchestration.tasks.as_task`` so every step is a task run
with the retries it declared. A stage that is one step is imported here from its stage
package, so callers find every stage in one place. A step opens the warehouse late and
closes it early (one process holds the DuckDB file at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from renkei.core.registry import Member, read_registry, sync_registry
from renkei.core.settings import Settings
from renkei.core.steps import Runner, direct
from renkei.dataset import publish_release
from renkei.delivery.send import SendReport, send_issue
from renkei.feeds.due import fetch_feeds
from renkei.feeds.fetch import FeedTarget, FetchResult
from renkei.feeds.ingest import store_and_stage_feeds
from renkei.feeds.report import FeedReport
from renkei.newsletter.approval import approve, ensure_fresh, reject
from renkei.newsletter.draft import DraftReport, draft
from renkei.normalize.activities import NormalizeReport, classify, normalize, rebuild
from renkei.normalize.hiding import HiddenActivity, hidden_activities, hide, unhide
from renkei.submissions.intake import IntakeOutcome, ingest_submission
from renkei.submissions.watch import is_candidate
from renkei.submissions.watch import watch_inbox as _watch_inbox

__all__ = [
    "DraftReport",
    "FeedReport",
    "HiddenActivity",
    "IntakeOutcome",
    "NormalizeReport",
    "SendReport",
    "approve",
    "classify",
    "draft",
    "feed_targets",
    "hidden_activities",
    "hide",
    "ingest_feeds",
    "ingest_inbox",
    "ingest_submission",
    "normalize",
    "publish",
    "read_registry",
    "rebuild",
    "reject",
    "send",
    "sync_registry",
    "unhide",
    "watch_inbox",
]

# How the feed bodies are fetched: here (``fetch_feeds``) or spread over a Dask cluster
# (``renkei.orchestration.cluster.fetch_on_cluster``); same arguments, same results.
FetchStep = Callable[[Settings, Sequence[FeedTarget], bool], list[FetchResult]]


def feed_targets(members: list[Member]) -> list[FeedTarget]:
    return [FeedTarget(m.member_id, m.feed_url, m.feed_url) for m in members if m.feed_url]


def ingest_feeds(
    settings: Settings,
    run: Runner = direct,
    force: bool = False,
    fetch: FetchStep | None = None,
) -> FeedReport:
    """registry → fetch the due feeds (raw bytes kept first) → parse what changed, stage
    (the registry's members written in the same commit: one open of the warehouse for
    writing per run)."""
    members = run(read_registry)(settings)
    targets = feed_targets(members)
    if fetch is None:
        fetched = run(fetch_feeds)(settings, targets, force=force)
    else:
        fetched = fetch(settings, targets, force)
    return run(store_and_stage_feeds)(settings, fetched, members)


def ingest_inbox(settings: Settings, run: Runner = direct) -> list[IntakeOutcome]:
    """Every file under ``inbox/<member_id>/`` (receipts, hidden and partial files skipped);
    files already taken in add nothing."""
    inbox = settings.inbox.resolve()
    return [
        ingest_submission(settings, path, path.parent.name, run, raise_on_reject=False)
        for path in sorted(inbox.glob("*/*"))
        if path.is_file() and is_candidate(path, inbox)
    ]


def watch_inbox(settings: Settings, inbox: Path | None, echo: Callable[[str], None]) -> None:
    """Watch the inbox until stopped; after each batch ingested here, normalise."""
    _watch_inbox(settings, normalize, inbox, echo)


def send(
    settings: Settings,
    issue_id: str,
    run: Runner = direct,
    *,
    resend_unknown: bool = False,
    resend_failed: bool = False,
) -> SendReport:
    """Send an approved issue once per address (crash-safe; see ``renkei.delivery.send``);
    ``resend_unknown`` / ``resend_failed``: send exactly those deliveries again."""
    ensure_fresh(settings, issue_id)  # stale approvals must be given again
    return run(send_issue)(
        settings, issue_id, resend_unknown=resend_unknown, resend_failed=resend_failed
    )


def publish(settings: Settings, run: Runner = direct) -> list[Path]:
    """Write the current open-data release (+ a frozen snapshot per sent issue)."""
    return run(publish_release)(settings)
