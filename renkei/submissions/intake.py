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

import os
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from renkei.core.errors import SubmissionError
from renkei.core.rawstore import RawStore, StoredPayload
from renkei.core.registry import Member, require_member, sync_registry
from renkei.core.settings import Settings
from renkei.core.steps import Runner, direct
from renkei.submissions.check import (
    check_parts,
    combined,
)
from renkei.submissions.limits import file_too_big, open_submitted
from renkei.submissions.outcome import IntakeOutcome, period_of
from renkei.submissions.read import ReadSubmission, read_submission
from renkei.submissions.receipt_mail import mail_receipt
from renkei.submissions.receipts import (
    FlaggedRow,
    ReceiptFacts,
    RejectedRow,
    clean_name,
    receipt_path,
    receipt_pending,
    render_receipt,
)
from renkei.submissions.write import SubmissionWriter
from warehouse.connection import open_warehouse
from warehouse.queries import run_query


def stage_file(
    settings: Settings,
    path: Path,
    member: Member,
    members: dict[str, str],
    *,
    data: bytes | None = None,
    kept: Path | None = None,
    period: str | None = None,
    requeue: bool = False,
    now: datetime | None = None,
    aliases: dict[str, tuple[str, ...]] | None = None,
) -> IntakeOutcome:
    """Keep the bytes, judge the rows, write the warehouse, write the receipt.
    ``members``: member_id -> name; ``aliases``: member_id -> the registry's aliases.

    The bytes are ``data``, or read from ``kept`` (the raw store's copy), or from ``path``.
    A file over ``intake.max_file_bytes`` is never read whole: it is streamed into the raw
    store and rejected."""
    path = Path(path)
    name = clean_name(path.name)
    stored: StoredPayload | None = None
    error: str | None = None
    if data is None:
        data, stored, error = _take(settings, path, kept, name)
    received_at = now or datetime.now(UTC)
    period = period or period_of(name, received_at)
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
        stored=stored,
    ) as writer:
        read: ReadSubmission | None = None
        if error is None:
            try:
                read = read_submission(data, name, settings.intake.sheet, settings.intake)
            except SubmissionError as exc:
                error = str(exc)
        del data  # the writer keeps its own reference until the bytes are stored
        stored = writer.stored()
        outcome = IntakeOutcome(
            member.member_id,
            name,
            stored.sha256,
            path.resolve(),
            period,
            received_at,
            error=error,
        )
        if read is not None:
            outcome.format, outcome.encoding = read.format, read.encoding
            outcome.unread_columns = read.unread
            parts = []
            for part in check_parts(
                read.frame,
                raw_sha256=stored.sha256,
                member_id=member.member_id,
                member_names=members,
                member_aliases=aliases,
                source_ref=name,
                received_at=received_at,
            ):
                writer.stage(part)
                parts.append(part)
            del read  # the parts hold what is needed of the field frame
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


def _take(
    settings: Settings, path: Path, kept: Path | None, name: str
) -> tuple[bytes, StoredPayload | None, str | None]:
    """(the bytes, None, None), or for a file over the size limit (b"", its payload streamed
    into the raw store, why it is rejected). A file in the inbox that is a symbolic link or
    not a regular file is refused (SubmissionError), never followed."""
    limit = settings.intake.max_file_bytes
    inbox = settings.inbox
    in_inbox = path.absolute().is_relative_to(inbox.absolute())
    in_inbox = in_inbox or path.parent.resolve().is_relative_to(inbox.resolve())
    follow = kept is not None or not in_inbox
    with open_submitted(kept or path, follow=follow) as handle:
        if os.fstat(handle.fileno()).st_size <= limit:
            data = handle.read(limit + 1)  # + 1: it may have grown since
            if len(data) <= limit:
                return data, None, None
            handle.seek(0)
            del data
        stored = RawStore(settings.raw_store).put_stream(handle)
    return b"", stored, str(file_too_big(name, settings.intake))


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


_NO_NAMES = pl.DataFrame(schema={"position": pl.Int64, "title": pl.String, "organiser": pl.String})


def facts_for(settings: Settings, outcome: IntakeOutcome, member: Member) -> ReceiptFacts:
    frame = outcome.judged
    rejected = frame.filter(~pl.col("accepted"))
    flagged = frame.filter(pl.col("accepted") & pl.col("note").is_not_null())
    kept_names = outcome.checked.kept_organisers if outcome.checked is not None else _NO_NAMES
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
        unread_columns=outcome.unread_columns,
        kept_names=_listed(kept_names, "organiser", FlaggedRow),
        no_start_date=outcome.rows_read > 0 and frame["starts_on"].null_count() == frame.height,
        kept_in_force=outcome.kept_in_force,
        contact=f"{settings.issuer.name} {settings.issuer.contact_email}",
    )


def ingest_submission(
    settings: Settings,
    path: Path,
    member_id: str,
    run: Runner = direct,
    *,
    period: str | None = None,
    raise_on_reject: bool = True,
    now: datetime | None = None,
) -> IntakeOutcome:
    """The one intake of a submitted file (CLI, watcher, flow, demo): registry → keep the
    bytes, judge and stage the rows, write the receipt → mail it.

    A file that cannot be read raises SubmissionError when ``raise_on_reject`` (the file
    and its receipt are kept either way); otherwise ``outcome.error`` says why."""
    members = run(sync_registry)(settings)
    member = require_member(members, member_id, settings.registry)
    names = {m.member_id: m.name for m in members}
    aliases = {m.member_id: m.aliases for m in members}
    outcome = run(stage_file)(
        settings, Path(path), member, names, period=period, now=now, aliases=aliases
    )
    run(mail_receipt)(settings, outcome, member)
    if outcome.error and raise_on_reject:
        raise SubmissionError(outcome.error)
    return outcome


def requeue(settings: Settings, sha256_prefix: str) -> list[IntakeOutcome]:
    """Process stored submissions again from their kept bytes (after the secretariat fixed
    the registry, the header aliases or a parser): rows that now pass are staged, rows that
    now fail are quarantined, and a new receipt is written."""
    if len(sha256_prefix) < 6:
        raise SubmissionError(f"--sha256 {sha256_prefix}: give at least 6 hex digits")
    with open_warehouse(settings.warehouse, stage="requeue") as con:
        found = run_query(con, "submissions_matching", {"prefix": sha256_prefix.lower()})
    found = found.filter(pl.col("status") != "superseded")
    if found.is_empty():
        raise SubmissionError(f"--sha256 {sha256_prefix}: no current submission has this hash")
    registry = {m.member_id: m for m in sync_registry(settings)}
    names = {m.member_id: m.name for m in registry.values()}
    aliases = {m.member_id: m.aliases for m in registry.values()}
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
            kept=store.path_for(row["sha256"]),
            period=row["period"],
            requeue=True,
            now=row["received_at"],
            aliases=aliases,
        )
        mail_receipt(settings, outcome, member)  # the member hears the new result too
        outcomes.append(outcome)
    return outcomes
