"""Consultation requests: made by a reader about one activity, worked by the secretariat
(introduce both parties, ask for more, decline), then their outcome recorded over time.

Every step is a row in ``consultation_events`` and an audit entry; mails go through the
same transport as everything else (renkei.core.mail_transport).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from renkei.collaboration import mails
from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.registry import load_registry
from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query, sql
from warehouse.transaction import transaction

JST = ZoneInfo("Asia/Tokyo")
PURPOSES = ("共同研究", "技術相談", "施設利用", "参加・出展", "資金・融資", "その他")
OUTCOMES = ("紹介済", "面談・打合せ", "共同研究・事業化に進展", "見送り")
STATUS_JA = {"new": "新規", "more_info": "追加情報待ち", "introduced": "紹介済",
             "declined": "お断り"}  # fmt: skip


class ConsultationError(RenkeiError):
    """A request that cannot be made or changed as asked (message in Japanese)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _event(con, consultation_id: int, actor: str, kind: str, note: str | None) -> None:
    execute(con, "consultation_event_insert", {
        "consultation_id": consultation_id, "now": _now(), "actor": actor, "kind": kind,
        "note": note,
    })  # fmt: skip


def create_request(
    settings: Settings, *, activity_id: str, issue_id: str | None, email: str,
    member_id: str, name: str, purpose: str, message: str, consent_share: bool,
) -> int:  # fmt: skip
    """Record a reader's request about ``activity_id``; returns its number."""
    if purpose not in PURPOSES:
        raise ConsultationError(f"ご相談の目的を選んでください（{'・'.join(PURPOSES)}）")
    message = message.strip()
    if not message:
        raise ConsultationError("ご相談の内容を書いてください")
    if len(message) > 4000:
        raise ConsultationError("ご相談の内容は4,000字以内にしてください")
    with open_warehouse(settings.warehouse, stage="consultation") as con:
        found = run_query(con, "consult_item", {"activity_id": activity_id})
        if found.is_empty():
            raise ConsultationError(
                "この取組は見つかりませんでした（取り下げられた可能性があります）"
            )
        with transaction(con):
            row = con.execute(
                sql("consultation_insert"),
                {"activity_id": activity_id, "issue_id": issue_id, "requester_email": email,
                 "requester_member": member_id, "requester_name": name.strip() or None,
                 "purpose": purpose, "message": message, "consent_share": consent_share,
                 "now": _now()},
            ).fetchone()  # fmt: skip
            assert row is not None
            number = int(row[0])
            _event(con, number, email, "requested", purpose)
            audit(con, email, "consultation", str(number), activity_id=activity_id,
                  purpose=purpose, consent_share=consent_share)  # fmt: skip
    return number


def list_requests(settings: Settings) -> list[dict[str, Any]]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return requests_from(con)


def requests_from(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """``list_requests`` on an open connection."""
    return run_query(con, "consultations_list", {"consultation_id": None}).to_dicts()


def get_request(settings: Settings, consultation_id: int) -> dict[str, Any]:
    """One request with its item, both parties (with the organiser's contact addresses from
    the registry) and its history."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        found = run_query(con, "consultations_list", {"consultation_id": consultation_id})
        events = run_query(con, "consultation_events",
                           {"consultation_id": consultation_id}).to_dicts()  # fmt: skip
    if found.is_empty():
        raise ConsultationError(f"相談 {consultation_id} はありません")
    row = found.row(0, named=True)
    members = {m.member_id: m for m in load_registry(settings.registry)}
    organiser = members.get(row["organiser_member"] or "")
    row["organiser_emails"] = list(organiser.contact_emails) if organiser else []
    if row.get("need_email"):  # a need or seed: the contact who posted it answers
        row["organiser_emails"] = [row["need_email"]]
    row["events"] = events
    return row


def _change(settings: Settings, consultation_id: int, *, by: str, kind: str, note: str | None,
            status: str | None = None, outcome: str | None = None,
            outcome_at: date | None = None) -> None:  # fmt: skip
    with open_warehouse(settings.warehouse, stage="consultation") as con, transaction(con):
        execute(con, "consultation_update", {
            "consultation_id": consultation_id, "status": status, "outcome": outcome,
            "outcome_at": outcome_at, "now": _now(),
        })  # fmt: skip
        _event(con, consultation_id, by, kind, note)
        audit(con, by, f"consultation_{kind}", str(consultation_id), note=note,
              status=status, outcome=outcome)  # fmt: skip


def introduce(settings: Settings, consultation_id: int, *, by: str, note: str = "") -> list[str]:
    """Send one introduction mail to both parties (the requester's contact only when they
    agreed to share it), then mark the request introduced (outcome 紹介済)."""
    row = get_request(settings, consultation_id)
    if row["status"] == "declined":
        raise ConsultationError("お断りした相談は紹介できません")
    if not row["organiser_emails"]:
        raise ConsultationError(
            "主催機関の連絡先が会員名簿にありません。名簿に登録してから紹介してください"
        )
    try:
        sent = mails.send_introduction(settings, row, note=note.strip())
    except mails.MailNotSent as exc:  # what went out is recorded; the request stays open
        went = "、".join(exc.sent) or "なし"
        missed = "届いたか不明" if exc.unknown else "届かなかった"  # no reply after the "."
        _change(settings, consultation_id, by=by, kind="introduce_failed",
                note=f"送信済み：{went}。{missed}：{exc}")  # fmt: skip
        raise ConsultationError(
            f"紹介のメールを送り切れませんでした（送信済み：{went}。{missed}：{exc}）。"
            "宛先を確かめて、もう一度紹介してください"
        ) from None
    _change(settings, consultation_id, by=by, kind="introduced", note=note.strip() or None,
            status="introduced", outcome="紹介済", outcome_at=datetime.now(UTC).date())  # fmt: skip
    return sent


def ask_more(settings: Settings, consultation_id: int, *, by: str, question: str) -> None:
    if not question.strip():
        raise ConsultationError("お尋ねする内容を書いてください")
    row = get_request(settings, consultation_id)
    mails.send_question(settings, row, question.strip())
    _change(settings, consultation_id, by=by, kind="asked", note=question.strip(),
            status="more_info")  # fmt: skip


def decline(settings: Settings, consultation_id: int, *, by: str, reason: str) -> None:
    if not reason.strip():
        raise ConsultationError("お断りする理由を書いてください（相談者にお伝えします）")
    row = get_request(settings, consultation_id)
    mails.send_decline(settings, row, reason.strip())
    _change(settings, consultation_id, by=by, kind="declined", note=reason.strip(),
            status="declined", outcome="見送り", outcome_at=datetime.now(UTC).date())  # fmt: skip


def record_outcome(settings: Settings, consultation_id: int, *, by: str, outcome: str,
                   on: date, note: str = "") -> None:  # fmt: skip
    """What came of an introduction, and when (紹介済 → 面談・打合せ → 進展 / 見送り)."""
    if outcome not in OUTCOMES:
        raise ConsultationError(f"結果は {'・'.join(OUTCOMES)} のどれかです")
    if on > datetime.now(JST).date():
        raise ConsultationError("結果の日付に先の日は入れられません（起きた日を入れてください）")
    get_request(settings, consultation_id)
    when = f"{outcome}（{on.year}年{on.month}月{on.day}日）"
    _change(settings, consultation_id, by=by, kind="outcome",
            note=f"{when}：{note.strip()}" if note.strip() else when,
            outcome=outcome, outcome_at=on)  # fmt: skip


def stale_requests(settings: Settings, *, weeks: int, now: datetime | None = None) -> list[dict]:
    """Requests without an outcome beyond the introduction for ``weeks`` (reminders)."""
    before = (now or _now()) - timedelta(weeks=weeks)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return run_query(con, "consultations_stale", {"before": before}).to_dicts()


def figures(settings: Settings) -> list[dict[str, Any]]:
    """Counts per quarter and sector pair: requests, introductions, meetings,
    collaborations (no names: the open data and the statistics page publish these)."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return run_query(con, "consultation_figures").to_dicts()
