"""The warehouse side of one submission: what it meets there (the same file again, earlier
files of the same period it replaces), and its writes, in one transaction.

``SubmissionWriter`` runs them on one helper thread beside the main thread's reading and
judging, in the order they are asked for:

1. keep the raw bytes (kept even when they cannot be read);
2. open the warehouse and look the file up. A file this member has not sent before (the
   usual case) has nothing staged that its rows could conflict with, so
3. each judged part's accepted rows are staged, and its rejected rows quarantined, while the
   main thread judges the next part (one transaction, begun by the first part);
4. ``finish``: the plan (``plan_for``: replaced files, withdrawn activities; nothing to
   look up when the member has no earlier file of the period), the remaining writes
   (``_write``), commit. The main thread works out the receipt meanwhile.

A failed step skips every later one, the transaction is rolled back when the writer is left,
and ``planned``/``committed`` raise the error. Other cases (processing a stored file again,
rows of these bytes already staged) write everything in step 4, with the conflict checks.
Why: for a 100,000-row file the commit alone is ~0.3 s of DuckDB work, and judging ~0.3 s
of Polars; overlapped, a whole intake takes about what reading, judging and committing take
(README, Performance: csv intake).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from renkei.core.rawstore import RawStore, StoredPayload
from renkei.core.row_json import row_json
from renkei.core.staging import record_payload, stage_rows, write_batch
from renkei.submissions.check import CheckedRows, staged_identities
from renkei.submissions.duckdb_settings import bounded_memory, one_thread
from renkei.submissions.outcome import IntakeOutcome
from renkei.submissions.replacement import Plan, plan_for
from warehouse.connection import open_warehouse
from warehouse.queries import execute, registered, run_query


class SubmissionWriter:
    """Keep, look up, stage and write one submission on a helper thread (see the module)."""

    def __init__(self, raw_store: Path, warehouse: Path, member_id: str, data: bytes,
                 *, period: str, received_at: datetime, requeue: bool,
                 stored: StoredPayload | None = None) -> None:  # fmt: skip
        self._member_id = member_id
        self._period = period
        self._received_at = received_at
        self._requeue = requeue
        self._error: BaseException | None = None
        self._held = ExitStack()
        self._bounded = ExitStack()  # DuckDB's memory limit while a new file is staged
        self._con: duckdb.DuckDBPyConnection | None = None
        self._streaming = False  # parts are staged as they are judged
        self._quarantine_fresh = False  # nothing of this file from this member quarantined
        self._earlier_files = 0  # earlier files of the member's period (it may replace them)
        self._in_transaction = False
        self._staged: int | None = None  # rows staged part by part (None: no part written)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="renkei-intake")
        # ``stored``: kept already (a file too big to hold, streamed into the store)
        self._stored: Future[StoredPayload] = Future()
        if stored is None:
            self._stored = self._pool.submit(RawStore(raw_store).put, data)
        else:
            self._stored.set_result(stored)
        self._pool.submit(self._step, self._open, warehouse)
        self._planned: Future[Plan | None] | None = None
        self._committed: Future[None] | None = None

    def __enter__(self) -> SubmissionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        """After every step asked for: roll back what was not committed, close the warehouse."""
        self._pool.submit(self._close)
        self._pool.shutdown(wait=True)

    # -- asked for by the main thread

    def stored(self) -> StoredPayload:
        return self._stored.result()

    def stage(self, part: CheckedRows) -> None:
        """Stage one judged part's accepted rows and keep its rejected rows' verdicts (when
        this file can be written as it goes)."""
        self._pool.submit(self._step, self._stage_part, part)

    def finish(self, outcome: IntakeOutcome) -> None:
        """Plan, write the rest and commit, after the parts already asked for."""
        self._planned = self._pool.submit(self._step, self._plan, outcome)
        self._committed = self._pool.submit(self._step, self._write_rest, outcome)
        self._pool.submit(self._close)  # at once: the main thread writes the receipt meanwhile

    def planned(self) -> None:
        """Wait for the plan: it sets the outcome's duplicate_of, replaced and changes."""
        if self._planned is None:
            raise RuntimeError("finish() first")
        self._wait(self._planned)

    def committed(self) -> None:
        """Wait for the commit; raise the first error of any step."""
        if self._committed is None:
            raise RuntimeError("finish() first")
        self._wait(self._committed)

    # -- the steps, on the helper thread

    def _wait(self, future: Future[Any]) -> None:
        future.exception()  # waits; a step's error is kept in self._error
        if self._error is not None:
            raise self._error

    def _step(self, step: Callable[..., Any], *args: Any) -> Any:
        if self._error is not None:
            return None
        try:
            return step(*args)
        except BaseException as exc:
            self._error = exc
            raise

    def _open(self, warehouse: Path) -> None:
        self._con = self._held.enter_context(
            open_warehouse(warehouse, stage="ingest_submission", small_row_groups=True)
        )
        own = {"sha256": self.stored().sha256, "member_id": self._member_id}
        seen = run_query(self._con, "submission_by_sha", own)
        staged = run_query(self._con, "submission_staged_count", own)["n"][0]
        self._streaming = not self._requeue and seen.is_empty() and not staged
        if self._streaming:  # its writes are inserts; the limit is lifted for a plan_for
            self._bounded.enter_context(bounded_memory(self._con))
        quarantined = {**own, "stage": "submission"}
        self._quarantine_fresh = not run_query(self._con, "quarantine_count", quarantined)["n"][0]
        period = {**own, "period": self._period}
        self._earlier_files = run_query(self._con, "submissions_same_period_count", period)["n"][0]

    def _begin(self) -> None:
        if not self._in_transaction:
            self._con.execute("BEGIN TRANSACTION")
            self._in_transaction = True

    def _stage_part(self, part: CheckedRows) -> None:
        if not self._streaming:
            return
        self._begin()
        self._staged = self._staged or 0
        if not part.staged.is_empty():
            with one_thread(self._con):
                write_views(self._con, "insert_submission_staged", part.staged)
            self._staged += part.staged.height
        _write_verdicts(self._con, self.stored().sha256, self._member_id, part, None,
                        at=self._received_at, fresh=self._quarantine_fresh)  # fmt: skip

    def _plan(self, outcome: IntakeOutcome) -> Plan | None:
        if self._streaming and not self._earlier_files:  # new, and nothing it could replace
            outcome.changes = []
            return Plan([], set())
        self._bounded.close()  # looking up what it replaces: DuckDB's usual memory
        return plan_for(self._con, outcome, requeue=self._requeue)

    def _write_rest(self, outcome: IntakeOutcome) -> None:
        plan = self._planned.result() if self._planned is not None else None
        if plan is None:  # the same file again: nothing is written
            return
        self._begin()
        _write(self._con, outcome, outcome.checked, self.stored(), plan,
               requeue=self._requeue, staged=self._staged)  # fmt: skip
        self._con.execute("COMMIT")
        self._in_transaction = False

    def _close(self) -> None:
        try:
            if self._in_transaction and self._con is not None:
                try:
                    self._con.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # a failed COMMIT has ended the transaction already
        finally:
            try:
                self._bounded.close()
            finally:
                self._held.close()


_QUARANTINE_SCHEMA = {
    "stage_id": pl.String,
    "raw_sha256": pl.String,
    "position": pl.Int64,
    "member_id": pl.String,
    "reason": pl.String,
    "detail": pl.String,
}


def _quarantine_frame(
    sha256: str, member_id: str, checked: CheckedRows | None, error: str | None
) -> pl.DataFrame:
    """One row per rejected row (its reasons, and its cells as JSON), and one for a file
    that could not be read at all (position -1)."""
    found = [pl.DataFrame(schema={"position": pl.Int64, "reason": pl.String, "detail": pl.String})]
    if checked is not None:
        values = checked.rejected_values
        reasons = checked.decided.filter(~pl.col("accepted"))["reason"]
        if reasons.len() != values.height:
            raise ValueError("rejected rows and their values differ in number")
        detail = row_json(values.drop("position"))
        found.append(pl.DataFrame([values["position"], reasons, detail.alias("detail")]))
    if error:
        unread = {"position": [-1], "reason": [error], "detail": [None]}
        found.append(pl.DataFrame(unread, schema=found[0].schema))
    rows = pl.concat(found, how="vertical_relaxed")
    return rows.select(
        stage_id=pl.lit(None, pl.String),
        raw_sha256=pl.lit(sha256, pl.String),
        position="position",
        member_id=pl.lit(member_id, pl.String),
        reason="reason",
        detail="detail",
    ).cast(_QUARANTINE_SCHEMA)


def _rows_frame(sha256: str, member_id: str, checked: CheckedRows) -> pl.DataFrame:
    """The verdicts the warehouse keeps: rejected rows only. An accepted row is in
    stg_items, and its identity is recomputed from there (submission_check.staged_identities)."""
    return checked.decided.filter(~pl.col("accepted")).select(
        sha256=pl.lit(sha256),
        member_id=pl.lit(member_id),
        position="position",
        accepted="accepted",
        activity_id=pl.lit(None, pl.String),  # a rejected row has no identity
        content_sha256=pl.lit(None, pl.String),
        title="title",
        starts_on="starts_on",
        reason="reason",
    )


def _write_verdicts(
    con,
    sha256: str,
    member_id: str,
    checked: CheckedRows | None,
    error: str | None,
    *,
    at: datetime,
    fresh: bool,
) -> None:
    """Quarantine and verdict rows of the rejected rows (of a part, or of the whole file).
    ``fresh``: nothing of this file from this member is quarantined yet (processing it again
    may conflict; a new file's rows cannot)."""
    write_batch(
        con,
        "insert_quarantine_new" if fresh else "insert_quarantine",
        _quarantine_frame(sha256, member_id, checked, error),
        stage="submission",
        now=at,
    )
    if checked is not None:
        write_batch(con, "insert_submission_rows", _rows_frame(sha256, member_id, checked))


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
        ],
        # typed even when null: DuckDB reads the frame in place (warehouse.queries.arrow_views)
        schema_overrides=dict.fromkeys(_NULLABLE_TEXT, pl.String),
    )


_NULLABLE_TEXT = ("format", "encoding", "error", "superseded_by", "receipt_path")


def _write(
    con,
    outcome: IntakeOutcome,
    checked: CheckedRows | None,
    stored: StoredPayload,
    plan: Plan,
    *,
    requeue: bool,
    staged: int | None,
) -> None:
    """The writes of one submission after its plan, inside the writer's transaction.
    ``staged``: how many accepted rows were staged already (part by part), or None when
    they are staged here."""
    member_id, sha = outcome.member_id, outcome.sha256
    replaced, withdrawn = plan.replaced, plan.withdrawn
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
        for name in ("withdraw_activity_organisers", "withdraw_activity_organiser_names",
                     "withdraw_activity_merges", "withdraw_activities"):  # fmt: skip
            if gone:
                execute(con, name, {"ids": gone})
    if staged is not None:  # staged part by part, with the parts' verdicts
        outcome.rows_staged = staged
    else:
        if checked is not None:
            outcome.rows_staged = _stage(con, checked.staged, own)
        quarantined = run_query(con, "quarantine_count", {**own, "stage": "submission"})
        _write_verdicts(con, sha, member_id, checked, outcome.error, at=outcome.received_at,
                        fresh=not quarantined["n"][0])  # fmt: skip
    write_batch(con, "insert_submission", _submission_frame(outcome))


def _stage(con, staged: pl.DataFrame, own: dict[str, str]) -> int:
    """Stage the accepted rows. A file not staged before for this member (the usual case)
    cannot conflict with anything staged (its stage ids are scoped to file and member), so it
    is inserted without the per-row conflict check."""
    if staged.is_empty():
        return 0
    if run_query(con, "submission_staged_count", own)["n"][0]:
        return stage_rows(con, staged)  # processed again: rows already staged are kept
    with one_thread(con):
        write_views(con, "insert_submission_staged", staged)
    return staged.height


def write_views(con, statement: str, frame: pl.DataFrame) -> None:
    """``write_batch`` for the staged rows, handing DuckDB the frame's text as Arrow string
    views (warehouse.queries.registered): no copy of every text into Arrow large strings on
    the way (per 20,000 rows: ~10 MB less, and the insert ~35% faster). DuckDB reads the
    same values (tests/test_submissions_parts.py)."""
    if frame.is_empty():
        return
    with registered(con, batch=frame):
        execute(con, statement)


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
