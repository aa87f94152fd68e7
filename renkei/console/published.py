"""公開データ: the activities hidden from public view (show one again), hiding an activity
with a reason (also posted from an issue's page), publishing the open dataset now, and the
link to the public page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei import pipeline
from renkei.console.web import act, console, page, posted, redirect, signed_in
from renkei.core.audit import audit
from renkei.core.errors import EXPECTED
from renkei.core.settings import Settings
from renkei.newsletter.model import CATEGORY_JA
from renkei.normalize.hiding import hidden_activities, hide, unhide
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

RECENT = 50  # latest activities listed with a hide form


def _last_published(settings: Settings) -> datetime | None:
    index = settings.publish_dir / "activities.csv"
    if not index.is_file():
        return None
    return datetime.fromtimestamp(index.stat().st_mtime, UTC)


def read_dataset(settings: Settings) -> dict[str, Any]:
    """Hidden activities, the latest public ones, and when the dataset was last written."""
    hidden = hidden_activities(settings)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        recent = run_query(con, "console_ops_recent_activities", {"limit": RECENT}).to_dicts()
    return {"hidden": hidden, "recent": recent, "published_at": _last_published(settings)}


def publish_now(settings: Settings, *, by: str) -> int:
    """Write the open dataset now (as the flow does after a send); audited."""
    written: list[Path] = pipeline.publish(settings)
    with open_warehouse(settings.warehouse, stage="publish_dataset") as con:
        audit(con, by, "publish", "dataset", files=len(written))
    return len(written)


def _next(form: Any) -> str:
    """Where to return: a path of this console (an issue page posts its own), else /dataset."""
    target = str(form.get("next") or "")
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/dataset"


async def dataset(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    found = await act(request, app.gate.read, read_dataset, app.settings)
    return page(request, "dataset.html", dataset_url=app.settings.newsletter.dataset_url,
                CATEGORY_JA=CATEGORY_JA, **found)  # fmt: skip


async def activity_hide(request: Request) -> Response:
    user, form = await posted(request, "edit")
    app = console(request)
    activity_id = request.path_params["activity_id"]
    if not str(form.get("reason") or "").strip():
        return redirect(
            request, _next(form), "非公開にする理由を書いてください（記録に残ります）", "error"
        )
    try:
        await act(request, app.gate.write, hide, app.settings, activity_id, by=user.display,
                  reason=str(form.get("reason") or ""))  # fmt: skip
    except EXPECTED as exc:
        return redirect(request, _next(form), str(exc), "error")
    name = str(form.get("title") or "").strip() or activity_id
    message = f"「{name}」を非公開にしました（次の公開・会報の作成から外れます）"
    return redirect(request, _next(form), message)


async def activity_unhide(request: Request) -> Response:
    user, form = await posted(request, "edit")
    app = console(request)
    activity_id = request.path_params["activity_id"]
    try:
        await act(request, app.gate.write, unhide, app.settings, activity_id, by=user.display)
    except EXPECTED as exc:
        return redirect(request, _next(form), str(exc), "error")
    name = str(form.get("title") or "").strip() or activity_id
    message = f"「{name}」を再公開しました（次の公開から載ります）"
    return redirect(request, _next(form), message)


async def dataset_publish(request: Request) -> Response:
    user, _ = await posted(request, "admin")
    app = console(request)
    try:
        count = await act(request, app.gate.write, publish_now, app.settings, by=user.display)
    except EXPECTED as exc:
        return redirect(request, "/dataset", f"公開できませんでした：{exc}", "error")
    return redirect(request, "/dataset", f"公開データを更新しました（{count} ファイル）")


ROUTES = [
    Route("/dataset", dataset, methods=["GET"]),
    Route("/dataset/publish", dataset_publish, methods=["POST"]),
    Route("/activities/{activity_id}/hide", activity_hide, methods=["POST"]),
    Route("/activities/{activity_id}/unhide", activity_unhide, methods=["POST"]),
]
