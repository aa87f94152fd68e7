"""フィード (feed health, re-enabling a feed stopped by 410 Gone), 提出状況 (a report month's
submissions per member, each file's receipt, processing a file again) and 配信先 (contacts:
add, edit, unsubscribe with a reason, and a CSV import previewed before it is applied)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.console.dashboard import FEED_STATUS_JA
from renkei.console.web import JST, act, console, page, posted, redirect, signed_in
from renkei.core.audit import audit
from renkei.core.errors import EXPECTED, RenkeiError
from renkei.core.settings import Settings
from renkei.delivery.bounce_rules import restore, suppressed_contacts
from renkei.delivery.contacts_admin import (
    add_contact,
    apply_import,
    discard_import,
    edit_contact,
    keep_import,
    preview_import,
    unsubscribe_contact,
)
from renkei.delivery.subscribers import INTEREST_KINDS, LANGUAGES, list_subscribers
from renkei.feeds.health import SortBy, enable_feed, read_health, sort_health
from renkei.submissions import overview
from renkei.submissions.intake import requeue
from renkei.submissions.receipts import fix_for
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

SORT_JA = {"status": "状態順", "member": "会員ID順", "failures": "連続失敗の多い順",
           "last-success": "最終成功の古い順", "items": "件数の少ない順"}  # fmt: skip
STATE_CLASS = {"受付不可": "failed", "一部要修正": "stale", "未提出": "never-fetched", "受付": "ok"}
CONTACT_STATUS_JA = {"subscribed": "配信中", "unsubscribed": "配信停止", "bounced": "不達"}
LANGUAGE_JA = {"ja": "日本語", "en": "英語"}
IMPORT_MAX = 2 * 1024 * 1024  # bytes of one uploaded contacts CSV
_FORM_SLACK = 64 * 1024  # the multipart wrapping around the file
_CHUNK = 64 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# ------------------------------------------------------------------ フィード


async def feeds(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    sort = request.query_params.get("sort", "status")
    by = SortBy(sort) if sort in SORT_JA else SortBy.status
    frame = await act(request, app.gate.read, read_health, app.settings)
    counts = dict(frame.group_by("status").len().iter_rows())
    return page(request, "feeds.html", rows=sort_health(frame, by).to_dicts(), counts=counts,
                sort=by.value, SORT_JA=SORT_JA, FEED_STATUS_JA=FEED_STATUS_JA)  # fmt: skip


async def feed_enable(request: Request) -> Response:
    user, _ = await posted(request, "admin")
    app = console(request)
    member_id = request.path_params["member_id"]
    try:
        message = await act(request, app.gate.write, enable_feed, app.settings, member_id,
                             by=user.display)  # fmt: skip
    except EXPECTED as exc:
        return redirect(request, "/feeds", str(exc), "error")
    return redirect(request, "/feeds", message)


# ------------------------------------------------------------------ 提出状況


def previous_month(now: datetime | None = None) -> str:
    local = (now or datetime.now(JST)).astimezone(JST)
    return f"{local.year - 1}-12" if local.month == 1 else f"{local.year}-{local.month - 1:02d}"


def _shift(period: str, months: int) -> str:
    year, month = (int(p) for p in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12}-{index % 12 + 1:02d}"


def read_submissions(settings: Settings, period: str) -> tuple[list[dict[str, Any]], str]:
    """The month's overview rows, each file with its hash (for its receipt), and the line
    of counts."""
    frame = overview.read_overview(settings, period)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        files = run_query(con, "console_ops_submission_files", {"period": period}).to_dicts()
    hashes = {(f["member_id"], f["file_name"], f["received_at"]): f["sha256"] for f in files}
    rows = [{**row, "sha256": hashes.get((row["member_id"], row["file_name"], row["received_at"]))}
            for row in frame.to_dicts()]  # fmt: skip
    return rows, overview.counts_line(frame, period)


async def submissions(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    text = request.query_params.get("period") or previous_month()
    try:
        period = overview.parse_period(text)
    except RenkeiError:
        message = f"報告月「{text}」は 2026-11 のように年-月で指定してください"
        return redirect(request, "/submissions", message, "error")
    rows, counts = await act(request, app.gate.read, read_submissions, app.settings, period)
    year, month = period.split("-")
    return page(request, "submissions.html", rows=rows, counts=counts, period=period,
                period_ja=f"{year}年{int(month)}月分", prev=_shift(period, -1),
                next=_shift(period, 1), legend=overview.LEGEND,
                STATE_CLASS=STATE_CLASS)  # fmt: skip


def read_receipt(settings: Settings, sha256: str) -> dict[str, Any] | None:
    """A submitted file, its receipt text as the member got it, and its rows to fix."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        found = run_query(con, "console_ops_submission", {"sha256": sha256}).to_dicts()
        if not found:
            return None
        file = found[0]
        which = {"sha256": sha256, "member_id": file["member_id"]}
        rejected = run_query(con, "console_ops_submission_rejected", which).to_dicts()
    for row in rejected:
        row["fix"] = fix_for(row["reason"] or "")
    text = None
    if file["receipt_path"]:
        stored = settings.inbox.joinpath(file["member_id"], file["receipt_path"].rpartition("/")[2])
        for path in (stored, Path(file["receipt_path"])):
            if path.is_file():
                text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
                break
    return {"file": file, "rejected": rejected, "text": text}


async def receipt(request: Request) -> Response:
    await signed_in(request)
    sha256 = request.path_params["sha256"]
    if not _SHA256.match(sha256):
        raise HTTPException(404)
    app = console(request)
    found = await act(request, app.gate.read, read_receipt, app.settings, sha256)
    if found is None:
        raise HTTPException(404)
    return page(request, "receipt.html", **found)


def requeue_by(settings: Settings, sha256: str, *, by: str) -> str:
    """Process a stored submission again (``renkei requeue``), audited with who asked."""
    outcomes = requeue(settings, sha256)
    with open_warehouse(settings.warehouse, stage="requeue") as con:
        for outcome in outcomes:
            audit(con, by, "requeue", sha256, member_id=outcome.member_id,
                  file_name=outcome.file_name, accepted=outcome.accepted,
                  rejected=outcome.rejected)  # fmt: skip
    done = "、".join(f"{o.file_name}：{o.accepted}行受付・{o.rejected}行要修正" for o in outcomes)
    return f"再処理しました（{done}）。新しい受付結果を会員に送りました"


async def submission_requeue(request: Request) -> Response:
    user, _ = await posted(request, "edit")
    sha256 = request.path_params["sha256"]
    if not _SHA256.match(sha256):
        raise HTTPException(404)
    app = console(request)
    target = f"/submissions/{sha256}/receipt"
    try:
        message = await act(request, app.gate.write, requeue_by, app.settings, sha256,
                             by=user.display)  # fmt: skip
    except EXPECTED as exc:
        return redirect(request, target, f"再処理できませんでした：{exc}", "error")
    return redirect(request, target, message)


# ------------------------------------------------------------------ 配信先


def read_contacts(settings: Settings, member_id: str | None) -> dict[str, Any]:
    rows = list_subscribers(settings, member_id).to_dicts()
    with open_warehouse(settings.warehouse, read_only=True) as con:
        members = run_query(con, "console_ops_members").to_dicts()
        suppressed = {r["email"]: r for r in suppressed_contacts(con).to_dicts()}
    for row in rows:  # why the bulletin skips it: a bounce or a complaint, with the reply
        row["suppressed"] = suppressed.get(row["email"])
    for row in rows:
        row["tags"] = [t for t in (row["interests"] or "").split(",") if t]
    return {"rows": rows, "members": members}


def _contacts_page(request: Request, **context: Any) -> Response:
    return page(request, "contacts.html", STATUS_JA=CONTACT_STATUS_JA, LANGUAGE_JA=LANGUAGE_JA,
                languages=LANGUAGES, kinds=INTEREST_KINDS, import_max=IMPORT_MAX // (1024 * 1024),
                **context)  # fmt: skip


async def contacts(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    member = request.query_params.get("member", "").strip()
    found = await act(request, app.gate.write, read_contacts, app.settings, member or None)
    counts: dict[str, int] = {}
    for row in found["rows"]:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return _contacts_page(request, member=member, counts=counts, **found)


def _back(form: Any) -> str:
    member = str(form.get("member_filter") or "")
    return f"/contacts?member={member}" if re.fullmatch(r"[\w-]{1,40}", member) else "/contacts"


async def contact_add(request: Request) -> Response:
    user, form = await posted(request, "admin")
    app = console(request)
    fields = [str(form.get(k) or "") for k in ("email", "member_id", "language", "interests")]
    try:
        message = await act(request, app.gate.write, add_contact, app.settings, *fields,
                            by=user.display)  # fmt: skip
    except EXPECTED as exc:
        return redirect(request, _back(form), str(exc), "error")
    return redirect(request, _back(form), message)


async def contact_edit(request: Request) -> Response:
    user, form = await posted(request, "admin")
    app = console(request)
    fields = [str(form.get(k) or "") for k in ("email", "language", "interests")]
    try:
        message = await act(request, app.gate.write, edit_contact, app.settings, *fields,
                            by=user.display)  # fmt: skip
    except EXPECTED as exc:
        return redirect(request, _back(form), str(exc), "error")
    return redirect(request, _back(form), message)


async def contact_restore(request: Request) -> Response:
    """A bounced address receives the bulletin again (renkei bounces restore; audited)."""
    user, form = await posted(request, "admin")
    app = console(request)
    email = str(form.get("email") or "")
    try:
        await act(request, app.gate.write, restore, app.settings, email, user.display)
    except EXPECTED as exc:
        return redirect(request, _back(form), str(exc), "error")
    return redirect(request, _back(form), f"{email} への配信を再開しました")


async def contact_unsubscribe(request: Request) -> Response:
    user, form = await posted(request, "admin")
    app = console(request)
    try:
        message = await act(request, app.gate.write, unsubscribe_contact, app.settings,
                            str(form.get("email") or ""), by=user.display,
                            reason=str(form.get("reason") or ""))  # fmt: skip
    except EXPECTED as exc:
        return redirect(request, _back(form), str(exc), "error")
    return redirect(request, _back(form), message)


def _too_big(request: Request, status_code: int = 413) -> Response:
    return page(request, "error.html", status_code=status_code, title="ファイルが大きすぎます",
                message=f"配信先の CSV は {IMPORT_MAX // (1024 * 1024)} MB までです。"
                "ファイルを分けてから、もう一度アップロードしてください。")  # fmt: skip


async def _upload(upload: UploadFile) -> bytes | None:
    """The uploaded bytes, read in chunks; None as soon as they pass IMPORT_MAX."""
    chunks, size = [], 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > IMPORT_MAX:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def import_preview(request: Request) -> Response:
    await signed_in(request, "admin")
    length = request.headers.get("content-length", "")
    if not length.isdigit():  # chunked: the size is not known before reading
        return page(request, "error.html", status_code=411, title="ファイルを受け付けませんでした",
                    message="ファイルの大きさが分からないため受け付けませんでした。"
                    "ブラウザのフォームからアップロードしてください。")  # fmt: skip
    if int(length) > IMPORT_MAX + _FORM_SLACK:
        return _too_big(request)
    _, form = await posted(request, "admin")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return redirect(request, "/contacts", "CSV ファイルを選んでください", "error")
    data = await _upload(upload)
    if data is None:
        return _too_big(request)
    app = console(request)
    token = await act(request, keep_import, app.settings, data, upload.filename)
    try:
        preview = await act(request, app.gate.read, preview_import, app.settings, token)
    except EXPECTED as exc:
        await act(request, discard_import, app.settings, token)
        return redirect(request, "/contacts", str(exc), "error")
    return _contacts_page(request, preview=preview)


async def import_apply(request: Request) -> Response:
    user, form = await posted(request, "admin")
    app = console(request)
    token = str(form.get("token") or "")
    try:
        count = await act(request, app.gate.write, apply_import, app.settings, token,
                          by=user.display)  # fmt: skip
    except EXPECTED as exc:
        return redirect(request, "/contacts", str(exc), "error")
    return redirect(request, "/contacts", f"CSV の {count} 件を配信先に取り込みました")


ROUTES = [
    Route("/feeds", feeds, methods=["GET"]),
    Route("/feeds/{member_id}/enable", feed_enable, methods=["POST"]),
    Route("/submissions", submissions, methods=["GET"]),
    Route("/submissions/{sha256}/receipt", receipt, methods=["GET"]),
    Route("/submissions/{sha256}/requeue", submission_requeue, methods=["POST"]),
    Route("/contacts", contacts, methods=["GET"]),
    Route("/contacts", contact_add, methods=["POST"]),
    Route("/contacts/edit", contact_edit, methods=["POST"]),
    Route("/contacts/unsubscribe", contact_unsubscribe, methods=["POST"]),
    Route("/contacts/restore", contact_restore, methods=["POST"]),
    Route("/contacts/import/preview", import_preview, methods=["POST"]),
    Route("/contacts/import/apply", import_apply, methods=["POST"]),
]
