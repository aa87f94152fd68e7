"""会員からの依頼 (requests members sent from the portal: correct or withdraw an activity,
add a colleague): the secretariat reads them, open ones first, acts on each outside this
page (編集, 配信先) and marks it handled, with an optional note; the contact who sent it is
told by mail (renkei.collaboration.request_answers); audited."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.collaboration.request_answers import answer_request
from renkei.console.web import act, console, page, posted, redirect, signed_in
from renkei.core.errors import EXPECTED
from renkei.submissions.member_requests import KIND_JA, STATUS_JA, list_requests


async def requests_list(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    rows = await act(request, app.gate.read, list_requests, app.settings)
    open_count = sum(1 for r in rows if r["status"] == "open")
    return page(request, "requests.html", rows=rows, open_count=open_count, KIND_JA=KIND_JA,
                STATUS_JA=STATUS_JA)  # fmt: skip


async def request_done(request: Request) -> Response:
    user, form = await posted(request, "edit")
    app = console(request)
    request_id = request.path_params["request_id"]
    try:
        message = await act(request, app.gate.write, answer_request, app.settings, request_id,
                            by=user.display, note=str(form.get("note") or ""))  # fmt: skip
    except EXPECTED as exc:
        return redirect(request, "/requests", str(exc), "error")
    return redirect(request, "/requests", message)


ROUTES = [
    Route("/requests", requests_list, methods=["GET"]),
    Route("/requests/{request_id:int}/done", request_done, methods=["POST"]),
]
