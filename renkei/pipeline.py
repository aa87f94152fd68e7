"""The stages, each a short composition of named steps: the one implementation.

The CLI calls these directly; the Prefect flows call the same functions with
``run=as_task`` so each step shows up as a task run. A step opens the warehouse late
and closes it early (one process holds the DuckDB file at a time).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from renkei import approval, feed_ingest, intake, receipt_mail
from renkei.classification import load_rules
from renkei.errors import SubmissionError
from renkei.feed_ingest import FeedReport
from renkei.feeds import FeedTarget, FetchResult
from renkei.intake import IntakeOutcome
from renkei.mail_send import SendReport, send_issue
from renkei.newsletter.compose import (
    Edits,
    Period,
    build_issue,
    events_until,
    sort_into_sections,
)
from renkei.newsletter.render import render_issue
from renkei.normalizing import classify_activity, normalize_warehouse, rebuild_warehouse
from renkei.rawstore import sha256_hex
from renkei.registry import Member, load_registry
from renkei.settings import Settings
from renkei.staging import (
    write_batch,
)
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

F = TypeVar("F", bound=Callable[..., Any])
Runner = Callable[[F], F]


def direct(fn: F) -> F:
    return fn


def _now() -> datetime:
    return datetime.now(UTC)


def _audit(con, actor: str, action: str, subject: str, **detail: object) -> None:
    execute(
        con,
        "insert_audit",
        {
            "at": _now(),
            "actor": actor,
            "action": action,
            "subject": subject,
            "detail": json.dumps(detail, ensure_ascii=False, default=str),
        },
    )


# ------------------------------------------------------------------ registry


def sync_registry(settings: Settings) -> list[Member]:
    """Validate the registry and load members and their contacts into the warehouse."""
    members = load_registry(settings.registry)
    now = _now()
    member_frame = pl.DataFrame(
        [
            {
                "member_id": m.member_id,
                "name": m.name,
                "sector": m.sector,
                "prefecture": m.prefecture,
                "scope": m.scope,
                "feed_url": m.feed_url,
            }
            for m in members
        ]
    )
    contacts = pl.DataFrame(
        [{"email": e, "member_id": m.member_id} for m in members for e in m.contact_emails],
        schema={"email": pl.String, "member_id": pl.String},
    ).unique("email", keep="first", maintain_order=True)
    with open_warehouse(settings.warehouse, stage="registry") as con:
        write_batch(con, "upsert_members", member_frame, now=now)
        write_batch(con, "upsert_contacts", contacts, now=now)
    return members


# ------------------------------------------------------------------ feeds


def feed_targets(members: list[Member]) -> list[FeedTarget]:
    return [FeedTarget(m.member_id, m.feed_url, m.feed_url) for m in members if m.feed_url]


def fetch_feeds(
    settings: Settings, targets: list[FeedTarget], force: bool = False
) -> list[FetchResult]:
    """Read each feed's validators, URL and schedule, close the warehouse, then fetch the
    due ones (``force``: every feed not disabled)."""
    return feed_ingest.fetch_due(settings, targets, force=force)


def store_and_stage_feeds(settings: Settings, results: list[FetchResult]) -> FeedReport:
    """Raw bytes first, then parse; index, fetch log, rows and feed state in one commit."""
    return feed_ingest.store_and_stage(settings, results)


def ingest_feeds(settings: Settings, run: Runner = direct, force: bool = False) -> FeedReport:
    members = run(sync_registry)(settings)
    targets = feed_targets(members)
    fetched = run(fetch_feeds)(settings, targets, force)
    return run(store_and_stage_feeds)(settings, fetched)


# ------------------------------------------------------------------ submissions
# The intake itself lives in renkei/intake.py (read, judge rows, replace, receipt).

SubmissionReceipt = IntakeOutcome  # the name this stage's result had before


def stage_submission(
    settings: Settings,
    path: Path,
    member: Member,
    members: dict[str, str],
    period: str | None = None,
) -> IntakeOutcome:
    """Keep the file, judge every row, stage the good ones, write the receipt."""
    return intake.stage_file(settings, Path(path), member, members, period=period)


def mail_receipt(settings: Settings, outcome: IntakeOutcome, member: Member) -> list[str]:
    receipt_mail.mail_receipt(settings, outcome, member)
    return outcome.mailed_to


def ingest_submission(
    settings: Settings,
    path: Path,
    member_id: str,
    run: Runner = direct,
    *,
    period: str | None = None,
    raise_on_reject: bool = True,
) -> IntakeOutcome:
    """registry → one submitted file → receipt (raises SubmissionError for an unreadable
    file when ``raise_on_reject``; the file and its receipt are kept either way)."""
    members = {m.member_id: m for m in run(sync_registry)(settings)}
    if member_id not in members:
        raise SubmissionError(f"--member {member_id}: not in the registry {settings.registry}")
    names = {m.member_id: m.name for m in members.values()}
    outcome = run(stage_submission)(settings, Path(path), members[member_id], names, period)
    run(mail_receipt)(settings, outcome, members[member_id])
    if outcome.error and raise_on_reject:
        raise SubmissionError(outcome.error)
    return outcome


def ingest_inbox(settings: Settings, run: Runner = direct) -> list[IntakeOutcome]:
    """Every file under ``inbox/<member_id>/`` (receipts, hidden and partial files skipped);
    files already taken in add nothing."""
    from renkei.inbox_watch import is_candidate

    inbox = settings.inbox.resolve()
    outcomes = []
    for path in sorted(inbox.glob("*/*")):
        if path.is_file() and is_candidate(path, inbox):
            outcomes.append(
                ingest_submission(settings, path, path.parent.name, run, raise_on_reject=False)
            )
    return outcomes


# ------------------------------------------------------------------ normalize


@dataclass
class NormalizeReport:
    staged: int
    activities: int
    quarantined: int
    merged: int = 0

    def summary(self) -> str:
        merged = f", {self.merged} merged" if self.merged else ""
        return (
            f"{self.staged} staged rows -> {self.activities} activities, "
            f"{self.quarantined} quarantined{merged}"
        )


def normalize(settings: Settings, run: Runner = direct) -> NormalizeReport:
    rules = load_rules(settings.classification)
    with open_warehouse(settings.warehouse, stage="normalize") as con:
        result = normalize_warehouse(con, rules, summary_chars=settings.summary_chars, now=_now())
    return NormalizeReport(result.staged, result.activities, result.quarantined, result.merged)


def rebuild(settings: Settings, run: Runner = direct) -> NormalizeReport:
    """Drop activities and recompute them from staging (overrides and timestamps kept)."""
    rules = load_rules(settings.classification)
    with open_warehouse(settings.warehouse, stage="rebuild") as con:
        result = rebuild_warehouse(con, rules, summary_chars=settings.summary_chars, now=_now())
        _audit(con, "renkei", "rebuild", "activities", activities=result.activities)
    return NormalizeReport(result.staged, result.activities, result.quarantined, result.merged)


def classify(settings: Settings, activity_id: str, category: str, by: str) -> str:
    """Record the secretariat's category for one activity (wins over rules and rebuilds)."""
    with open_warehouse(settings.warehouse, stage="classify") as con:
        title, previous = classify_activity(con, activity_id, category, by=by, now=_now())
        _audit(con, by, "classify", activity_id, category=category, previous=previous)
    return f"{activity_id} {title}: {previous} -> {category} (by {by})"


# ------------------------------------------------------------------ newsletter


@dataclass
class DraftReport:
    issue_id: str
    created: bool
    item_count: int = 0
    content_sha256: str | None = None
    status: str | None = None
    note: str | None = None
    # section title -> (items shown, items cut by the cap)
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)

    def summary(self) -> str:
        if not self.created:
            return f"issue {self.issue_id}: {self.note}"
        return (
            f"issue {self.issue_id}: draft with {self.item_count} items, "
            f"sha256 {self.content_sha256[:12] if self.content_sha256 else '-'}; awaiting approval"
        )


def draft(
    settings: Settings,
    period_text: str | None = None,
    *,
    editorial: str | None = None,
    run: Runner = direct,
) -> DraftReport:
    """Compile the draft for ``period_text`` (YYYY-MM; default: the current month in JST)."""
    period = Period.parse(period_text) if period_text else Period.containing(_now())
    with open_warehouse(settings.warehouse, stage="compile_newsletter") as con:
        existing = run_query(con, "issue_by_id", {"issue_id": period.issue_id})
        if existing.height and existing["status"][0] == "sent":
            status = existing["status"][0]
            return DraftReport(
                period.issue_id,
                False,
                status=status,
                note=f"already {status}; the draft is not recompiled",
            )
        candidates = run_query(
            con,
            "issue_candidates",
            {
                "issue_id": period.issue_id,
                "period_start": period.start,
                "period_end": period.end,
                "events_until": events_until(period, settings.newsletter.upcoming_weeks),
            },
        )
        if editorial is None and existing.height:  # an editorial note survives recompiles
            editorial = existing["editorial"][0]
        edits = Edits.from_rows(
            run_query(con, "issue_edits", {"issue_id": period.issue_id}).to_dicts()
        )
        sections, shown = sort_into_sections(
            candidates,
            period,
            cap=settings.newsletter.section_cap,
            more_url=settings.newsletter.dataset_url,
            edits=edits,
        )
        if not shown:
            return DraftReport(
                period.issue_id,
                False,
                note="nothing new in this period: no issue compiled (新着なし)",
            )
        before = run_query(con, "issue_count_before", {"period_start": period.start})["n"][0]
        issue = build_issue(
            sections,
            period,
            number=settings.newsletter.first_number + int(before),
            settings=settings,
            editorial=editorial,
            generated_at=_now(),
        )
        rendered = render_issue(issue)
        digest = sha256_hex(
            (rendered.subject + "\x1f" + rendered.html + "\x1f" + rendered.text).encode()
        )
        now = _now()
        with transaction(con):
            execute(
                con,
                "upsert_issue_draft",
                {
                    "issue_id": issue.issue_id,
                    "number": issue.number,
                    "period_start": period.start,
                    "period_end": period.end,
                    "subject": rendered.subject,
                    "html": rendered.html,
                    "text": rendered.text,
                    "content_sha256": digest,
                    "item_count": len(shown),
                    "editorial": editorial,
                    "now": now,
                },
            )
            execute(con, "delete_issue_items", {"issue_id": issue.issue_id})
            write_batch(
                con,
                "insert_issue_items",
                pl.DataFrame(shown, schema=["activity_id", "section"], orient="row"),
                issue_id=issue.issue_id,
            )
            _audit(con, "renkei", "draft", issue.issue_id, content_sha256=digest, items=len(shown))
    counts = {s.title: (len(s.items), s.more_count) for s in sections}
    return DraftReport(issue.issue_id, True, len(shown), digest, "draft", sections=counts)


approve = approval.approve  # the approval gate lives in renkei.approval
reject = approval.reject


# ------------------------------------------------------------------ delivery


def send(settings: Settings, issue_id: str, run: Runner = direct) -> SendReport:
    """Send an approved issue once per address (crash-safe; see ``renkei.mail_send``)."""
    approval.ensure_fresh(settings, issue_id)  # stale approvals must be given again
    return run(send_issue)(settings, issue_id)


# ------------------------------------------------------------------ dataset


def publish(settings: Settings, run: Runner = direct) -> list[Path]:
    """Write the current open-data release (+ a frozen snapshot per sent issue)."""
    from renkei.dataset import publish_release

    return run(publish_release)(settings)
