"""The audit log: who did what to which subject, and when (one row per action)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb

from warehouse.queries import execute


def audit(
    con: duckdb.DuckDBPyConnection, actor: str, action: str, subject: str, **detail: object
) -> None:
    """Append one entry in the caller's transaction; ``detail`` is stored as JSON."""
    execute(
        con,
        "insert_audit",
        {
            "at": datetime.now(UTC),
            "actor": actor,
            "action": action,
            "subject": subject,
            "detail": json.dumps(detail, ensure_ascii=False, default=str),
        },
    )
