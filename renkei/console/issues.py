"""号（編集と承認）: the issue list, and one issue's workbench — the draft as members will
see it beside every item with its source, facts, section and reason, the candidates left
out, the edits (drop, pin, reword, move, section order, 巻頭言), test sends, and the
approval bound to the content hash on screen.

Every edit calls ``renkei.newsletter.editing`` (as `renkei edit` does) and recompiles the
draft, so the page shows the new hash; approving calls ``approve_and_release`` (as
`renkei approve` does), which also resumes a waiting Prefect run.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from renkei.console.web import act, console, page, posted, redirect, signed_in
from renkei.core.errors import ApprovalError
from renkei.core.events import api_url
from renkei.core.settings import Settings
from renkei.delivery.reviewers import add_reviewer, list_reviewers, remove_reviewer
from renkei.delivery.reviewers import send_test_to_reviewers as send_tests
from renkei.newsletter.approval import approve_and_release, reject_and_release
from renkei.newsletter.compose import SECTION_TITLES
from renkei.newsletter.dates_ja import jp_date
from renkei.newsletter.editing import edit_issue, move_item
from renkei.newsletter.preview import SAMPLE_RECIPIENT, sample_parts
from renkei.newsletter.render import personalise, public_consult_link
from renkei.newsletter.review import load_draft
from renkei.newsletter.workbench import issue_workbench, list_issues
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

JST = ZoneInfo("Asia/Tokyo")

PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
)
ACTIONS_JA = {
    "drop": "載せないことにしました", "pin": "ピン留めしました", "undo": "編集を取り消しました",
    "up": "上へ移動しました", "down": "下へ移動しました", "retitle": "見出し・概要を変えました",
}  # fmt: skip


def _issue_id(request: Request) -> str:
    issue_id = request.path_params["issue_id"]
    if len(issue_id) != 7 or issue_id[4] != "-" or not issue_id.replace("-", "").isdigit():
        raise HTTPException(404)
    return issue_id


def _back(issue_id: str, anchor: str = "") -> str:
    return f"/issues/{issue_id}" + (f"#{anchor}" if anchor else "")


def _hash_note(report) -> str:
    return f"（新しい確認番号 {report.content_sha256[:12]}）" if report.content_sha256 else ""


def shown_items(settings: Settings, issue_id: str) -> dict[str, str]:
    """activity_id → title of the items the stored draft carries."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        frame = run_query(con, "console_issue_shown", {"issue_id": issue_id})
    return dict(frame.iter_rows())


def side_effects(before: dict[str, str], after: dict[str, str], acted: str) -> str:
    """What else an edit changed: the section cap pushes an item out when one is pinned,
    and lets one in when one is dropped — the editor is told, never left to notice."""
    out = [t for a, t in before.items() if a not in after and a != acted]
    came = [t for a, t in after.items() if a not in before and a != acted]
    parts = []
    if out:
        parts.append("欄の上限のため外れた記事：" + "、".join(f"『{t}』" for t in out))
    if came:
        parts.append("空いた枠に入った記事：" + "、".join(f"『{t}』" for t in came))
    return ("。" + "。".join(parts)) if parts else ""


def _today() -> date:
    return datetime.now(JST).date()


async def index(request: Request) -> Response:
    await signed_in(request)
    app = console(request)
    issues = await act(request, app.gate.read, list_issues, app.settings)
    return page(request, "issues.html", issues=issues)


async def show(request: Request) -> Response:
    user = await signed_in(request)
    issue_id = _issue_id(request)
    app = console(request)

    today = _today()

    def read():
        return issue_workbench(app.settings, issue_id, today), list_reviewers(app.settings)

    try:
        bench, reviewers = await act(request, app.gate.read, read)
    except ApprovalError:
        raise HTTPException(404) from None
    four_eyes = app.settings.newsletter.four_eyes
    blocked = four_eyes and bench.last_editor == user.display
    base = app.settings.console.public_url
    text = personalise(bench.text, recipient_name=SAMPLE_RECIPIENT,
                       unsubscribe_url=app.settings.issuer.unsubscribe_url,
                       consult=public_consult_link(base) if base else None)  # fmt: skip
    stale = bench.status != "sent" and bench.selected_as_of and bench.selected_as_of < today
    latest = next((h for h in bench.history if h.action in ("reject", "approve", "edit")), None)
    rejected = latest if latest and latest.action == "reject" and bench.status == "draft" else None
    return page(
        request, "issue.html", bench=bench, reviewers=reviewers, four_eyes=four_eyes,
        approval_blocked=blocked, section_keys=[s.key for s in bench.sections],
        all_sections=SECTION_TITLES, prefect=api_url() is not None, sample_text=text,
        stale=stale, today=today, today_ja=jp_date(today), rejected=rejected,
    )  # fmt: skip


async def preview_html(request: Request) -> Response:
    """The HTML part as a member sees it (sample name), for the preview frames."""
    await signed_in(request)
    issue_id = _issue_id(request)
    app = console(request)
    try:
        draft = await act(request, app.gate.read, load_draft, app.settings, issue_id)
    except ApprovalError:
        raise HTTPException(404) from None
    html, text = sample_parts(draft, app.settings.issuer.unsubscribe_url,
                              app.settings.console.public_url)  # fmt: skip
    body = text if request.query_params.get("part") == "text" else html
    kind = "text/plain" if request.query_params.get("part") == "text" else "text/html"
    response = HTMLResponse(body, media_type=kind)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    return response


async def item_action(request: Request) -> Response:
    user, form = await posted(request, "edit")
    issue_id, activity_id = _issue_id(request), request.path_params["activity_id"]
    app = console(request)
    what = str(form.get("do") or "")
    common = {"by": user.display}
    before = await act(request, app.gate.read, shown_items, app.settings, issue_id)
    if what in ("up", "down"):
        report = await act(request, app.gate.write, move_item, app.settings, issue_id,
                           activity_id, what, **common)  # fmt: skip
    elif what in ("drop", "pin", "undo"):
        report = await act(request, app.gate.write, edit_issue, app.settings, issue_id,
                           **{what: [activity_id]}, **common)  # fmt: skip
    elif what == "retitle":
        title = str(form.get("title") or "").strip()
        summary = str(form.get("summary") or "").strip()
        if not title:
            return redirect(request, _back(issue_id, activity_id), "見出しが空です", "error")
        report = await act(request, app.gate.write, edit_issue, app.settings, issue_id,
                           titles={activity_id: title},
                           summaries={activity_id: summary} if summary else None,
                           **common)  # fmt: skip
    else:
        return redirect(request, _back(issue_id), "操作が分かりません", "error")
    after = await act(request, app.gate.read, shown_items, app.settings, issue_id)
    note = ACTIONS_JA[what] + _hash_note(report) + side_effects(before, after, activity_id)
    if not report.created:
        note = f"{ACTIONS_JA[what]}。ただし下書きは作られませんでした：{report.note}"
    return redirect(request, _back(issue_id, activity_id), note)


async def section_order(request: Request) -> Response:
    user, form = await posted(request, "edit")
    issue_id = _issue_id(request)
    app = console(request)
    order = [k for k in str(form.get("order") or "").split(",") if k]
    key, direction = str(form.get("key") or ""), str(form.get("do") or "")
    if key in order and direction in ("up", "down"):
        i = order.index(key)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(order):
            order[i], order[j] = order[j], order[i]
    rest = [k for k in SECTION_TITLES if k not in order]
    report = await act(request, app.gate.write, edit_issue, app.settings, issue_id,
                       order=order + rest, by=user.display)  # fmt: skip
    return redirect(
        request, _back(issue_id, "sections"), "欄の順番を変えました" + _hash_note(report)
    )


async def editorial(request: Request) -> Response:
    user, form = await posted(request, "edit")
    issue_id = _issue_id(request)
    app = console(request)
    text = str(form.get("editorial") or "").strip()
    report = await act(request, app.gate.write, edit_issue, app.settings, issue_id,
                       editorial=text, by=user.display)  # fmt: skip
    return redirect(request, _back(issue_id), "巻頭言を保存しました" + _hash_note(report))


async def redraft(request: Request) -> Response:
    """Compile the draft again for another send date (what has ended or closed by then is
    left out, with its reason)."""
    user, form = await posted(request, "edit")
    issue_id = _issue_id(request)
    app = console(request)
    try:
        when = date.fromisoformat(str(form.get("as_of") or ""))
    except ValueError:
        return redirect(request, _back(issue_id), "送信予定日を 2026-12-10 の形で入れてください",
                        "error")  # fmt: skip
    if when < _today():
        return redirect(request, _back(issue_id), "送信予定日に過去の日は選べません", "error")
    before = await act(request, app.gate.read, shown_items, app.settings, issue_id)
    report = await act(request, app.gate.write, edit_issue, app.settings, issue_id,
                       by=user.display, as_of=when)  # fmt: skip
    after = await act(request, app.gate.read, shown_items, app.settings, issue_id)
    note = f"送信予定日 {jp_date(when)} 向けに作り直しました" + _hash_note(report)
    return redirect(request, _back(issue_id), note + side_effects(before, after, ""))


async def test_send(request: Request) -> Response:
    user, _ = await posted(request, "edit")
    issue_id = _issue_id(request)
    app = console(request)
    lines = await act(request, app.gate.write, send_tests, app.settings, issue_id,
                      by=user.display)  # fmt: skip
    failed = any("できませんでした" in line for line in lines)
    return redirect(request, _back(issue_id, "test-send"), "テスト送信：" + "／".join(lines),
                    "error" if failed else "ok")  # fmt: skip


async def reviewers(request: Request) -> Response:
    user, form = await posted(request, "admin")
    issue_id = _issue_id(request)
    app = console(request)
    email = str(form.get("email") or "").strip()
    if form.get("do") == "remove":
        await act(request, app.gate.write, remove_reviewer, app.settings, email, by=user.display)
        message = f"{email} をテスト送信先から外しました"
    else:
        name = str(form.get("name") or "").strip()
        await act(request, app.gate.write, add_reviewer, app.settings, email, name,
                  by=user.display)  # fmt: skip
        message = f"{email} をテスト送信先に加えました"
    return redirect(request, _back(issue_id, "test-send"), message)


async def approve(request: Request) -> Response:
    user, form = await posted(request, "approve")
    issue_id = _issue_id(request)
    app = console(request)
    seen = str(form.get("content_sha256") or "")
    if len(seen) != 64:
        raise ApprovalError("承認する下書きの確認番号がありません。ページを再読み込みしてください")
    try:
        result = await act(
            request, app.gate.write, approve_and_release, app.settings, issue_id,
            by=user.display, content_sha256=seen,
            comment=str(form.get("comment") or "").strip() or None,
            four_eyes=app.settings.newsletter.four_eyes,
        )  # fmt: skip
    except ApprovalError as exc:
        text = str(exc)
        if "changed since you saw it" in text:
            text = (
                f"下書きは、この画面を開いた後に変わりました（表示中の確認番号 {seen[:12]}）。"
                "承認していません。最新の内容を確かめてから承認してください"
            )
        return redirect(request, _back(issue_id, "approval"), text, "error")
    notes = [f"承認しました（確認番号 {result.digest[:12]}）"]
    if any(n.startswith("resumed") for n in result.notes):
        notes.append("待機中の Prefect フロー実行を再開しました")
    if any(n.startswith("recorded, but") for n in result.notes):
        notes.append("承認は記録しましたが、待機中の Prefect フロー実行を再開できませんでした")
    return redirect(request, f"/issues/{issue_id}/delivery", "。".join(notes))


async def reject(request: Request) -> Response:
    user, form = await posted(request, "approve")
    issue_id = _issue_id(request)
    app = console(request)
    reason = str(form.get("reason") or "").strip()
    if not reason:
        return redirect(request, _back(issue_id, "approval"), "差し戻す理由を書いてください",
                        "error")  # fmt: skip
    await act(request, app.gate.write, reject_and_release, app.settings, issue_id,
              by=user.display, reason=reason)  # fmt: skip
    return redirect(request, _back(issue_id), "差し戻しました（理由は履歴に残ります）")


ROUTES = [
    Route("/issues", index, methods=["GET"]),
    Route("/issues/{issue_id}", show, methods=["GET"]),
    Route("/issues/{issue_id}/preview", preview_html, methods=["GET"]),
    Route("/issues/{issue_id}/items/{activity_id}", item_action, methods=["POST"]),
    Route("/issues/{issue_id}/order", section_order, methods=["POST"]),
    Route("/issues/{issue_id}/editorial", editorial, methods=["POST"]),
    Route("/issues/{issue_id}/redraft", redraft, methods=["POST"]),
    Route("/issues/{issue_id}/test-send", test_send, methods=["POST"]),
    Route("/issues/{issue_id}/reviewers", reviewers, methods=["POST"]),
    Route("/issues/{issue_id}/approve", approve, methods=["POST"]),
    Route("/issues/{issue_id}/reject", reject, methods=["POST"]),
]
