"""技術ニーズ・シーズ: members post them in the portal (/portal/needs, anonymously if they
wish); the secretariat reviews them in the console (/needs): approve — shown in the next
bulletin and the open dataset until they expire — or decline with a note."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.collaboration.needs import (
    KIND_JA,
    STATUS_JA,
    NeedError,
    list_needs,
    post_need,
    review_need,
)
from renkei.console.portal import _call, _contact, _go, _page, _posted
from renkei.console.web import act, console, page, posted, redirect, signed_in


async def portal_needs(request: Request) -> Response:
    _, contact = _contact(request)
    app = console(request)
    rows = await _call(request, list_needs, app.settings, contact.member_id)
    default = (datetime.now(UTC).date() + timedelta(days=90)).isoformat()
    return _page(request, "portal/needs.html", rows=rows, KIND_JA=KIND_JA, STATUS_JA=STATUS_JA,
                 default_expiry=default, sent=request.query_params.get("sent"))  # fmt: skip


async def portal_post(request: Request) -> Response:
    _, contact, form = await _posted(request)
    app = console(request)
    try:
        expires = date.fromisoformat(str(form.get("expires_on") or ""))
    except ValueError:
        expires = date.min
    try:
        await _call(
            request, post_need, app.settings, member_id=contact.member_id, email=contact.email,
            kind=str(form.get("kind") or ""), title=str(form.get("title") or ""),
            body=str(form.get("body") or ""), anonymous=form.get("anonymous") == "yes",
            expires_on=expires, _write=True,
        )  # fmt: skip
    except NeedError as exc:
        rows = await _call(request, list_needs, app.settings, contact.member_id)
        return _page(request, "portal/needs.html", status_code=400, rows=rows, KIND_JA=KIND_JA,
                     STATUS_JA=STATUS_JA, default_expiry=str(form.get("expires_on") or ""),
                     error=str(exc), values=dict(form))  # fmt: skip
    return _go(request, "/portal/needs?sent=1")


async def console_needs(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    rows = await act(request, app.gate.read, list_needs, app.settings)
    return page(request, "needs.html", rows=rows, KIND_JA=KIND_JA, STATUS_JA=STATUS_JA)


async def console_review(request: Request) -> Response:
    user, form = await posted(request, "edit")
    app = console(request)
    number = request.path_params["need_id"]
    approve = form.get("do") == "approve"
    try:
        await act(request, app.gate.write, review_need, app.settings, number, approve=approve,
                  by=user.display, note=str(form.get("note") or ""))  # fmt: skip
    except NeedError as exc:
        return redirect(request, "/needs", str(exc), "error")
    return redirect(request, "/needs", "掲載を承認しました（次の会報と公開データに載ります）"
                    if approve else "見送りました")  # fmt: skip


ROUTES = [
    Route("/portal/needs", portal_needs, methods=["GET"]),
    Route("/portal/needs", portal_post, methods=["POST"]),
    Route("/needs", console_needs, methods=["GET"]),
    Route("/needs/{need_id:int}", console_review, methods=["POST"]),
]
