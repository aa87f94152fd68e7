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

from renkei.classification import load_rules
from renkei.delivery import Bulletin, Recipient, build_message, make_transport, message_id
from renkei.errors import ApprovalError, SubmissionError
from renkei.feeds import FeedTarget, FetchResult, fetch_all, parse_feed
from renkei.newsletter.compose import Period, build_issue, events_until, sort_into_sections
from renkei.newsletter.render import render_issue
from renkei.publish import write_dataset
from renkei.rawstore import RawStore, sha256_hex
from renkei.registry import Member, load_registry
from renkei.settings import Settings
from renkei.staging import (
    record_fetch,
    record_payload,
    stage_rows,
    staged_frame,
    write_batch,
)
from renkei.submissions import read_submission
from transforms.activities import build_activities
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query

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


@dataclass
class FeedReport:
    feeds: int = 0
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    items_staged: int = 0
    bozo: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.feeds} feeds, {self.ok} fetched, {len(self.failed)} failed, "
            f"{self.items_staged} new staged items"
        )


def feed_targets(members: list[Member]) -> list[FeedTarget]:
    return [FeedTarget(m.member_id, m.feed_url) for m in members if m.feed_url]


def fetch_feeds(settings: Settings, targets: list[FeedTarget]) -> list[FetchResult]:
    return fetch_all(targets, settings.feeds)


def store_and_stage_feeds(settings: Settings, results: list[FetchResult]) -> FeedReport:
    """Raw bytes first (store + index + fetch log), then parse and stage."""
    store = RawStore(settings.raw_store)
    report = FeedReport(feeds=len(results))
    with open_warehouse(settings.warehouse, stage="ingest_feeds") as con:
        for result in results:
            target = result.target
            log = {
                "member_id": target.member_id,
                "feed_url": target.url,
                "fetched_at": result.fetched_at,
                "status_code": result.status_code,
                "bytes": len(result.body) if result.body is not None else None,
                "elapsed_ms": result.elapsed_ms,
                "sha256": None,
                "item_count": None,
                "bozo": None,
                "error": result.error,
            }
            if result.body is None:
                report.failed.append(f"{target.member_id}: {result.error}")
                record_fetch(con, **log)
                continue
            stored = store.put(result.body)
            content_type = result.headers.get("content-type")
            record_payload(
                con,
                stored,
                source_kind="feed",
                source_ref=target.url,
                member_id=target.member_id,
                content_type=content_type,
                seen_at=result.fetched_at,
            )
            parsed = parse_feed(
                result.body, url=result.final_url or target.url, content_type=content_type
            )
            log.update(
                sha256=stored.sha256,
                item_count=len(parsed.rows),
                bozo=parsed.bozo,
                error=parsed.error,
            )
            record_fetch(con, **log)
            if parsed.error:
                report.failed.append(f"{target.member_id}: {parsed.error}")
                continue
            report.ok += 1
            if parsed.bozo:
                report.bozo.append(target.member_id)
            frame = staged_frame(
                parsed.rows,
                raw_sha256=stored.sha256,
                source_kind="feed",
                member_id=target.member_id,
                source_ref=target.url,
                staged_at=result.fetched_at,
            )
            report.items_staged += stage_rows(con, frame)
    return report


def ingest_feeds(settings: Settings, run: Runner = direct) -> FeedReport:
    members = run(sync_registry)(settings)
    targets = feed_targets(members)
    fetched = run(fetch_feeds)(settings, targets)
    return run(store_and_stage_feeds)(settings, fetched)


# ------------------------------------------------------------------ submissions


@dataclass
class SubmissionReceipt:
    member_id: str
    file_name: str
    sha256: str
    rows_staged: int = 0
    rows_read: int = 0
    encoding: str | None = None
    error: str | None = None

    def summary(self) -> str:
        if self.error:
            return f"{self.file_name}: rejected: {self.error}"
        read = f"{self.rows_read} rows read ({self.encoding})"
        return f"{self.file_name}: {read}, {self.rows_staged} new"


def ingest_submission(
    settings: Settings, path: Path, member_id: str, run: Runner = direct
) -> SubmissionReceipt:
    members = {m.member_id: m for m in run(sync_registry)(settings)}
    if member_id not in members:
        raise SubmissionError(f"--member {member_id}: not in the registry {settings.registry}")
    return run(stage_submission)(settings, Path(path), member_id)


def stage_submission(settings: Settings, path: Path, member_id: str) -> SubmissionReceipt:
    if not path.is_file():
        raise SubmissionError(f"{path}: file not found")
    data = path.read_bytes()
    stored = RawStore(settings.raw_store).put(data)  # kept even if unreadable
    receipt = SubmissionReceipt(member_id, path.name, stored.sha256)
    now = _now()
    with open_warehouse(settings.warehouse, stage="ingest_submission") as con:
        record_payload(
            con,
            stored,
            source_kind="submission",
            source_ref=path.name,
            member_id=member_id,
            content_type="text/csv",
            seen_at=now,
        )
        try:
            read = read_submission(data, path.name)
        except SubmissionError as exc:
            receipt.error = str(exc)
            whole = pl.DataFrame(
                [
                    {
                        "stage_id": None,
                        "raw_sha256": stored.sha256,
                        "position": -1,
                        "member_id": member_id,
                        "reason": str(exc),
                        "detail": None,
                    }
                ],
                schema={
                    "stage_id": pl.String,
                    "raw_sha256": pl.String,
                    "position": pl.Int64,
                    "member_id": pl.String,
                    "reason": pl.String,
                    "detail": pl.String,
                },
            )
            write_batch(con, "insert_quarantine", whole, stage="submission", now=now)
            raise
        frame = staged_frame(
            read.rows,
            raw_sha256=stored.sha256,
            source_kind="csv",
            member_id=member_id,
            source_ref=path.name,
            staged_at=now,
        )
        receipt.rows_read = len(read.rows)
        receipt.encoding = read.encoding
        receipt.rows_staged = stage_rows(con, frame)
    return receipt


def ingest_inbox(settings: Settings, run: Runner = direct) -> list[SubmissionReceipt]:
    """Every file under ``inbox/<member_id>/``; already-staged bytes add nothing."""
    receipts = []
    for path in sorted(settings.inbox.glob("*/*")):
        if path.suffix.lower() in (".csv", ".tsv", ".txt") and path.is_file():
            try:
                receipts.append(ingest_submission(settings, path, path.parent.name, run))
            except SubmissionError as exc:
                receipts.append(
                    SubmissionReceipt(
                        path.parent.name, path.name, sha256_hex(path.read_bytes()), error=str(exc)
                    )
                )
    return receipts


# ------------------------------------------------------------------ normalize


@dataclass
class NormalizeReport:
    staged: int
    activities: int
    quarantined: int

    def summary(self) -> str:
        return (
            f"{self.staged} staged rows -> {self.activities} activities, "
            f"{self.quarantined} quarantined"
        )


def normalize(settings: Settings, run: Runner = direct) -> NormalizeReport:
    rules = load_rules(settings.classification)
    with open_warehouse(settings.warehouse, stage="normalize") as con:
        staged = run_query(con, "staged_for_normalize")
        activities, quarantine = build_activities(
            staged, rules, summary_chars=settings.summary_chars
        )
        now = _now()
        con.execute("BEGIN TRANSACTION")
        write_batch(con, "upsert_activities", activities, now=now)
        write_batch(
            con,
            "insert_quarantine",
            quarantine.with_columns(detail=pl.lit(None, pl.String)),
            stage="normalize",
            now=now,
        )
        con.execute("COMMIT")
        total = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    return NormalizeReport(staged.height, total, quarantine.height)


# ------------------------------------------------------------------ newsletter


@dataclass
class DraftReport:
    issue_id: str
    created: bool
    item_count: int = 0
    content_sha256: str | None = None
    status: str | None = None
    note: str | None = None

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
        if existing.height and existing["status"][0] in ("approved", "sent"):
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
        sections, shown = sort_into_sections(
            candidates,
            period,
            cap=settings.newsletter.section_cap,
            more_url=settings.newsletter.dataset_url,
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
        con.execute("BEGIN TRANSACTION")
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
        con.execute("COMMIT")
    return DraftReport(issue.issue_id, True, len(shown), digest, "draft")


def approve(
    settings: Settings, issue_id: str, *, by: str, content_sha256: str | None = None
) -> str:
    """Record a named person's approval of exactly the draft they saw."""
    if not by.strip():
        raise ApprovalError("--by: the approver's name is required")
    with open_warehouse(settings.warehouse, stage="approve") as con:
        issue = run_query(con, "issue_by_id", {"issue_id": issue_id})
        if not issue.height:
            raise ApprovalError(f"issue {issue_id}: no such issue (run `renkei draft` first)")
        status, digest = issue["status"][0], issue["content_sha256"][0]
        if status != "draft":
            raise ApprovalError(f"issue {issue_id}: already {status}")
        if content_sha256 and not digest.startswith(content_sha256):
            raise ApprovalError(
                f"issue {issue_id}: the draft changed since you saw it "
                f"(now {digest[:12]}, you approved {content_sha256[:12]}); review it again"
            )
        execute(
            con,
            "approve_issue",
            {"issue_id": issue_id, "by": by, "now": _now(), "content_sha256": digest},
        )
        _audit(con, by, "approve", issue_id, content_sha256=digest)
    return digest


# ------------------------------------------------------------------ delivery


@dataclass
class SendReport:
    issue_id: str
    sent: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    already_sent: bool = False

    def summary(self) -> str:
        if self.already_sent:
            return f"issue {self.issue_id}: already sent; nothing sent again"
        return (
            f"issue {self.issue_id}: {self.sent} sent, {self.skipped} already had it, "
            f"{len(self.failed)} failed"
        )


def send(settings: Settings, issue_id: str, run: Runner = direct) -> SendReport:
    report = SendReport(issue_id)
    transport = make_transport(settings.mail)
    try:
        with open_warehouse(settings.warehouse, stage="send_newsletter") as con:
            issue = run_query(con, "issue_by_id", {"issue_id": issue_id})
            if not issue.height:
                raise ApprovalError(f"issue {issue_id}: no such issue")
            row = issue.row(0, named=True)
            if row["status"] == "sent":
                report.already_sent = True
                return report
            if row["status"] != "approved" or row["approved_sha256"] != row["content_sha256"]:
                raise ApprovalError(
                    f"issue {issue_id}: not approved (status {row['status']}); "
                    f"run `renkei approve {issue_id} --by NAME` after reviewing the draft"
                )
            bulletin = Bulletin(issue_id, row["subject"], row["html"], row["text"])
            done = {
                r["recipient"]
                for r in run_query(con, "deliveries_for_issue", {"issue_id": issue_id}).to_dicts()
                if r["status"] == "sent"
            }
            for r in run_query(con, "recipients").to_dicts():
                recipient = Recipient(r["email"], r["member_id"], r["member_name"])
                if recipient.email in done:
                    report.skipped += 1
                    continue
                now = _now()
                mid = message_id(issue_id, recipient.email, settings.issuer)
                params = {
                    "issue_id": issue_id,
                    "recipient": recipient.email,
                    "member_id": recipient.member_id,
                    "message_id": mid,
                    "transport": transport.name,
                    "at": now,
                }
                execute(
                    con,
                    "upsert_delivery",
                    {**params, "status": "sending", "sent_at": None, "error": None},
                )
                try:
                    transport.send(
                        build_message(bulletin, recipient, settings.issuer, now=now),
                        recipient.email,
                    )
                except OSError as exc:  # smtplib errors are OSErrors too
                    execute(
                        con,
                        "upsert_delivery",
                        {**params, "status": "failed", "sent_at": None, "error": str(exc)},
                    )
                    report.failed.append(f"{recipient.email}: {exc}")
                    continue
                execute(
                    con,
                    "upsert_delivery",
                    {**params, "status": "sent", "sent_at": _now(), "error": None},
                )
                report.sent += 1
            if not report.failed:
                execute(con, "mark_issue_sent", {"issue_id": issue_id, "now": _now()})
            _audit(con, "renkei", "send", issue_id, sent=report.sent, failed=len(report.failed))
    finally:
        transport.close()
    return report


# ------------------------------------------------------------------ dataset


def publish(settings: Settings, run: Runner = direct) -> list[Path]:
    with open_warehouse(settings.warehouse, stage="publish_dataset") as con:
        frame = run_query(con, "dataset_activities")
    return write_dataset(frame, settings.publish_dir)
