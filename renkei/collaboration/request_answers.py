"""Handling a member's request from the portal (会員からの依頼): the request is marked done
(renkei.submissions.member_requests) and the contact who sent it is told by mail.

The two facts are kept apart and each is recorded only once known: "done" is the
secretariat's act and is committed first; the mail is then handed to the mail transport,
and the audit log says ``member_request_answered`` (with the address) only after the
transport accepted it, ``member_request_answer_failed`` with the reason, or
``member_request_answer_unknown`` when the server's reply to the final "." was lost (it may
have the mail). The message returned to the console says which, so a person knows to write
by hand when it failed or may have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from renkei.collaboration.mails import MailNotSent, send_request_answer
from renkei.core.audit import audit
from renkei.core.settings import Settings
from renkei.submissions.member_requests import mark_done
from warehouse.connection import open_warehouse
from warehouse.queries import run_query
from warehouse.transaction import transaction


def request_detail(settings: Settings, request_id: int) -> dict[str, Any]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return run_query(con, "member_request_detail", {"id": request_id}).to_dicts()[0]


def _record(settings: Settings, by: str, action: str, request_id: int, **detail: Any) -> None:
    with open_warehouse(settings.warehouse, stage="member_request") as con, transaction(con):
        audit(con, by, action, f"request:{request_id}", **detail)


def answer_request(
    settings: Settings, request_id: int, *, by: str, note: str = "",
    now: datetime | None = None,
) -> str:  # fmt: skip
    """Mark the request done (RequestRefused when unknown or done already: nothing is
    sent), then mail its sender; a sentence in Japanese saying what happened."""
    done = mark_done(settings, request_id, by=by, note=note, now=now)
    row = request_detail(settings, request_id)
    try:
        send_request_answer(settings, row)
    except MailNotSent as exc:
        # unknown: the server may have it (no reply after the final "."): not a failure
        action = "member_request_answer_unknown" if exc.unknown else "member_request_answer_failed"
        _record(settings, by, action, request_id, to=row["email"], error=exc.why[:500])
        if exc.unknown:
            return (
                f"{done}。ただし、依頼者（{row['email']}）へのお知らせメールは、送信の最後に"
                "メールサーバーの応答が途絶えたため、届いたかどうか分かりません。"
                "念のため直接ご連絡ください"
            )
        return (
            f"{done}。ただし、依頼者（{row['email']}）へのお知らせメールは送れませんでした"
            f"（{exc.why}）。お手数ですが直接ご連絡ください"
        )
    _record(settings, by, "member_request_answered", request_id, to=row["email"])
    return f"{done}。依頼者（{row['email']}）にメールでお知らせしました"
