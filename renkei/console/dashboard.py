"""ダッシュボード: what needs a person now — drafts to approve, feeds that fail or went
quiet, members whose report is missing or has rows to fix, deliveries that failed or
whose outcome is unknown, alerts not yet delivered, and the last and next flow runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from starlette.requests import Request
from starlette.responses import Response

from renkei.collaboration.needs import needs_from
from renkei.collaboration.requests import requests_from
from renkei.console.web import console, page, signed_in
from renkei.core.events import api_url
from renkei.core.settings import Settings
from renkei.delivery.bounce_rules import unreachable_members
from renkei.feeds.health import health_from
from renkei.orchestration.alert_journal import PendingAlert
from renkei.status import status_from
from renkei.submissions.member_requests import open_count_from
from renkei.submissions.overview import overview_from
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

JST = ZoneInfo("Asia/Tokyo")
FEED_STATUS_JA = {
    "failing": "取得失敗", "disabled": "停止（410 Gone）", "never-fetched": "未取得",
    "stale": "90日間新着なし", "ok": "正常",
}  # fmt: skip
FLOW_JA = {
    "ingest_feeds": "フィード取得", "normalize": "正規化", "compile_newsletter": "会報の作成",
    "send_newsletter": "会報の送信", "publish_dataset": "オープンデータ公開",
    "ingest_submission": "報告の受付", "process_inbox": "受付箱の処理",
}  # fmt: skip


@dataclass
class Dashboard:
    period: str
    drafts: list[dict[str, Any]]
    feeds: list[dict[str, Any]]
    feed_counts: dict[str, int]
    reports: list[dict[str, Any]]
    report_counts: dict[str, int]
    deliveries: list[dict[str, Any]]
    alerts: list[PendingAlert]
    runs: list[dict[str, Any]]
    scheduled: list[dict[str, Any]] = field(default_factory=list)
    prefect: str = "未設定"
    consultations_new: int = 0  # consultation requests nobody has acted on yet
    member_requests_open: int = 0  # corrections, withdrawals, colleagues to confirm
    needs_pending: int = 0  # needs and seeds awaiting the secretariat's review
    unreachable: list[dict[str, Any]] = field(default_factory=list)  # every contact suppressed


def due_period(now: datetime) -> str:
    """The report month members are reporting now: the month before this one (JST)."""
    local = now.astimezone(JST)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def read_dashboard(settings: Settings, now: datetime | None = None) -> Dashboard:
    now = now or datetime.now(UTC)
    period = due_period(now)
    # One read-only open for the whole page (each open and close costs ~20 ms: seven of
    # them were most of the page's time, bench/console.py).
    with open_warehouse(settings.warehouse, read_only=True) as con:
        status = status_from(con, settings)
        health = health_from(con, now)
        overview = overview_from(con, period)
        deliveries = run_query(con, "console_delivery_problems").to_dicts()
        unreachable = unreachable_members(con).to_dicts()
        consultations = requests_from(con)
        member_requests_open = open_count_from(con)
        needs = needs_from(con)
    feeds = [r for r in health.to_dicts() if r["status"] != "ok"]
    order = list(FEED_STATUS_JA)
    feeds.sort(key=lambda r: (order.index(r["status"]) if r["status"] in order else 9,
                              r["member_id"]))  # fmt: skip
    reports = [r for r in overview.to_dicts() if r["state"] != "受付"]
    return Dashboard(
        period=period,
        drafts=[r for r in status.issues.to_dicts() if r["status"] in ("draft", "approved")],
        feeds=feeds,
        feed_counts=dict(health.group_by("status").len().iter_rows()),
        reports=reports,
        report_counts=dict(overview.group_by("state").len().iter_rows()),
        deliveries=deliveries,
        alerts=status.alerts,
        runs=status.runs.to_dicts(),
        consultations_new=sum(1 for r in consultations if r["status"] == "new"),
        member_requests_open=member_requests_open,
        needs_pending=sum(1 for n in needs if n["status"] == "pending"),
        unreachable=unreachable,
    )


def scheduled_runs(timeout: float = 2.0) -> tuple[str, list[dict[str, Any]]]:
    """The next scheduled flow runs from the configured Prefect API (state, and up to ten
    runs); a Prefect that does not answer is said so, the page still shows."""
    url = api_url()
    if url is None:
        return "未設定", []
    try:
        with httpx.Client(base_url=url.rstrip("/") + "/", timeout=timeout) as client:
            runs = client.post("flow_runs/filter", json={
                "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
                "sort": "EXPECTED_START_TIME_ASC", "limit": 10,
            }).raise_for_status().json()  # fmt: skip
            ids = sorted({r["deployment_id"] for r in runs if r.get("deployment_id")})
            names = {}
            if ids:
                found = client.post("deployments/filter", json={
                    "deployments": {"id": {"any_": ids}}, "limit": 50,
                }).raise_for_status().json()  # fmt: skip
                names = {d["id"]: d["name"] for d in found}
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return f"接続できません（{type(exc).__name__}）", []
    return "接続中", [
        {"deployment": names.get(r.get("deployment_id"), r["name"]),
         "at": datetime.fromisoformat(r["expected_start_time"])}
        for r in runs if r.get("expected_start_time")
    ]  # fmt: skip


async def show(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    board: Dashboard = await _read(app)
    return page(request, "dashboard.html", board=board, FEED_STATUS_JA=FEED_STATUS_JA,
                FLOW_JA=FLOW_JA)  # fmt: skip


async def _read(app) -> Dashboard:
    from starlette.concurrency import run_in_threadpool

    board = await run_in_threadpool(app.gate.read, read_dashboard, app.settings)
    board.prefect, board.scheduled = await run_in_threadpool(scheduled_runs)
    return board
