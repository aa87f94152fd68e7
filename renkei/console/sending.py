"""配信: start the send of an approved issue, follow it live, then the outcome per status
with every failure and the server's reply; resend the failed or unknown ones (admin).

The send is `renkei send` itself, started as its own process (so it holds the warehouse
like any flow, and the console stays free); without a Prefect API the 送信を開始 button
starts it, with one the on-approval deployment does. Its progress comes from the file the
send keeps beside its journal (renkei.delivery.progress), never from the warehouse, so the
page follows a send that holds the warehouse.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from renkei.console.access import Busy
from renkei.console.issues import _issue_id
from renkei.console.web import act, console, page, posted, redirect, signed_in
from renkei.core.audit import audit
from renkei.core.errors import ApprovalError
from renkei.core.events import api_url
from renkei.core.settings import Settings
from renkei.delivery.bounce_rules import issue_events
from renkei.delivery.progress import SendProgress, progress_path, read_progress
from renkei.delivery.report import delivery_report
from renkei.newsletter.workbench import issue_workbench
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

STATUS_JA = {"sent": "送信済み", "failed": "失敗", "unknown": "結果不明", "sending": "送信途中"}


def _progress_json(progress: SendProgress | None) -> dict[str, object]:
    if progress is None:
        return {"state": "none", "state_ja": "まだ送信していません", "finished": False}
    return {
        "state": progress.state, "state_ja": progress.state_ja, "total": progress.total,
        "done": progress.done, "sent": progress.sent, "failed": progress.failed,
        "unknown": progress.unknown, "percent": round(progress.percent, 1),
        "rate": f"{progress.rate:.1f}", "finished": progress.state != "running",
        "error": progress.error or "",
    }  # fmt: skip


def start_send(settings: Settings, config: Path, issue_id: str, *, by: str,
               resend: str | None = None, wait_seconds: float = 8.0) -> str | None:  # fmt: skip
    """Record who started it, then start `renkei send` as its own process (its output goes
    to ``<warehouse>.send-<issue>.log``) and wait until it has begun: its progress file is
    written, or it ended. Returns None once it runs, else why it stopped (its last line)."""
    with open_warehouse(settings.warehouse, stage="send_requested") as con:
        audit(con, by, "send_requested", issue_id, resend=resend)
    args = [sys.executable, "-m", "renkei", "send", issue_id, "--config", str(config)]
    if resend:
        args.append(f"--resend-{resend}")
    elif api_url() is None:  # no after-send deployment: the open data follows the send here
        args.append("--publish")
    log = settings.warehouse.with_name(f"{settings.warehouse.name}.send-{issue_id}.log")
    progress = progress_path(settings.warehouse, issue_id)
    before = progress.stat().st_mtime_ns if progress.exists() else 0
    start = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        child = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=str(config.parent),
        )  # fmt: skip
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if progress.exists() and progress.stat().st_mtime_ns != before:
            break
        if child.poll() is not None:
            break
        time.sleep(0.05)
    threading.Thread(target=child.wait, daemon=True).start()  # reap it when it ends
    if child.poll() not in (None, 0):
        with log.open("rb") as handle:
            handle.seek(start)
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {child.returncode}"
    return None


def read_delivery(settings: Settings, issue_id: str) -> dict[str, Any]:
    """The issue, its deliveries, how many messages a send would make now, and whether the
    open dataset was written after the issue was sent."""
    bench = issue_workbench(settings, issue_id)
    report = delivery_report(settings, issue_id)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        recipients = run_query(con, "delivery_recipients", {"issue_id": issue_id})
        bounces = issue_events(con, issue_id).to_dicts()  # what the bounce mailbox said
    to_send = recipients.filter(
        ~recipients["delivery_status"].is_in(["sent", "unknown"])
        | recipients["delivery_status"].is_null()
    ).height
    index = settings.publish_dir / "activities.csv"
    published = datetime.fromtimestamp(index.stat().st_mtime, UTC) if index.is_file() else None
    stale_dataset = bench.status == "sent" and (
        published is None or (bench.sent_at is not None and published < bench.sent_at)
    )
    return {"bench": bench, "report": report, "to_send": to_send, "published": published,
            "stale_dataset": stale_dataset, "bounces": bounces}  # fmt: skip


async def show(request: Request) -> Response:
    await signed_in(request)
    issue_id = _issue_id(request)
    app = console(request)
    progress = read_progress(app.settings.warehouse, issue_id)
    sending = progress is not None and progress.state == "running"
    found: dict[str, Any] = {"bench": None, "report": None, "to_send": None}
    if not sending:
        try:
            found = await act(request, app.gate.read, read_delivery, app.settings, issue_id)
        except Busy:
            pass  # a send (or a flow) holds the warehouse: the live figures still show
        except ApprovalError:
            if progress is None:
                raise HTTPException(404) from None
    return page(
        request, "delivery.html", issue_id=issue_id, progress=progress,
        live=_progress_json(progress), sending=sending, STATUS_JA=STATUS_JA,
        prefect=api_url() is not None, **found,
    )  # fmt: skip


async def progress_json(request: Request) -> Response:
    await signed_in(request)
    issue_id = _issue_id(request)
    progress = read_progress(console(request).settings.warehouse, issue_id)
    return JSONResponse(_progress_json(progress))


async def send(request: Request) -> Response:
    user, form = await posted(request, "approve")
    issue_id = _issue_id(request)
    app = console(request)
    resend = str(form.get("resend") or "") or None
    if resend is not None:
        if not user.may("admin"):
            return redirect(request, f"/issues/{issue_id}/delivery",
                            "再送は管理者が行います", "error")  # fmt: skip
        if resend not in ("failed", "unknown"):
            return redirect(request, f"/issues/{issue_id}/delivery", "再送の種類が違います",
                            "error")  # fmt: skip
    progress = read_progress(app.settings.warehouse, issue_id)
    if progress is not None and progress.state == "running":
        return redirect(request, f"/issues/{issue_id}/delivery", "すでに送信中です", "error")
    what = {"failed": "失敗した宛先への再送", "unknown": "結果不明の宛先への再送"}.get(
        resend or "", "送信"
    )
    # the audit entry inside the writer slot; the send process then takes the file itself
    stopped = await act(request, app.gate.write, start_send, app.settings, app.config_path,
                        issue_id, by=user.display, resend=resend)  # fmt: skip
    if stopped:
        return redirect(request, f"/issues/{issue_id}/delivery",
                        f"{what}を始められませんでした：{stopped}", "error")  # fmt: skip
    return redirect(request, f"/issues/{issue_id}/delivery", f"{what}を始めました")


ROUTES = [
    Route("/issues/{issue_id}/delivery", show, methods=["GET"]),
    Route("/issues/{issue_id}/delivery/progress", progress_json, methods=["GET"]),
    Route("/issues/{issue_id}/send", send, methods=["POST"]),
]
