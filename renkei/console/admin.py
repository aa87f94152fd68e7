"""アカウント（admins manage the console's accounts) and 監査ログ (who did what, filtered)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from renkei.console.web import act, console, page, posted, redirect, signed_in
from renkei.core.settings import Settings
from renkei.core.staff import (
    ROLE_JA,
    ROLES,
    AccountError,
    add_user,
    list_users,
    reset_password,
    set_disabled,
)
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

ACTION_JA = {
    "login": "ログイン", "logout": "ログアウト", "login_failed": "ログイン失敗",
    "login_refused": "ログイン拒否", "user_add": "アカウント追加", "user_disable": "アカウント停止",
    "user_enable": "アカウント再開", "user_reset_password": "パスワード再設定",
    "draft": "下書き作成", "edit": "編集", "approve": "承認", "reject": "差し戻し",
    "send": "送信", "send_requested": "送信開始", "send_test": "テスト送信", "hide": "非公開",
    "unhide": "再公開", "unsubscribe": "配信停止", "subscribe": "配信先の追加",
    "publish": "公開", "feed_enable": "フィード再開", "requeue": "再受付",
    "contact_edit": "配信先の変更", "reviewer_add": "テスト送信先の追加",
    "reviewer_remove": "テスト送信先の削除", "send_resolve": "送信結果の確定",
    "classify": "分類", "rebuild": "再構築",
    "member_request": "会員からの依頼", "member_request_done": "依頼の対応済み",
    "member_request_answered": "依頼者への連絡",
    "member_request_answer_failed": "依頼者への連絡の失敗",
    "member_request_answer_unknown": "依頼者への連絡（届いたか不明）",
    "consultation": "相談の受付", "consultation_introduced": "相談：紹介",
    "consultation_asked": "相談：問い合わせ", "consultation_declined": "相談：お断り",
    "consultation_outcome": "相談：結果の記録", "portal_link": "ログインリンク送付",
    "consultation_introduce_failed": "相談：紹介メール不達",
    "portal_signin": "ポータルにログイン", "bounce_restore": "不達の解除",
    "need_post": "ニーズ・シーズの投稿", "need_approve": "ニーズ・シーズの承認",
    "need_reject": "ニーズ・シーズの見送り", "consultation_purge": "相談の個人情報削除",
    "bounce_hard": "不達（恒久）", "bounce_soft": "不達（一時）", "bounce_complaint": "苦情",
}  # fmt: skip
PAGE_SIZE = 100
EDIT_JA = {"drop": "載せない", "pin": "ピン留め", "title": "見出し変更", "summary": "概要変更",
           "order": "欄の順番", "rank": "並べ替え"}  # fmt: skip


def describe(action: str, detail: dict[str, Any]) -> str:
    """An audit entry's detail in a sentence the secretariat reads (ids shortened)."""
    d = {k: v for k, v in detail.items() if k not in ("via", "remote") and v not in (None, "")}
    short = str(d.get("content_sha256") or "")[:12]
    if action == "edit":
        parts = [f"{EDIT_JA.get(c[1], c[1])}（{str(c[0])[:8] or '号全体'}）"
                 for c in d.get("changes") or [] if len(c) > 1]  # fmt: skip
        if d.get("move"):
            parts.append(f"並べ替え（{'上へ' if d.get('direction') == 'up' else '下へ'}）")
        if d.get("editorial"):
            parts.append("巻頭言")
        if d.get("undo"):
            parts.append(f"編集の取り消し {len(d['undo'])}件")
        return "・".join(parts) or "作り直し"
    if action in ("hide", "unhide"):
        title = f"『{d['title']}』" if d.get("title") else ""
        return f"{title}理由：{d.get('reason') or '—'}"
    if action == "approve":
        return f"確認番号 {short}" + (f"、コメント：{d['comment']}" if d.get("comment") else "")
    if action == "reject":
        return f"理由：{d.get('reason') or '—'}"
    if action == "draft":
        return f"{d.get('items', '?')}件、送信予定日 {d.get('as_of', '—')}、確認番号 {short}"
    if action == "send":
        counts = (d.get("sent", 0), d.get("failed", 0), d.get("unknown", 0), d.get("skipped", 0))
        return "送信 {}・失敗 {}・結果不明 {}・送信済みのため省略 {}".format(*counts)
    if action.startswith("member_request_answer"):
        return f"宛先：{d.get('to', '—')}" + (f"、理由：{d['error']}" if d.get("error") else "")
    if action == "login_failed":
        return (
            "ロックしました"
            if d.get("locked")
            else (f"連続 {d['failed']} 回目" if d.get("failed") else "未登録のログイン名")
        )
    return "、".join(
        f"{KEY_JA.get(k, k)}：{_value_ja(k, v)}" for k, v in d.items() if k not in _UNSHOWN
    )


# The names of the other entries' details, as the secretariat reads them (a key not listed
# is shown as written).
KEY_JA = {
    "name": "氏名", "role": "役割", "login": "ログイン名", "email": "メール", "to": "宛先",
    "reason": "理由", "previous_reason": "前の理由", "note": "メモ", "comment": "コメント",
    "member_id": "会員", "named": "指名", "status": "状態", "outcome": "結果",
    "purpose": "目的", "kind": "種類", "language": "言語", "before_language": "変更前の言語",
    "interests": "関心分野", "before_interests": "変更前の関心分野", "as_of": "基準日",
    "until": "期限", "title": "件名", "section": "欄", "order": "順序", "rows": "行数",
    "accepted": "受付", "rejected": "不受理", "files": "ファイル数", "file_name": "ファイル名",
    "resend": "再送", "disabled_reason": "停止理由", "consent_share": "連絡先の共有に同意",
    "anonymous": "匿名", "category": "分類", "previous": "変更前", "before": "変更前",
    "activity_id": "活動", "activities": "活動数", "error": "理由",
}  # fmt: skip
_UNSHOWN = ("content_sha256", "salt")


def _value_ja(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if key == "role":
        return ROLE_JA.get(str(value), str(value))
    return str(value)[:60]


# Where an entry was made from (audit ``origin``); none: a command or a flow.
VIA_JA = {"console": "コンソール", "portal": "会員ページ", "one-click": "配信停止リンク",
          "cli": "コマンド"}  # fmt: skip


def origin_ja(detail: dict[str, Any]) -> str:
    """The 接続元 of an audit entry: コンソール 10.0.0.5, 会員ページ …, or コマンド・フロー."""
    via = detail.get("via")
    if not via:
        return "コマンド・フロー"
    return " ".join(str(p) for p in (VIA_JA.get(via, via), detail.get("remote")) if p)


def read_audit(
    settings: Settings, *, actor: str = "", action: str = "", subject: str = "",
    since: date | None = None, until: date | None = None, offset: int = 0,
) -> tuple[list[dict[str, Any]], list[str]]:  # fmt: skip
    """Audit entries matching the filters, newest first (one page), and the actions seen."""
    params = {
        "actor": f"%{actor}%" if actor else None, "action": action or None,
        "subject": f"%{subject}%" if subject else None,
        "since": since, "until": until + timedelta(days=1) if until else None,
        "limit": PAGE_SIZE + 1, "offset": offset,
    }  # fmt: skip
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = run_query(con, "console_audit", params).to_dicts()
        actions = run_query(con, "console_audit_actions")["action"].to_list()
    return rows, actions


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


async def audit_log(request: Request) -> Response:
    await signed_in(request)
    q = request.query_params
    offset = max(0, int(q.get("offset", "0") or 0)) if (q.get("offset") or "0").isdigit() else 0
    filters = {"actor": q.get("actor", ""), "action": q.get("action", ""),
               "subject": q.get("subject", ""), "since": _date(q.get("since")),
               "until": _date(q.get("until"))}  # fmt: skip
    app = console(request)
    rows, actions = await act(request, app.gate.read, read_audit, app.settings, **filters,
                              offset=offset)  # fmt: skip
    more = len(rows) > PAGE_SIZE
    return page(request, "audit.html", rows=rows[:PAGE_SIZE], actions=actions, more=more,
                offset=offset, filters=filters, ACTION_JA=ACTION_JA, describe=describe,
                origin_ja=origin_ja,
                query={k: v for k, v in q.items() if k != "offset"})  # fmt: skip


async def users(request: Request) -> Response:
    await signed_in(request, "admin")
    app = console(request)
    rows = await act(request, app.gate.read, list_users, app.settings)
    now = datetime.now().astimezone()
    return page(request, "users.html", rows=rows, roles=ROLES, ROLE_JA=ROLE_JA, now=now)


async def user_add(request: Request) -> Response:
    user, form = await posted(request, "admin")
    app = console(request)
    login = str(form.get("login") or "").strip().lower()
    try:
        await act(request, app.gate.write, add_user, app.settings, login,
                  name=str(form.get("name") or ""), role=str(form.get("role") or ""),
                  password=str(form.get("password") or ""), by=user.display)  # fmt: skip
    except AccountError as exc:
        return redirect(request, "/users#add", f"追加できませんでした：{exc}", "error")
    return redirect(request, "/users", f"アカウント {login} を追加しました")


async def user_change(request: Request) -> Response:
    user, form = await posted(request, "admin")
    app = console(request)
    login = request.path_params["login"]
    what = str(form.get("do") or "")
    if what in ("disable", "enable"):
        if login == user.login and what == "disable":
            return redirect(request, "/users", "自分のアカウントは停止できません", "error")
        await act(request, app.gate.write, set_disabled, app.settings, login,
                  disabled=what == "disable", by=user.display)  # fmt: skip
        message = f"{login} を{'停止' if what == 'disable' else '再開'}しました"
    elif what == "reset":
        try:
            await act(request, app.gate.write, reset_password, app.settings, login,
                      password=str(form.get("password") or ""), by=user.display)  # fmt: skip
        except AccountError as exc:
            return redirect(request, "/users", f"再設定できませんでした：{exc}", "error")
        message = f"{login} のパスワードを再設定しました（ロックも解除）"
    else:
        return redirect(request, "/users", "操作が分かりません", "error")
    app.forget(login)
    return redirect(request, "/users", message)


ROUTES = [
    Route("/audit", audit_log, methods=["GET"]),
    Route("/users", users, methods=["GET"]),
    Route("/users", user_add, methods=["POST"]),
    Route("/users/{login}", user_change, methods=["POST"]),
]
