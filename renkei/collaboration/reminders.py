"""Reminders: the secretariat gets one mail listing the consultation requests that have had
no outcome beyond the introduction for ``weeks`` (the scheduled `remind_consultations`
flow and `renkei consultations remind` call this)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from renkei.collaboration.mails import compose_mail, send_mail
from renkei.collaboration.requests import STATUS_JA, stale_requests
from renkei.core.audit import audit
from renkei.core.settings import Settings
from renkei.newsletter.dates_ja import jp_date
from warehouse.connection import open_warehouse
from warehouse.queries import execute
from warehouse.transaction import transaction


def remind(settings: Settings, *, weeks: int | None = None, now: datetime | None = None) -> str:
    """Mail the list (to ``[orchestration] alert_to``, else the issuer's address); returns a
    one-line summary. Nothing is mailed when nothing waits."""
    weeks = weeks or settings.collaboration.reminder_weeks
    rows = stale_requests(settings, weeks=weeks, now=now)
    if not rows:
        return f"consultations: none without an outcome for {weeks} weeks; nothing mailed"
    to = str(settings.orchestration.alert_to or settings.issuer.contact_email)
    lines = [
        f"・相談 {r['consultation_id']}（{jp_date(r['created_at'])}受付、"
        f"{STATUS_JA.get(r['status'], r['status'])}"
        f"{'・' + r['outcome'] if r['outcome'] else ''}）{r['title'] or ''}"
        f" — {r['requester_member_name'] or ''}"
        for r in rows
    ]
    body = (
        f"事務局各位\n\n{weeks}週間以上、結果が記録されていない相談が {len(rows)} 件あります。"
        "相手方に様子を伺い、コンソールの「相談」で結果を記録してください。\n\n"
        + "\n".join(lines)
        + "\n"
    )
    subject = f"【要確認】結果が未記録の相談 {len(rows)} 件"
    send_mail(settings, compose_mail(settings, [to], subject, body), [to], "reminders")
    return f"consultations: {len(rows)} without an outcome for {weeks} weeks; mailed to {to}"


def purge_expired(settings: Settings, *, now: datetime | None = None) -> str:
    """Erase personal parts older than ``[collaboration] retention_months`` (audited)."""
    months = settings.collaboration.retention_months
    before = (now or datetime.now(UTC)) - timedelta(days=months * 30)
    with open_warehouse(settings.warehouse, stage="consultation") as con, transaction(con):
        for name in ("consultations_purge", "consultation_events_purge", "needs_purge"):
            execute(con, name, {"before": before})
        audit(con, "renkei", "consultation_purge", "consultations", before=before.date())
    return f"consultations: personal parts older than {months} months erased"
