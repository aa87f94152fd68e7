"""Sign-in and sign-out. Wrong passwords count towards the account's lockout
(renkei.core.staff); attempts from one remote address are limited in this process."""

from __future__ import annotations

import time
from collections import deque
from threading import Lock

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from renkei.console.web import console, page, redirect, remote, session_of
from renkei.core.audit import origin
from renkei.core.staff import LoginRefused, StaffUser, authenticate, record_logout

WINDOW_SECONDS = 600.0


class AddressLimiter:
    """At most ``limit`` sign-in attempts per remote address in a sliding ten minutes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: dict[str, deque[float]] = {}
        self._lock = Lock()

    def allow(self, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._seen.setdefault(address, deque())
            while times and now - times[0] > WINDOW_SECONDS:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True


def _safe_next(target: str | None) -> str:
    # only a path of this site: never an absolute URL or //host (open redirect)
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


async def login_form(request: Request) -> Response:
    if session_of(request) is not None:
        return redirect(request, _safe_next(request.query_params.get("next")))
    return page(request, "login.html", next=_safe_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    form = await request.form()
    login_name = str(form.get("login") or "").strip().lower()
    password = str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or ""))
    app = console(request)
    address = remote(request)
    if not request.app.state.limiter.allow(address):
        return page(
            request, "login.html", status_code=429, next=target, login=login_name,
            error="ログインの試行が多すぎます。10分ほど待ってからやり直してください",
        )  # fmt: skip

    def check():
        with origin(via="console", remote=address):
            return authenticate(app.settings, login_name, password)

    try:
        user = await _run(request, check)
    except LoginRefused as exc:
        return page(
            request, "login.html", status_code=401, next=target, login=login_name, error=str(exc)
        )
    app.forget(user.login)
    request.state.session = app.codec.new(user.login, user.name, user.role)
    return redirect(request, target)


async def _run(request: Request, fn):
    return await run_in_threadpool(console(request).gate.write, fn)


async def logout(request: Request) -> Response:
    session = session_of(request)
    form = await request.form()
    if session is not None and session.csrf_ok(str(form.get("csrf") or "")):
        app = console(request)
        user = StaffUser(session.login, session.name, session.role)  # type: ignore[arg-type]

        def record() -> None:
            with origin(via="console", remote=remote(request)):
                record_logout(app.settings, user)

        await _run(request, record)
    request.state.logout = True
    return redirect(request, "/login", "ログアウトしました")
