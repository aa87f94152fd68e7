"""The member portal's own pages beside submitting: 掲載内容 (the member's activities, and
a request to correct or withdraw one), 配信設定 (the signed-in contact's subscription,
language and interests; a colleague to add, as a request) and フィード (the member's feed
health in plain words, with what to fix).

A member never changes published data or another contact directly: corrections,
withdrawals and colleagues go to the secretariat as requests (renkei.submissions
.member_requests). The contact's own subscription is theirs to change; every change is
audited with the contact's address as the actor and the portal as the origin.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.console.portal import _call, _contact, _go, _page, _posted
from renkei.console.web import console
from renkei.core.errors import EXPECTED
from renkei.core.registry import PREFECTURES, SECTORS
from renkei.core.settings import Settings
from renkei.core.signin import Contact
from renkei.delivery.contacts_admin import add_contact, edit_contact, unsubscribe_contact
from renkei.delivery.subscribers import LANGUAGES
from renkei.feeds.health import read_health
from renkei.newsletter.model import CATEGORY_JA
from renkei.submissions.member_requests import (
    ACTIVITY_KINDS,
    KIND_JA,
    STATUS_JA,
    RequestRefused,
    file_request,
    list_requests,
    member_activities,
)
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

SECTOR_JA = {"academia": "学（大学・高専・研究機関）", "industry": "産（企業・経済団体）",
             "government": "官（国・自治体・支援機関）", "finance": "金（金融機関）"}  # fmt: skip
CHUGOKU = ("鳥取県", "島根県", "岡山県", "広島県", "山口県")
LANGUAGE_JA = {"ja": "日本語", "en": "英語（English）"}
CONTACT_STATUS_JA = {"subscribed": "配信中", "unsubscribed": "配信を停止しています",
                     "bounced": "届かなかったため停止しています"}  # fmt: skip
SOURCE_JA = {"feed": "フィード", "csv": "報告ファイル"}
SENT = "事務局に依頼を送りました"
SAVED = {"saved": "配信設定を保存しました", "stopped": "配信を停止しました",
         "resumed": "配信を再開しました"}  # fmt: skip
STOP_REASON = "本人がポータルで停止"
FEED_JA = {"failing": "取得できていません", "disabled": "取得を止めています",
           "never-fetched": "まだ取得していません", "stale": "新しい記事がありません",
           "ok": "正常に取得できています"}  # fmt: skip
FEED_CLASS = {"failing": "bad", "disabled": "bad", "never-fetched": "warn", "stale": "warn",
              "ok": "ok"}  # fmt: skip


# ------------------------------------------------------------------ 掲載内容


def _activities_page(request: Request, rows: dict[str, Any], status_code: int = 200,
                     **context: Any) -> Response:  # fmt: skip
    return _page(request, "portal/activities.html", status_code=status_code,
                 CATEGORY_JA=CATEGORY_JA, SOURCE_JA=SOURCE_JA, KIND_JA=KIND_JA,
                 STATUS_JA=STATUS_JA, kinds=ACTIVITY_KINDS, **rows, **context)  # fmt: skip


def read_activities(settings: Settings, member_id: str) -> dict[str, Any]:
    """The member's activities (newest first, capped) and the requests they sent."""
    return {"activities": member_activities(settings, member_id),
            "requests": list_requests(settings, member_id, limit=50)}  # fmt: skip


async def activities(request: Request) -> Response:
    _, contact = _contact(request)
    app = console(request)
    rows = await _call(request, read_activities, app.settings, contact.member_id)
    sent = SENT if request.query_params.get("sent") else None
    return _activities_page(request, rows, sent=sent)


async def send_request(request: Request) -> Response:
    """A correction, withdrawal or colleague request; the activity is checked on the server
    to be the member's own (the member comes from the session, never from the form)."""
    _, contact, form = await _posted(request)
    app = console(request)
    kind = str(form.get("kind") or "")
    back = "/portal/settings" if kind == "colleague" else "/portal/activities"
    try:
        await _call(request, file_request, app.settings, contact.member_id, contact.email,
                    kind, str(form.get("message") or ""),
                    activity_id=str(form.get("activity_id") or "") or None,
                    colleague_email=str(form.get("colleague_email") or ""),
                    colleague_name=str(form.get("colleague_name") or ""),
                    _write=True)  # fmt: skip
    except RequestRefused as exc:
        if kind == "colleague":
            return await _settings_page(request, contact, status_code=400,
                                        colleague_error=str(exc))  # fmt: skip
        rows = await _call(request, read_activities, app.settings, contact.member_id)
        return _activities_page(request, rows, status_code=400, error=str(exc))
    return _go(request, f"{back}?sent=1")


# ------------------------------------------------------------------ 配信設定


def read_contacts(settings: Settings, member_id: str, email: str) -> dict[str, Any]:
    """The signed-in contact's row (None if gone) and the member's other addresses."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = run_query(con, "contacts_list", {"member_id": member_id}).to_dicts()
    mine = next((r for r in rows if r["email"] == email), None)
    if mine is not None:
        mine["tags"] = {t for t in (mine["interests"] or "").split(",") if t}
        mine["far"] = any(t.startswith("prefecture:") and t[11:] not in CHUGOKU
                          for t in mine["tags"])  # fmt: skip
    return {"mine": mine, "others": [r["email"] for r in rows if r["email"] != email]}


async def _settings_page(request: Request, contact: Contact, status_code: int = 200,
                         **context: Any) -> Response:  # fmt: skip
    app = console(request)
    found = await _call(request, read_contacts, app.settings, contact.member_id, contact.email)
    return _page(request, "portal/settings.html", status_code=status_code,
                 STATUS_JA=CONTACT_STATUS_JA, LANGUAGE_JA=LANGUAGE_JA, SECTOR_JA=SECTOR_JA,
                 CATEGORY_JA=CATEGORY_JA, sectors=SECTORS, chugoku=CHUGOKU,
                 prefectures=[p for p in PREFECTURES if p not in CHUGOKU],
                 languages=LANGUAGES, **found, **context)  # fmt: skip


async def settings_page(request: Request) -> Response:
    _, contact = _contact(request)
    q = request.query_params
    return await _settings_page(request, contact, saved=SAVED.get(q.get("done", "")),
                                sent=SENT if q.get("sent") else None)  # fmt: skip


def interests_of(form: Any) -> str:
    """The ticked boxes as ``sector:academia; prefecture:広島県`` (unknown values dropped)."""
    allowed = {"sector": set(SECTORS), "prefecture": set(PREFECTURES),
               "category": set(CATEGORY_JA)}  # fmt: skip
    tags = [f"{kind}:{value}" for kind, values in allowed.items()
            for value in form.getlist(kind) if value in values]  # fmt: skip
    return "; ".join(sorted(set(tags)))


def resume(settings: Settings, email: str, member_id: str, *, by: str) -> str:
    """Subscribe the contact again with the language and interests they had."""
    mine = read_contacts(settings, member_id, email)["mine"]
    if mine is None:
        raise RequestRefused("このアドレスは配信先にありません。事務局にご連絡ください")
    return add_contact(settings, email, member_id, mine["language"] or "ja",
                       mine["interests"] or "", by=by)  # fmt: skip


async def settings_save(request: Request) -> Response:
    _, contact, form = await _posted(request)
    app = console(request)
    what, email = str(form.get("do") or ""), contact.email
    try:
        if what == "save":
            language = str(form.get("language") or "ja")
            await _call(request, edit_contact, app.settings, email, language,
                        interests_of(form), by=email, _write=True)  # fmt: skip
            done = "saved"
        elif what == "stop":
            await _call(request, unsubscribe_contact, app.settings, email, by=email,
                        reason=STOP_REASON, _write=True)  # fmt: skip
            done = "stopped"
        elif what == "resume":
            await _call(request, resume, app.settings, email, contact.member_id, by=email,
                        _write=True)  # fmt: skip
            done = "resumed"
        else:
            raise RequestRefused("操作が分かりません")
    except EXPECTED as exc:
        return await _settings_page(request, contact, status_code=400, error=str(exc))
    return _go(request, f"/portal/settings?done={done}")


# ------------------------------------------------------------------ フィード


def feed_advice(row: dict[str, Any]) -> str:
    """What the member should do about their feed, in plain words."""
    status = row["status"]
    if status == "failing":
        reason = " ".join(str(row.get("last_error") or "理由不明").split())[:200]
        return (f"直近の取得に失敗しています（{reason}）。フィードのURLが変わっていないか、"
                "サーバーが止まっていないかご確認ください")  # fmt: skip
    if status == "disabled":
        return ("フィードが廃止されたと返されたため取得を止めています。"
                "新しいURLを事務局にお知らせください")  # fmt: skip
    if status == "stale":
        return ("90日間新しい記事がありません。記事を載せているのにこの表示が続くときは、"
                "フィードに新しい記事が出ているかご確認ください")  # fmt: skip
    if status == "never-fetched":
        return "まだ一度も取得していません。次回の取得で確認します"
    return "正常に取得できています。対応は必要ありません"


def member_feed(settings: Settings, member_id: str) -> dict[str, Any] | None:
    """The member's feed health row with the advice, or None when they have no feed."""
    rows = [r for r in read_health(settings).to_dicts() if r["member_id"] == member_id]
    if not rows:
        return None
    row = rows[0]
    row["advice"] = feed_advice(row)
    return row


async def feed(request: Request) -> Response:
    _, contact = _contact(request)
    app = console(request)
    row = await _call(request, member_feed, app.settings, contact.member_id)
    return _page(request, "portal/feed.html", feed=row, FEED_JA=FEED_JA, FEED_CLASS=FEED_CLASS)


ROUTES = [
    Route("/portal/activities", activities, methods=["GET"]),
    Route("/portal/requests", send_request, methods=["POST"]),
    Route("/portal/settings", settings_page, methods=["GET"]),
    Route("/portal/settings", settings_save, methods=["POST"]),
    Route("/portal/feed", feed, methods=["GET"]),
]
