"""Who got an issue: counts per delivery status and every delivery that is not ``sent``,
for `renkei deliveries` and the send flow's table artifact. An ``unknown`` (the final "."
was written, no reply came) is listed with the time of the attempt (JST) and the server's
last words, so the secretariat can check with the recipient or resend
(`renkei send ISSUE --resend-unknown`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from renkei.core.errors import ApprovalError
from renkei.core.settings import Settings
from renkei.delivery.bounce_rules import issue_events
from warehouse.connection import open_warehouse
from warehouse.queries import run_query


@dataclass
class DeliveryReport:
    issue_id: str
    rows: list[dict[str, Any]]
    # bounces and complaints read from the bounce mailbox afterwards (renkei bounces process)
    bounces: list[dict[str, Any]] = field(default_factory=list)

    @property
    def bounce_counts(self) -> dict[str, int]:
        """Distinct addresses per kind: hard, soft, delayed, complaint."""
        seen: dict[str, set[str]] = {"hard": set(), "soft": set(), "delayed": set()}
        seen["complaint"] = set()
        for row in self.bounces:
            seen.setdefault(row["kind"], set()).add(row["recipient"])
        return {kind: len(who) for kind, who in seen.items()}

    @property
    def counts(self) -> dict[str, int]:
        counts = {"sent": 0, "failed": 0, "unknown": 0, "sending": 0}
        for row in self.rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return counts

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] != "sent"]

    def summary(self) -> str:
        c, b = self.counts, self.bounce_counts
        line = (
            f"issue {self.issue_id}: {c['sent']} sent, {c['failed']} failed, "
            f"{c['unknown']} unknown, {c['sending']} in progress or interrupted"
        )
        if self.bounces:  # what the bounce mailbox said afterwards (renkei bounces process)
            line += (
                f"; bounced afterwards: {b['hard']} hard, {b['soft']} soft, "
                f"{b['complaint']} complaints"
            )
        return line

    @property
    def unknown(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] == "unknown"]


_JST = ZoneInfo("Asia/Tokyo")


def _detail(row: dict[str, Any]) -> str:
    """The reply or error; for an ``unknown``, when it was tried and what was last heard."""
    if row["status"] != "unknown":
        return str(row["detail"] or "")
    at = row["attempted_at"]
    when = (
        at.astimezone(_JST).strftime("%Y-%m-%d %H:%M:%S JST") if isinstance(at, datetime) else "-"
    )
    return f"tried {when}; {row['error'] or 'no reply'}"


def delivery_report(settings: Settings, issue_id: str) -> DeliveryReport:
    """Who got what for one issue (read-only)."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        if run_query(con, "issue_by_id", {"issue_id": issue_id}).is_empty():
            raise ApprovalError(f"issue {issue_id}: no such issue (see `renkei status`)")
        rows = run_query(con, "delivery_report", {"issue_id": issue_id}).to_dicts()
        bounces = issue_events(con, issue_id).to_dicts()
    for row in rows:
        row["detail"] = _detail(row)
    return DeliveryReport(issue_id, rows, bounces)


@dataclass(frozen=True)
class DeliveryProblem:
    """A delivery that is not ``sent``, with the server's reply as it was recorded."""

    recipient: str
    member_id: str | None
    status: str  # failed | unknown | sending (in progress or interrupted)
    smtp_code: int | None  # the reply's code (for an unknown: the last before the ".")
    smtp_reply: str | None  # the reply's text
    error: str | None  # what renkei made of it (for an unknown: what became of the link)
    attempted_at: datetime | None
    attempts: int
    detail: str  # the one line `renkei deliveries` prints


@dataclass(frozen=True)
class DeliverySummary:
    issue_id: str
    counts: dict[str, int]  # sent, failed, unknown, sending (+ any other status found)
    problems: tuple[DeliveryProblem, ...]  # every delivery that is not sent

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def delivery_summary(settings: Settings, issue_id: str) -> DeliverySummary:
    """Counts per status and every delivery that is not ``sent`` with the server's reply
    (read-only; opens the warehouse, so it waits while a send holds it — during a send read
    ``renkei.delivery.progress.read_progress`` instead)."""
    report = delivery_report(settings, issue_id)
    problems = tuple(
        DeliveryProblem(
            recipient=r["recipient"],
            member_id=r["member_id"],
            status=r["status"],
            smtp_code=r["smtp_code"],
            smtp_reply=r["smtp_reply"],
            error=r["error"],
            attempted_at=r["attempted_at"],
            attempts=int(r["attempts"] or 0),
            detail=r["detail"],
        )
        for r in report.failures
    )
    return DeliverySummary(issue_id, report.counts, problems)


def artifact_rows(report: DeliveryReport) -> list[dict[str, str]]:
    """What `renkei deliveries` prints, as table rows: a count per status, then each
    delivery that is not ``sent`` with the server's reply."""
    rows = [
        {"status": status, "recipient": f"({count})", "member_id": "", "detail": "count"}
        for status, count in report.counts.items()
    ]
    rows += [
        {
            "status": str(r["status"]),
            "recipient": str(r["recipient"]),
            "member_id": str(r["member_id"] or ""),
            "detail": str(r["detail"]),
        }
        for r in report.failures
    ]
    return rows


def publish_artifact(settings: Settings, issue_id: str) -> None:
    """The delivery report as a Prefect table artifact (key ``deliveries-<issue>``)."""
    from prefect.artifacts import create_table_artifact

    report = delivery_report(settings, issue_id)
    create_table_artifact(
        table=artifact_rows(report),
        key=f"deliveries-{issue_id}",
        description=report.summary(),
    )
