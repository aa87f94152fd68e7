"""A member's submissions as the member sees them (the portal's 提出履歴): each file with
its receipt and rows to fix, and the activities published from its reports — hidden ones
with the secretariat's reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from renkei.core.settings import Settings
from renkei.submissions.receipts import fix_for
from warehouse.connection import open_warehouse
from warehouse.queries import run_query


def submission_history(settings: Settings, member_id: str) -> dict[str, Any]:
    """``files``: the member's files, newest month first; ``activities``: file name → the
    activities published from reports of that name."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        files = run_query(con, "member_submissions", {"member_id": member_id}).to_dicts()
        rows = run_query(con, "member_report_activities", {"member_id": member_id}).to_dicts()
    activities: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        activities.setdefault(row["file_name"], []).append(row)
    return {"files": files, "activities": activities}


def receipt_text(settings: Settings, member_id: str, receipt_path: str | None) -> str | None:
    """The receipt as it was written beside the file (in the inbox), if it is there."""
    if not receipt_path:
        return None
    stored = settings.inbox.joinpath(member_id, receipt_path.replace("\\", "/").rpartition("/")[2])
    for path in (stored, Path(receipt_path)):
        if path.is_file():
            return path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    return None


def member_receipt(settings: Settings, member_id: str, sha256: str) -> dict[str, Any] | None:
    """One of the member's files: its row, the rows to fix (with how), the receipt text."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        found = run_query(con, "member_submission", {"sha256": sha256, "member_id": member_id})
        if found.is_empty():
            return None
        rejected = run_query(con, "console_ops_submission_rejected",
                             {"sha256": sha256, "member_id": member_id}).to_dicts()  # fmt: skip
    file = found.row(0, named=True)
    for row in rejected:
        row["fix"] = fix_for(row["reason"] or "")
    return {"file": file, "rejected": rejected,
            "text": receipt_text(settings, member_id, file["receipt_path"])}  # fmt: skip
