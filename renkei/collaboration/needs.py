"""Technical needs and seeds (技術ニーズ・シーズ): a member posts one through the portal,
anonymously to other members if it wishes; the secretariat reviews it; an approved one is
shown in the next bulletin and the open dataset until it expires — without the poster's
name, sector or prefecture when anonymous, and never with the contact's address. Answers
come as consultation requests about ``need-<id>`` and are relayed by the secretariat."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from renkei.collaboration.mails import compose_mail, send_mail
from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query, sql
from warehouse.transaction import transaction

KIND_JA = {"need": "技術ニーズ（求めています）", "seed": "技術シーズ（提供できます）"}
STATUS_JA = {"pending": "確認待ち", "approved": "承認済み（次の会報・公開データに掲載）",
             "rejected": "見送り"}  # fmt: skip
MAX_DAYS = 366


class NeedError(RenkeiError):
    """A need or seed that cannot be posted or reviewed as asked (Japanese message)."""


def post_need(
    settings: Settings, *, member_id: str, email: str, kind: str, title: str, body: str,
    anonymous: bool, expires_on: date, today: date | None = None,
) -> int:  # fmt: skip
    today = today or datetime.now(UTC).date()
    if kind not in KIND_JA:
        raise NeedError("ニーズかシーズかを選んでください")
    title, body = " ".join(title.split()), body.strip()
    if not title or not body:
        raise NeedError("題名と内容を書いてください")
    if len(title) > 100 or len(body) > 2000:
        raise NeedError("題名は100字、内容は2,000字までにしてください")
    if not today < expires_on <= today + timedelta(days=MAX_DAYS):
        raise NeedError("掲載期限は明日から1年以内の日にしてください")
    with open_warehouse(settings.warehouse, stage="needs") as con, transaction(con):
        row = con.execute(sql("need_insert"), {
            "kind": kind, "member_id": member_id, "email": email, "title": title, "body": body,
            "anonymous": anonymous, "expires_on": expires_on, "now": datetime.now(UTC),
        }).fetchone()  # fmt: skip
        assert row is not None
        audit(con, email, "need_post", f"need-{row[0]}", kind=kind, anonymous=anonymous)
    return int(row[0])


def list_needs(settings: Settings, member_id: str | None = None) -> list[dict[str, Any]]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return needs_from(con, member_id)


def needs_from(
    con: duckdb.DuckDBPyConnection, member_id: str | None = None
) -> list[dict[str, Any]]:
    """``list_needs`` on an open connection."""
    return run_query(con, "needs_list", {"member_id": member_id}).to_dicts()


def review_need(
    settings: Settings, need_id: int, *, approve: bool, by: str, note: str = ""
) -> None:
    """Approve (published from the next draft and release) or decline with a note."""
    if not approve and not note.strip():
        raise NeedError("見送る理由を書いてください（投稿した会員に伝わります）")
    with open_warehouse(settings.warehouse, stage="needs") as con, transaction(con):
        found = run_query(con, "needs_list", {"member_id": None}).filter(
            need_id=need_id, status="pending"
        )
        if found.is_empty():
            raise NeedError(f"ニーズ・シーズ {need_id} は確認待ちではありません")
        execute(con, "need_review", {
            "need_id": need_id, "status": "approved" if approve else "rejected", "by": by,
            "now": datetime.now(UTC), "note": note.strip() or None,
        })  # fmt: skip
        audit(con, by, "need_approve" if approve else "need_reject", f"need-{need_id}",
              note=note.strip() or None)  # fmt: skip
    _tell_poster(settings, found.row(0, named=True), approve=approve, note=note.strip())


def _tell_poster(settings: Settings, row: dict[str, Any], *, approve: bool, note: str) -> None:
    """The poster hears the review by mail (after it is recorded; a mail failure does not
    undo it — the portal shows the same)."""
    until = f"{row['expires_on'].month}月{row['expires_on'].day}日"
    if approve:
        hidden = "（機関名は出しません）" if row["anonymous"] else ""
        body = (
            f"ご担当者様\n\n事務局です。ご投稿の「{row['title']}」を確認しました。"
            f"次の会報と公開データに{until}まで掲載します{hidden}。"
            "お問い合わせがあれば事務局からお知らせします。\n"
        )
    else:
        body = (
            f"ご担当者様\n\n事務局です。ご投稿の「{row['title']}」は、"
            f"次の理由で掲載を見送りました。\n\n{note}\n\n"
            "内容を見直して、会員ポータルからもう一度お送りいただけます。\n"
        )
    subject = f"【技術ニーズ・シーズ】{'掲載します' if approve else '掲載を見送りました'}"
    to = [row["email"]]
    try:
        send_mail(
            settings, compose_mail(settings, to, subject, body), to, f"needs-{row['need_id']}"
        )
    except RenkeiError:
        pass


def public_needs(settings: Settings, on: date) -> list[dict[str, Any]]:
    """What may be published on ``on``: approved, not expired, anonymous ones nameless."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return run_query(con, "needs_public", {"on": on}).to_dicts()
