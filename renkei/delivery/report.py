"""Who got an issue: counts per delivery status and every delivery that is not ``sent``,
for `renkei deliveries` and the send flow's table artifact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import run_query


@dataclass
class DeliveryReport:
    issue_id: str
    rows: list[dict[str, Any]]

    @property
    def counts(self) -> dict[str, int]:
        counts = {"sent": 0, "failed": 0, "sending": 0}
        for row in self.rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return counts

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] != "sent"]

    def summary(self) -> str:
        c = self.counts
        return (
            f"issue {self.issue_id}: {c['sent']} sent, {c['failed']} failed, "
            f"{c['sending']} in progress or interrupted"
        )


def delivery_report(settings: Settings, issue_id: str) -> DeliveryReport:
    """Who got what for one issue (read-only)."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = run_query(con, "delivery_report", {"issue_id": issue_id}).to_dicts()
    return DeliveryReport(issue_id, rows)


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
            "detail": str(r["detail"] or ""),
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
