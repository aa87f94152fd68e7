"""Requests from a member's contact to the secretariat (会員からの依頼), sent from the member
portal: correct or withdraw one of the member's own activities, or add a colleague as a
contact. The member never changes published data directly — a request is stored (open),
the secretariat reads it in the console, acts, and marks it done. Every request and every
handling is written to the audit log with who did it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
from email_validator import EmailNotValidError, validate_email

from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query, sql
from warehouse.transaction import transaction

KIND_JA = {"correction": "訂正", "withdrawal": "取り下げ", "colleague": "同僚の追加"}
STATUS_JA = {"open": "未対応", "done": "対応済み"}
ACTIVITY_KINDS = ("correction", "withdrawal")
MAX_MESSAGE = 2000
MAX_ACTIVITIES = 200
MAX_LISTED = 500


class RequestRefused(RenkeiError):
    """A request that cannot be taken or handled; the message says why, in Japanese."""

    exit_code = 2


def _text(value: str | None, limit: int) -> str:
    return "\n".join(" ".join(line.split()) for line in (value or "").strip().splitlines())[
        :limit
    ].strip()


def member_activities(
    settings: Settings, member_id: str, limit: int = MAX_ACTIVITIES
) -> list[dict[str, Any]]:
    """The member's activities from their feed and reports, newest first, at most ``limit``."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        params = {"member_id": member_id, "limit": limit}
        return run_query(con, "member_request_activities", params).to_dicts()


def file_request(
    settings: Settings, member_id: str, email: str, kind: str, message: str, *,
    activity_id: str | None = None, colleague_email: str | None = None,
    colleague_name: str | None = None, now: datetime | None = None,
) -> int:  # fmt: skip
    """Store one request from ``email`` (a contact of ``member_id``); audited with the
    contact as the actor. An activity must be the member's own; RequestRefused if not."""
    if kind not in KIND_JA:
        raise RequestRefused("依頼の種類が分かりません")
    text = _text(message, MAX_MESSAGE)
    colleague = name = None
    if kind in ACTIVITY_KINDS:
        if not text:
            raise RequestRefused("依頼の内容を書いてください")
        if not activity_id:
            raise RequestRefused("どの活動についての依頼かが分かりません")
    else:
        activity_id = None
        name = _text(colleague_name, 100)
        if not name:
            raise RequestRefused("追加する方のお名前を書いてください")
        try:
            colleague = validate_email(
                (colleague_email or "").strip(), check_deliverability=False
            ).normalized.lower()
        except EmailNotValidError:
            raise RequestRefused("追加する方のメールアドレスを確かめてください") from None
    with open_warehouse(settings.warehouse, stage="member_request") as con:
        if activity_id is not None:
            owned = run_query(con, "member_request_activity",
                              {"activity_id": activity_id, "member_id": member_id})  # fmt: skip
            if owned.is_empty():
                raise RequestRefused("この活動への依頼は受け付けられません")
        with transaction(con):
            row = con.execute(
                sql("member_request_insert"),
                {"member_id": member_id, "email": email, "kind": kind,
                 "activity_id": activity_id, "message": text, "colleague_email": colleague,
                 "colleague_name": name, "now": now or datetime.now(UTC)},
            ).fetchone()  # fmt: skip
            assert row is not None
            request_id = int(row[0])
            detail: dict[str, Any] = {"member_id": member_id, "kind": kind}
            if activity_id:
                detail["activity_id"] = activity_id
            if colleague:
                detail["colleague_email"] = colleague
            audit(con, email, "member_request", f"request:{request_id}", **detail)
    return request_id


def _rows(
    con: duckdb.DuckDBPyConnection, member_id: str | None, limit: int
) -> list[dict[str, Any]]:
    try:
        params = {"member_id": member_id, "limit": limit}
        return run_query(con, "member_request_list", params).to_dicts()
    except duckdb.CatalogException:  # a warehouse no writer has migrated to 022 yet
        return []


def list_requests(
    settings: Settings, member_id: str | None = None, limit: int = MAX_LISTED
) -> list[dict[str, Any]]:
    """Requests (of one member, or all): open first, then newest first."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return _rows(con, member_id, limit)


def open_count(settings: Settings) -> int:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return open_count_from(con)


def open_count_from(con: duckdb.DuckDBPyConnection) -> int:
    """``open_count`` on an open connection."""
    try:
        return int(run_query(con, "member_request_open_count")["open"][0])
    except duckdb.CatalogException:
        return 0


def mark_done(
    settings: Settings, request_id: int, *, by: str, note: str = "",
    now: datetime | None = None,
) -> str:  # fmt: skip
    """The secretariat handled the request; audited. RequestRefused when it is unknown or
    already done."""
    with open_warehouse(settings.warehouse, stage="member_request") as con:
        found = run_query(con, "member_request_by_id", {"id": request_id}).to_dicts()
        if not found:
            raise RequestRefused(f"依頼 {request_id} は見つかりません")
        if found[0]["status"] != "open":
            raise RequestRefused(f"依頼 {request_id} はすでに対応済みです")
        text = _text(note, MAX_MESSAGE) or None
        with transaction(con):
            execute(con, "member_request_done", {"id": request_id, "by": by, "note": text,
                    "now": now or datetime.now(UTC)})  # fmt: skip
            audit(con, by, "member_request_done", f"request:{request_id}",
                  member_id=found[0]["member_id"], kind=found[0]["kind"], note=text)  # fmt: skip
    return f"依頼 {request_id}（{KIND_JA[found[0]['kind']]}）を対応済みにしました"
