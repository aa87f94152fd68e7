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

import json
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from renkei.errors import SubmissionError
from renkei.rawstore import RawStore, StoredPayload
from renkei.receipts import (
    JST,
    ChangedRow,
    FlaggedRow,
    ReceiptFacts,
    RejectedRow,
    receipt_path,
    render_receipt,
    write_receipt,
)
from renkei.registry import Member
from renkei.settings import Settings
from renkei.staging import record_payload, stage_rows, write_batch
from renkei.submission_check import (
    VERDICT_SCHEMA,
    CheckedRows,
    RowVerdict,
    check_rows,
    staged_identities,
)
from renkei.submissions import ReadSubmission, read_submission
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

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


Identities = dict[str, tuple[str | None, str | None, str | None]]


def _identities(frame: pl.DataFrame) -> Identities:
    """activity_id -> (content, title, start date) of rows with an identity (later rows win);
    ``frame`` has activity_id, content_sha256, title and starts_on."""
    rows = frame.filter(pl.col("activity_id").is_not_null())
    starts = rows["starts_on"].dt.to_string("%Y-%m-%d").to_list()
    return dict(
        zip(
            rows["activity_id"].to_list(),
            zip(rows["content_sha256"].to_list(), rows["title"].to_list(), starts, strict=True),
            strict=True,
        )
    )


def _current(outcome: IntakeOutcome) -> Identities:
    """activity_id -> (content, title, start date) of the accepted rows (later rows win)."""
    return _identities(outcome.frame.filter(pl.col("accepted")))


def _with_identities(staged: pl.DataFrame) -> pl.DataFrame:
    """Rows that carry a staged submission row (``position`` not null) get its identity
    (activity_id, content_sha256, title, starts_on) recomputed; other rows get nulls."""
    staged = staged.with_row_index("_i")
    has_row = staged.filter(pl.col("position").is_not_null())
    ids = staged_identities(has_row).with_columns(has_row["_i"])
    return (
        staged.drop("title", strict=False)
        .join(ids.drop("position"), on="_i", how="left")
        .sort("_i")
        .drop("_i")
    )


_QUARANTINE_SCHEMA = {
    "stage_id": pl.String,
    "raw_sha256": pl.String,
    "position": pl.Int64,
    "member_id": pl.String,
    "reason": pl.String,
    "detail": pl.String,
}


def _quarantine_frame(outcome: IntakeOutcome, member_id: str) -> pl.DataFrame:
    positions: list[int] = []
    reasons: list[str | None] = []
    details: list[str | None] = []
    if outcome.checked is not None:
        values = outcome.checked.rejected_values
        reasons = outcome.decided.filter(~pl.col("accepted"))["reason"].to_list()
        positions = values["position"].to_list()
        names = [c for c in values.columns if c != "position"]
        details = [
            json.dumps(
                {k: v for k, v in zip(names, row, strict=True) if v is not None},
                ensure_ascii=False,
            )
            for row in values.select(names).iter_rows()
        ]
        if len(reasons) != len(positions):
            raise ValueError("rejected rows and their values differ in number")
    if outcome.error:
        positions, reasons, details = [*positions, -1], [*reasons, outcome.error], [*details, None]
    return pl.DataFrame(
        {
            "stage_id": pl.Series([None] * len(positions), dtype=pl.String),
            "raw_sha256": pl.Series([outcome.sha256] * len(positions), dtype=pl.String),
            "position": pl.Series(positions, dtype=pl.Int64),
            "member_id": pl.Series([member_id] * len(positions), dtype=pl.String),
            "reason": pl.Series(reasons, dtype=pl.String),
            "detail": pl.Series(details, dtype=pl.String),
        },
        schema=_QUARANTINE_SCHEMA,
    )


def _rows_frame(outcome: IntakeOutcome) -> pl.DataFrame:
    """The verdicts the warehouse keeps: rejected rows only. An accepted row is in
    stg_items, and its identity is recomputed from there (submission_check.staged_identities)."""
    return outcome.decided.filter(~pl.col("accepted")).select(
        sha256=pl.lit(outcome.sha256),
        member_id=pl.lit(outcome.member_id),
        position="position",
        accepted="accepted",
        activity_id=pl.lit(None, pl.String),  # a rejected row has no identity
        content_sha256=pl.lit(None, pl.String),
        title="title",
        starts_on="starts_on",
        reason="reason",
    )


def _submission_frame(outcome: IntakeOutcome) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "sha256": outcome.sha256,
                "member_id": outcome.member_id,
                "file_name": outcome.file_name,
                "path": str(outcome.path),
                "period": outcome.period,
                "received_at": outcome.received_at,
                "format": outcome.format,
                "encoding": outcome.encoding,
                "rows_read": outcome.rows_read,
                "rows_accepted": outcome.accepted,
                "rows_rejected": outcome.rejected,
                "status": "rejected" if outcome.error else "accepted",
                "error": outcome.error,
                "superseded_by": None,
                "receipt_path": str(outcome.receipt_path) if outcome.receipt_path else None,
            }
        ]
    )


def _diff(earlier: Identities, outcome: IntakeOutcome) -> list[ChangedRow]:
    """added / changed / withdrawn between the replaced files' rows and the new ones."""
    now = _current(outcome)
    changes = []
    for activity_id, (content, title, starts) in now.items():
        if activity_id not in earlier:
            changes.append(ChangedRow("added", title, starts))
        elif earlier[activity_id][0] != content:
            changes.append(ChangedRow("changed", title, starts))
    for activity_id, (_content, title, starts) in earlier.items():
        if activity_id not in now:
            changes.append(ChangedRow("withdrawn", title, starts))
    return changes


@dataclass
class _Plan:
    """What the warehouse already holds decides what a submission's writes do."""

    replaced: list[str]  # sha256 of the earlier files it replaces
    withdrawn: set[str]  # activity ids only the replaced rows held (unless held elsewhere)


def _plan(con, outcome: IntakeOutcome, *, requeue: bool) -> _Plan | None:
    """Read what the submission meets in the warehouse (sets ``duplicate_of``, ``replaced``
    and ``changes`` on the outcome); None when it is the same file again (nothing to write)."""
    member_id, sha = outcome.member_id, outcome.sha256
    previous = run_query(con, "submission_by_sha", {"sha256": sha, "member_id": member_id})
    if not previous.is_empty() and not requeue:
        outcome.duplicate_of = previous["received_at"][0]
        return None
    earlier: Identities = {}
    replaced: list[str] = []
    if requeue and not previous.is_empty():
        own = run_query(con, "submission_staged_of", {"sha256": sha, "member_id": member_id})
        earlier = _identities(staged_identities(own))
    elif not outcome.error:
        candidates = _with_identities(
            run_query(
                con,
                "submissions_same_period",
                {"member_id": member_id, "period": outcome.period, "sha256": sha},
            )
        )
        new_ids = (
            set(outcome.frame["activity_id"].drop_nulls().to_list())
            if not candidates.is_empty()
            else set()
        )
        for (old_sha, name), rows in candidates.group_by(
            ["sha256", "file_name"], maintain_order=True
        ):
            ids = set(rows["activity_id"].drop_nulls().to_list())
            if name == outcome.file_name or ids & new_ids:
                replaced.append(str(old_sha))
                outcome.replaced.append(str(name))
                earlier.update(_identities(rows))
    outcome.changes = _diff(earlier, outcome) if (replaced or requeue) else []
    withdrawn = set(earlier) - set(_current(outcome)) if earlier else set()
    return _Plan(replaced, withdrawn)


def _write(
    con,
    outcome: IntakeOutcome,
    checked: CheckedRows | None,
    stored: StoredPayload,
    plan: _Plan,
    *,
    requeue: bool,
) -> None:
    """All warehouse writes of one submission, in one transaction."""
    member_id, sha = outcome.member_id, outcome.sha256
    replaced, withdrawn = plan.replaced, plan.withdrawn
    with transaction(con):
        record_payload(
            con,
            stored,
            source_kind="submission",
            source_ref=outcome.file_name,
            member_id=member_id,
            content_type=_CONTENT_TYPES.get(outcome.format or "", "application/octet-stream"),
            seen_at=outcome.received_at,
        )
        own = {"sha256": sha, "member_id": member_id}
        if requeue:
            keep = checked.staged["stage_id"].to_list() if checked is not None else []
            execute(con, "delete_submission_staged_except", {**own, "keep": keep})
            for name in _FORGET:
                execute(con, name, own)
        for old in replaced:
            params = {"sha256": old, "member_id": member_id}
            execute(con, "delete_submission_staged", params)
            execute(con, "delete_submission_quarantine", params)
            execute(con, "mark_submission_superseded", {**params, "by": sha})
        if withdrawn:
            held = staged_identities(
                run_query(
                    con,
                    "activities_held_elsewhere",
                    {"member_id": member_id, "replaced": [*replaced, sha]},
                )
            )
            gone = sorted(withdrawn - set(held["activity_id"].to_list()))
            for name in ("withdraw_activity_organisers", "withdraw_activity_merges",
                         "withdraw_activities"):  # fmt: skip
                if gone:
                    execute(con, name, {"ids": gone})
        if checked is not None:
            outcome.rows_staged = _stage(con, checked.staged, own)
        write_batch(
            con,
            "insert_quarantine",
            _quarantine_frame(outcome, member_id),
            stage="submission",
            now=outcome.received_at,
        )
        write_batch(con, "insert_submission_rows", _rows_frame(outcome))
        write_batch(con, "insert_submission", _submission_frame(outcome))


def _stage(con, staged: pl.DataFrame, own: dict[str, str]) -> int:
    """Stage the accepted rows. A file not staged before for this member (the usual case)
    cannot conflict with anything staged (its stage ids are scoped to file and member), so it
    is inserted without the per-row conflict check."""
    if staged.is_empty():
        return 0
    if run_query(con, "submission_staged_count", own)["n"][0]:
        return stage_rows(con, staged)  # processed again: rows already staged are kept
    # One DuckDB thread for this insert: on two cores its parallel Arrow scan only contends
    # with itself (100,000 rows: 0.12 s single-threaded, 0.24 s with two threads).
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute("SET threads = 1")
    try:
        write_batch(con, "insert_submission_staged", staged)
    finally:
        con.execute(f"SET threads = {threads}")  # an int read back from DuckDB
    return staged.height


_FORGET = (
    "delete_submission_quarantine",
    "delete_submission_record",
    "delete_submission",
)
_CONTENT_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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
    # Three things run beside the main thread, mostly outside the GIL (hashing and writing
    # bytes, DuckDB): keeping the raw bytes while they are read, opening (and migrating)
    # the warehouse while the rows are judged, and the warehouse writes while the rows'
    # identities (duplicate notes) and the receipt are worked out. Each is waited for
    # where its result is needed, and before its block is left.
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="renkei-intake") as pool,
        ExitStack() as held,
    ):
        storing = pool.submit(RawStore(settings.raw_store).put, data)  # kept even if unreadable
        read: ReadSubmission | None = None
        error: str | None = None
        try:
            read = read_submission(data, path.name, sheet=settings.intake.sheet)
        except SubmissionError as exc:
            error = str(exc)
        stored = storing.result()
        outcome = IntakeOutcome(
            member.member_id,
            path.name,
            stored.sha256,
            path.resolve(),
            period or period_of(path.name, received_at),
            received_at,
            error=error,
        )
        opening = pool.submit(
            held.enter_context, open_warehouse(settings.warehouse, stage="ingest_submission")
        )
        checked: CheckedRows | None = None
        try:
            if read is not None:
                outcome.format, outcome.encoding = read.format, read.encoding
                checked = check_rows(
                    read.frame,
                    raw_sha256=stored.sha256,
                    member_id=member.member_id,
                    member_names=members,
                    source_ref=path.name,
                    received_at=received_at,
                )
                outcome.checked = checked
        finally:
            wait([opening])  # the connection is on ``held`` before anything unwinds it
        con = opening.result()
        outcome.receipt_path = receipt_path(path, settings.inbox, member.member_id)
        plan = _plan(con, outcome, requeue=requeue)
        writing = None
        if plan is not None:
            writing = pool.submit(_write, con, outcome, checked, stored, plan, requeue=requeue)
        try:
            text = render_receipt(facts_for(settings, outcome, member))
        finally:
            if writing is not None:
                wait([writing])  # never close the connection while the writes run
        if writing is not None:
            writing.result()  # the writes' error, if any
    outcome.receipt_text = text
    write_receipt(outcome.receipt_path, outcome.receipt_text)
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
