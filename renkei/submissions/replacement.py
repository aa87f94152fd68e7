"""What a corrected resubmission replaces: the earlier files of the same member and report
month that it matches (same file name, or a row in common), the rows it adds, changes and
withdraws (a row's identity is member + normalised title + start date), and so the
activities only those earlier files held. A file with no acceptable row replaces nothing:
the earlier files it matches stay in force (``kept_in_force``), and the receipt says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from renkei.submissions.check import staged_identities
from renkei.submissions.outcome import IntakeOutcome
from renkei.submissions.receipts import ChangedRow
from warehouse.queries import run_query

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
class Plan:
    """What the warehouse already holds decides what a submission's writes do."""

    replaced: list[str]  # sha256 of the earlier files it replaces
    withdrawn: set[str]  # activity ids only the replaced rows held (unless held elsewhere)


def plan_for(con, outcome: IntakeOutcome, *, requeue: bool) -> Plan | None:
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
    else:
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
            if not (name == outcome.file_name or ids & new_ids):
                continue
            if not outcome.accepted:  # nothing to put in its place: the earlier file stays
                outcome.kept_in_force.append(str(name))
            else:
                replaced.append(str(old_sha))
                outcome.replaced.append(str(name))
                earlier.update(_identities(rows))
    outcome.changes = _diff(earlier, outcome) if (replaced or requeue) else []
    withdrawn = set(earlier) - set(_current(outcome)) if earlier else set()
    return Plan(replaced, withdrawn)
