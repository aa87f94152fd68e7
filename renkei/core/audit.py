"""The audit log: who did what to which subject, and when (one row per action).

Where the action came from (the console, and the remote address of the request) is set
once per request with :func:`origin`; every entry written while it is set carries it, so
the stage functions the console calls need not know they were called from a web page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import duckdb

from warehouse.queries import execute

_ORIGIN: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("renkei_audit_origin", default=())


@contextmanager
def origin(**where: str) -> Iterator[None]:
    """Entries written inside carry ``where`` (e.g. ``via="console", remote="10.0.0.5"``)."""
    token = _ORIGIN.set(tuple({**dict(_ORIGIN.get()), **where}.items()))
    try:
        yield
    finally:
        _ORIGIN.reset(token)


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
            "detail": json.dumps(
                {**detail, **dict(_ORIGIN.get())}, ensure_ascii=False, default=str
            ),
        },
    )
