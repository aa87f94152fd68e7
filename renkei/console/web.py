"""What every console handler shares: the signed-in person (checked on the server for each
request), the CSRF check of every POST, messages carried across a redirect, the Japanese
templates and their filters, and the audit origin of the request."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from renkei.console.access import Gate
from renkei.console.sessions import COOKIE, Session, SessionCodec
from renkei.core.audit import origin
from renkei.core.settings import Settings
from renkei.core.staff import ROLE_JA, StaffUser, get_user
from renkei.newsletter.dates_ja import jp_date

JST = ZoneInfo("Asia/Tokyo")
FLASH = "renkei_flash"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class LoginRequired(Exception):
    """No valid session: the app redirects to the sign-in page."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this (checked on the server)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token."""


@dataclass
class Console:
    """What the app holds: settings, the warehouse gate, the session codec."""

    settings: Settings
    gate: Gate
    codec: SessionCodec
    config_path: Path
    user_cache_seconds: float = 10.0

    def __post_init__(self) -> None:
        self._users: dict[str, tuple[float, StaffUser | None]] = {}
        self.flash = URLSafeTimedSerializer(self.codec_key, salt="renkei-console-flash")

    @property
    def codec_key(self) -> str:
        return self.codec._serializer.secret_key.decode()

    def user(self, login: str) -> StaffUser | None:
        """The account as stored now (cached a few seconds: a disabled account's sessions
        end within that time)."""
        hit = self._users.get(login)
        if hit and time.monotonic() - hit[0] < self.user_cache_seconds:
            return hit[1]
        found = self.gate.read(get_user, self.settings, login)
        self._users[login] = (time.monotonic(), found)
        return found

    def forget(self, login: str) -> None:
        self._users.pop(login, None)


def console(request: Request) -> Console:
    return request.app.state.console


def remote(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_of(request: Request) -> Session | None:
    return console(request).codec.loads(request.cookies.get(COOKIE))


async def signed_in(request: Request, permission: str = "view") -> StaffUser:
    """The person making this request, if their session is valid and their role allows
    ``permission``; else LoginRequired or Forbidden."""
    session = session_of(request)
    if session is None:
        raise LoginRequired()
    app = console(request)
    user = await run_in_threadpool(app.user, session.login)
    if user is None or user.disabled:
        raise LoginRequired()
    request.state.session = app.codec.renewed(session)
    request.state.user = user
    if not user.may(permission):
        raise Forbidden(permission)
    return user


async def posted(request: Request, permission: str) -> tuple[StaffUser, FormData]:
    """A state-changing request: signed in, allowed, and carrying the session's CSRF token."""
    user = await signed_in(request, permission)
    form = await request.form()
    if not request.state.session.csrf_ok(str(form.get("csrf") or "")):
        raise CsrfRefused()
    return user, form


async def act(request: Request, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a stage function for this request in a worker thread, its audit entries marked
    with the console and the remote address."""

    def call() -> Any:
        with origin(via="console", remote=remote(request)):
            return fn(*args, **kwargs)

    return await run_in_threadpool(call)


def redirect(request: Request, url: str, message: str | None = None, kind: str = "ok") -> Response:
    if kind == "error":  # the message shows at the top: do not jump past it to an anchor
        url = url.split("#", 1)[0]
    response = RedirectResponse(url, status_code=303)
    if message:
        token = console(request).flash.dumps([kind, message])
        response.set_cookie(FLASH, token, max_age=60, httponly=True, samesite="lax", path="/")
    return response


def _flash(request: Request) -> tuple[str, str] | None:
    token = request.cookies.get(FLASH)
    if not token:
        return None
    try:
        kind, message = console(request).flash.loads(token, max_age=60)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(kind), str(message)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    user = getattr(request.state, "user", None)
    session = getattr(request.state, "session", None)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"user": user, "csrf": session.csrf if session else "", "flash": _flash(request),
         "path": request.url.path, **context},
        status_code=status_code,
    )  # fmt: skip
    if request.cookies.get(FLASH):
        response.delete_cookie(FLASH, path="/")
    return response


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


Handler = Callable[[Request], Awaitable[Response]]


# ------------------------------------------------------------------ template filters


def _jst(value: datetime) -> datetime:
    return value.astimezone(JST) if value.tzinfo else value.replace(tzinfo=JST)


def f_date(value: date | datetime | str | None) -> str:
    """2026年12月10日（木）"""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = _jst(value)
    return jp_date(value)


def f_datetime(value: datetime | str | None) -> str:
    """2026年12月10日（木）14:05"""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = _jst(value)
    return f"{jp_date(local)} {local:%H:%M}"


def f_hash(value: str | None) -> str:
    return value[:12] if value else "—"


def f_json(value: str | None) -> dict[str, Any]:
    try:
        parsed = json.loads(value or "{}")
    except ValueError:
        return {"text": value}
    return parsed if isinstance(parsed, dict) else {"value": parsed}


TEMPLATES.env.filters.update(
    jdate=f_date, jdatetime=f_datetime, shorthash=f_hash, role_ja=ROLE_JA.get, fromjson=f_json
)
TEMPLATES.env.globals["ISSUE_STATUS"] = {
    "draft": "承認待ち",
    "approved": "承認済み（送信待ち）",
    "sent": "送信済み",
    "rejected": "差し戻し",
}
