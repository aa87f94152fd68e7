"""相談（連携の取次ぎ）: the secretariat's queue of consultation requests — the item, both
parties with their sectors and prefectures — and the actions on one: introduce both parties
(one mail), ask for more, decline with a reason, then record the outcome with its date; and
the figures per quarter and sector pair."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.collaboration.requests import (
    OUTCOMES,
    PURPOSES,
    STATUS_JA,
    ConsultationError,
    ask_more,
    decline,
    figures,
    get_request,
    introduce,
    list_requests,
    record_outcome,
)
from renkei.console.web import act, console, page, posted, redirect, signed_in

SECTOR_JA = {"industry": "産", "academia": "学", "government": "官", "finance": "金", "?": "？"}


async def queue(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    rows = await act(request, app.gate.read, list_requests, app.settings)
    counts = await act(request, app.gate.read, figures, app.settings)
    return page(request, "consultations.html", rows=rows, figures=counts, STATUS_JA=STATUS_JA,
                SECTOR_JA=SECTOR_JA)  # fmt: skip


def _number(request: Request) -> int:
    text = request.path_params["number"]
    if not text.isdigit():
        raise HTTPException(404)
    return int(text)


async def detail(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    try:
        row = await act(request, app.gate.read, get_request, app.settings, _number(request))
    except ConsultationError:
        raise HTTPException(404) from None
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date().isoformat()
    return page(request, "consultation.html", c=row, STATUS_JA=STATUS_JA, OUTCOMES=OUTCOMES,
                PURPOSES=PURPOSES, SECTOR_JA=SECTOR_JA, today=today)  # fmt: skip


async def action(request: Request) -> Response:
    user, form = await posted(request, "edit")
    app = console(request)
    number = _number(request)
    back = f"/consultations/{number}"
    what = str(form.get("do") or "")
    text = str(form.get("text") or "")
    try:
        if what == "introduce":
            sent = await act(request, app.gate.write, introduce, app.settings, number,
                             by=user.display, note=text)  # fmt: skip
            message = f"紹介のメールを送りました（{'、'.join(sent)}）"
        elif what == "ask":
            await act(request, app.gate.write, ask_more, app.settings, number, by=user.display,
                      question=text)  # fmt: skip
            message = "相談者に問い合わせのメールを送りました"
        elif what == "decline":
            await act(request, app.gate.write, decline, app.settings, number, by=user.display,
                      reason=text)  # fmt: skip
            message = "お断りのメールを送りました"
        elif what == "outcome":
            try:
                on = date.fromisoformat(str(form.get("on") or ""))
            except ValueError:
                return redirect(request, back, "日付を 2026-12-10 の形で入れてください", "error")
            await act(request, app.gate.write, record_outcome, app.settings, number,
                      by=user.display, outcome=str(form.get("outcome") or ""), on=on,
                      note=text)  # fmt: skip
            message = "結果を記録しました"
        else:
            return redirect(request, back, "操作が分かりません", "error")
    except ConsultationError as exc:
        return redirect(request, back, str(exc), "error")
    return redirect(request, back, message)


ROUTES = [
    Route("/consultations", queue, methods=["GET"]),
    Route("/consultations/{number}", detail, methods=["GET"]),
    Route("/consultations/{number}", action, methods=["POST"]),
]
