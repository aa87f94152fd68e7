"""A submitted report, end to end: keep the bytes, read, judge every row, stage the good
ones, replace the member's earlier file for the same period, write and mail the receipt.

Idempotent: the same bytes from the same member change nothing (the receipt says so).
A *corrected resubmission* — same member, same report month, and the same file name or at
least one row in common — replaces the earlier file: its staged rows and quarantine go,
activities only it held are withdrawn, and the receipt lists what was added, changed and
withdrawn (a row's identity is member + normalised title + start date, i.e. its
activity_id). The report month comes from the file name (``2026-11-…``, ``2026年11月…``,
``令和8年11月…``) or else is the month the file arrived (Japan time).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from renkei.errors import SubmissionError
from renkei.rawstore import RawStore
from renkei.receipts import (
    JST,
    ChangedRow,
    FlaggedRow,
    ReceiptFacts,
    RejectedRow,
    receipt_path,
    receipt_pending,
    render_receipt,
)
from renkei.registry import Member
from renkei.settings import Settings
from renkei.submission_check import (
    VERDICT_SCHEMA,
    CheckedRows,
    RowVerdict,
    check_parts,
    combined,
)
from renkei.submission_write import SubmissionWriter
from renkei.submissions import ReadSubmission, read_submission
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

_PERIOD_WESTERN = re.compile(r"(20\d{2})\s*[-_.年/]?\s*(1[0-2]|0?[1-9])(?!\d)")
_PERIOD_REIWA = re.compile(r"(?:令和|R)\s*(元|\d{1,2})\s*[-_.年]?\s*(1[0-2]|0?[1-9])\s*月")


def period_of(file_name: str, received_at: datetime) -> str:
    """The report month (YYYY-MM): from the file name if it names one, else arrival month."""
    name = unicodedata.normalize("NFKC", file_name)
    if m := _PERIOD_REIWA.search(name):
        year = 2018 + (1 if m[1] == "元" else int(m[1]))
        return f"{year}-{int(m[2]):02d}"
    if m := _PERIOD_WESTERN.search(name):
        return f"{m[1]}-{int(m[2]):02d}"
    return received_at.astimezone(JST).strftime("%Y-%m")


@dataclass
class IntakeOutcome:
    member_id: str
    file_name: str
    sha256: str
    path: Path
    period: str
    received_at: datetime
    format: str | None = None
    encoding: str | None = None
    checked: CheckedRows | None = None
    rows_staged: int = 0
    error: str | None = None
    duplicate_of: datetime | None = None
    replaced: list[str] = field(default_factory=list)
    changes: list[ChangedRow] = field(default_factory=list)
    receipt_path: Path | None = None
    mailed_to: list[str] = field(default_factory=list)
    mail_error: str | None = None
    receipt_text: str = ""
    receipt_facts: ReceiptFacts | None = None  # what the text says (a mail lists less)

    @property
    def verdicts(self) -> list[RowVerdict]:
        return self.checked.verdicts if self.checked is not None else []

    @property
    def frame(self) -> pl.DataFrame:
        return self.checked.verdicts_frame if self.checked is not None else _NO_ROWS

    @property
    def judged(self) -> pl.DataFrame:
        """The verdicts without the two hashes (all that counts and receipts need)."""
        return self.checked.judged if self.checked is not None else _NO_JUDGED

    @property
    def decided(self) -> pl.DataFrame:
        """position, title, accepted, reason, starts_on: all the warehouse writes need."""
        return self.checked.decided if self.checked is not None else _NO_DECIDED

    @property
    def rows_read(self) -> int:
        return self.decided.height

    @property
    def accepted(self) -> int:
        return int(self.decided["accepted"].sum())

    @property
    def rejected(self) -> int:
        return self.rows_read - self.accepted

    def summary(self) -> str:
        if self.error:
            return f"{self.file_name}: rejected: {self.error}"
        read = f"{self.rows_read} rows read ({self.encoding or self.format})"
        line = f"{self.file_name}: {read}, {self.rows_staged} new"
        if self.rejected:
            line += f", {self.rejected} rejected"
        if self.duplicate_of is not None:
            line += ", same file as before: nothing changed"
        if self.replaced:
            counts = {k: sum(c.kind == k for c in self.changes) for k in _KINDS}
            line += (
                f", replaces {', '.join(self.replaced)} ({counts['added']} added, "
                f"{counts['changed']} changed, {counts['withdrawn']} withdrawn)"
            )
        return line


_KINDS = ("added", "changed", "withdrawn")
_NO_ROWS = pl.DataFrame(schema=VERDICT_SCHEMA)
_NO_JUDGED = _NO_ROWS.drop("activity_id", "content_sha256")
_NO_DECIDED = _NO_JUDGED.drop("note")


def stage_file(
    settings: Settings,
    path: Path,
    member: Member,
    members: dict[str, str],
    *,
    data: bytes | None = None,
    period: str | None = None,
    requeue: bool = False,
    now: datetime | None = None,
) -> IntakeOutcome:
    """Keep the bytes, judge the rows, write the warehouse, write the receipt."""
    path = Path(path)
    if data is None:
        if not path.is_file():
            raise SubmissionError(f"{path}: file not found")
        data = path.read_bytes()
    received_at = now or datetime.now(UTC)
    period = period or period_of(path.name, received_at)
    # The warehouse side runs on a helper thread (submission_write.SubmissionWriter), mostly
    # outside the GIL: it keeps the raw bytes while they are read, opens the warehouse while
    # the first rows are judged, stages each judged part while the next is judged, and plans,
    # writes and commits the rest while the rows' identities (duplicate notes) and the
    # receipt are worked out here.
    with SubmissionWriter(
        settings.raw_store,
        settings.warehouse,
        member.member_id,
        data,
        period=period,
        received_at=received_at,
        requeue=requeue,
    ) as writer:
        read: ReadSubmission | None = None
        error: str | None = None
        try:
            read = read_submission(data, path.name, sheet=settings.intake.sheet)
        except SubmissionError as exc:
            error = str(exc)
        stored = writer.stored()
        outcome = IntakeOutcome(
            member.member_id,
            path.name,
            stored.sha256,
            path.resolve(),
            period,
            received_at,
            error=error,
        )
        if read is not None:
            outcome.format, outcome.encoding = read.format, read.encoding
            parts = []
            for part in check_parts(
                read.frame,
                raw_sha256=stored.sha256,
                member_id=member.member_id,
                member_names=members,
                source_ref=path.name,
                received_at=received_at,
            ):
                writer.stage(part)
                parts.append(part)
            outcome.checked = combined(parts)
        outcome.receipt_path = receipt_path(path, settings.inbox, member.member_id)
        writer.finish(outcome)
        outcome.judged  # noqa: B018  (the duplicate notes, worked out while the writer plans)
        writer.planned()
        outcome.receipt_facts = facts_for(settings, outcome, member)
        outcome.receipt_text = render_receipt(outcome.receipt_facts)
        with receipt_pending(outcome.receipt_path, outcome.receipt_text):
            writer.committed()  # the receipt is written meanwhile, and named once committed
    return outcome


def _listed(frame: pl.DataFrame, texts: str, row: type) -> list:
    """``row(Excel row number, title, the ；-joined texts split)`` per row of ``frame``."""
    text = pl.col(texts)
    parts = frame.select(
        number=pl.col("position") + 2,
        title="title",
        texts=pl.when(text != "")
        .then(text.str.split("；"))
        .otherwise(pl.lit([], pl.List(pl.String))),
    )
    return list(
        map(row, parts["number"].to_list(), parts["title"].to_list(), parts["texts"].to_list())
    )


def facts_for(settings: Settings, outcome: IntakeOutcome, member: Member) -> ReceiptFacts:
    frame = outcome.judged
    rejected = frame.filter(~pl.col("accepted"))
    flagged = frame.filter(pl.col("accepted") & pl.col("note").is_not_null())
    return ReceiptFacts(
        member_name=member.name,
        file_name=outcome.file_name,
        received_at=outcome.received_at,
        period=outcome.period,
        accepted=outcome.accepted,
        rejected=_listed(rejected, "reason", RejectedRow),
        flagged=_listed(flagged, "note", FlaggedRow),
        error=outcome.error,
        duplicate_of=outcome.duplicate_of,
        replaced=outcome.replaced,
        changes=outcome.changes,
        contact=f"{settings.issuer.name} {settings.issuer.contact_email}",
    )


def ingest_file(
    settings: Settings,
    path: Path,
    member_id: str,
    *,
    period: str | None = None,
    members: list[Member] | None = None,
    now: datetime | None = None,
) -> IntakeOutcome:
    """Check the member, stage the file, write and mail the receipt (never raises for a
    file that cannot be read: ``outcome.error`` says why, and the receipt tells the member)."""
    from renkei.pipeline import sync_registry
    from renkei.receipt_mail import mail_receipt

    registry = {m.member_id: m for m in (members or sync_registry(settings))}
    if member_id not in registry:
        raise SubmissionError(f"--member {member_id}: not in the registry {settings.registry}")
    names = {m.member_id: m.name for m in registry.values()}
    outcome = stage_file(settings, path, registry[member_id], names, period=period, now=now)
    mail_receipt(settings, outcome, registry[member_id])
    return outcome


def requeue(settings: Settings, sha256_prefix: str) -> list[IntakeOutcome]:
    """Process stored submissions again from their kept bytes (after the secretariat fixed
    the registry, the header aliases or a parser): rows that now pass are staged, rows that
    now fail are quarantined, and a new receipt is written."""
    from renkei.pipeline import sync_registry
    from renkei.receipt_mail import mail_receipt

    if len(sha256_prefix) < 6:
        raise SubmissionError(f"--sha256 {sha256_prefix}: give at least 6 hex digits")
    with open_warehouse(settings.warehouse, stage="requeue") as con:
        found = run_query(con, "submissions_matching", {"prefix": sha256_prefix.lower()})
    found = found.filter(pl.col("status") != "superseded")
    if found.is_empty():
        raise SubmissionError(f"--sha256 {sha256_prefix}: no current submission has this hash")
    registry = {m.member_id: m for m in sync_registry(settings)}
    names = {m.member_id: m.name for m in registry.values()}
    store = RawStore(settings.raw_store)
    outcomes = []
    for row in found.iter_rows(named=True):
        member = registry.get(row["member_id"])
        if member is None:
            raise SubmissionError(
                f"--sha256 {sha256_prefix}: member {row['member_id']} is no longer in the registry"
            )
        outcome = stage_file(
            settings,
            Path(row["path"]),
            member,
            names,
            data=store.get(row["sha256"]),
            period=row["period"],
            requeue=True,
            now=row["received_at"],
        )
        mail_receipt(settings, outcome, member)  # the member hears the new result too
        outcomes.append(outcome)
    return outcomes
