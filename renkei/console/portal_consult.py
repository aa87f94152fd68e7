"""「この取組について相談する」 in the member portal: the short form a bulletin link opens
(pre-filled with the item and, from the signed link, the reader's institution and
address), or that a signed-in contact opens from the public event list; the request goes
to the secretariat's queue (renkei.collaboration)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.collaboration.requests import PURPOSES, ConsultationError, create_request
from renkei.console.portal import _call, _contact, _page, _session, portal
from renkei.console.web import console
from renkei.core.consult_link import ConsultLink, ConsultLinkRefused, read_link
from renkei.core.settings import Settings
from renkei.core.signin import Contact, find_contact
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

NOT_FOUND = "この取組、またはあなたの登録が見つかりませんでした。事務局にご連絡ください"


def consult_item(settings: Settings, activity_id: str) -> dict[str, Any] | None:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        found = run_query(con, "consult_item", {"activity_id": activity_id})
    return None if found.is_empty() else found.row(0, named=True)


def _reader(request: Request, token: str) -> tuple[ConsultLink | None, str | None]:
    """The link's reader (``reader/activity/mac``), or the signed-in contact; else
    (None, None)."""
    app = console(request)
    if token:
        parts = token.split("/")
        if len(parts) != 3:
            raise ConsultLinkRefused("このリンクは正しくありません")
        link = read_link(portal(request).key, *parts,
                         days=app.settings.console.consult_link_days)  # fmt: skip
        return link, link.email
    session = _session(request)
    if session is None:
        return None, None
    _contact(request)  # a signed-in contact: the form carries their session's CSRF token
    return None, session.login


async def form(request: Request) -> Response:
    params = request.path_params
    token = "/".join(params[k] for k in ("reader", "activity", "mac")) if params else ""
    app = console(request)
    try:
        link, email = _reader(request, token)
    except ConsultLinkRefused as exc:
        return _page(request, "portal/signin.html", status_code=410, error=str(exc))
    activity_id = link.activity_id if link else request.query_params.get("activity", "")
    if email is None:  # the public page: sign in by mail first, then come back here
        target = f"/portal/consult?activity={quote(activity_id)}"
        first = "ご相談の前に、登録されたメールアドレスでログインしてください"
        return _page(request, "portal/signin.html", next=target, error=first)
    item = await _call(request, consult_item, app.settings, activity_id)
    contact: Contact | None = await _call(request, find_contact, app.settings, email)
    if item is None or contact is None:
        return _page(request, "portal/signin.html", status_code=404, error=NOT_FOUND)
    return _page(request, "portal/consult.html", item=item, contact=contact, token=token,
                 purposes=PURPOSES)  # fmt: skip


async def submit(request: Request) -> Response:
    data = await request.form()
    token = str(data.get("token") or "")
    app = console(request)
    try:
        link, email = _reader(request, token)
    except ConsultLinkRefused as exc:
        return _page(request, "portal/signin.html", status_code=410, error=str(exc))
    session = _session(request)
    if link is None:  # no signed link: a portal session and its CSRF token
        if session is None or not session.csrf_ok(str(data.get("csrf") or "")):
            again = "送信を受け付けませんでした。もう一度ログインしてください"
            return _page(request, "portal/signin.html", status_code=403, error=again)
    activity_id = link.activity_id if link else str(data.get("activity_id") or "")
    contact = await _call(request, find_contact, app.settings, email or "")
    item = await _call(request, consult_item, app.settings, activity_id)
    if contact is None or item is None:
        return _page(request, "portal/signin.html", status_code=404, error=NOT_FOUND)
    try:
        number = await _call(
            request, create_request, app.settings, activity_id=activity_id,
            issue_id=link.issue_id if link else None, email=contact.email,
            member_id=contact.member_id, name=str(data.get("name") or ""),
            purpose=str(data.get("purpose") or ""), message=str(data.get("message") or ""),
            consent_share=data.get("consent") == "yes", _write=True,
        )  # fmt: skip
    except ConsultationError as exc:
        return _page(request, "portal/consult.html", status_code=400, item=item,
                     contact=contact, token=token, purposes=PURPOSES, error=str(exc),
                     values=dict(data))  # fmt: skip
    return _page(request, "portal/consult_sent.html", item=item, number=number)


ROUTES = [
    Route("/portal/consult", form, methods=["GET"]),
    Route("/portal/consult", submit, methods=["POST"]),
    Route("/portal/consult/{reader}/{activity}/{mac}", form, methods=["GET"]),
]
