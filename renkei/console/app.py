"""The console application: routes, the session cookie, security headers, and the pages
for errors — a person never sees a traceback, and a busy warehouse is a 処理中 page."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from renkei.console import (
    admin,
    auth,
    consultations,
    dashboard,
    issues,
    needs_pages,
    operations,
    portal,
    portal_consult,
    portal_member,
    published,
    requests_page,
    sending,
)
from renkei.console.access import Busy, Gate
from renkei.console.sessions import COOKIE, SessionCodec, load_key
from renkei.console.web import Console, CsrfRefused, Forbidden, LoginRequired, login_url, page
from renkei.core import staff
from renkei.core.background_server import serving_uvicorn
from renkei.core.errors import EXPECTED
from renkei.core.settings import Settings

logger = logging.getLogger("renkei.console")
STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
)


class SessionCookie(BaseHTTPMiddleware):
    """Renews the session cookie on each answered request; sets the security headers."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        app: Console = request.app.state.console
        secure = app.settings.console.secure_cookies == "always" or (
            app.settings.console.secure_cookies == "auto" and request.url.scheme == "https"
        )
        if getattr(request.state, "logout", False):
            response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
        elif (session := getattr(request.state, "session", None)) is not None:
            response.set_cookie(
                COOKIE, app.codec.dumps(session), max_age=app.codec.max_age, path="/",
                secure=secure, httponly=True, samesite="lax",
            )  # fmt: skip
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        return response


async def _login_required(request: Request, exc: Exception) -> Response:
    if request.method == "GET":
        return RedirectResponse(login_url(request), status_code=303)
    return page(request, "error.html", status_code=401, title="ログインが必要です",
                message="セッションの期限が切れました。もう一度ログインしてください。")  # fmt: skip


async def _forbidden(request: Request, exc: Exception) -> Response:
    return page(request, "error.html", status_code=403, title="この操作の権限がありません",
                message="この操作はあなたの役割では行えません。"
                "必要なら管理者に相談してください。")  # fmt: skip


async def _csrf(request: Request, exc: Exception) -> Response:
    return page(request, "error.html", status_code=403, title="送信を受け付けませんでした",
                message="フォームの有効期限が切れたか、別のサイトから送られました。"
                "ページを再読み込みしてからやり直してください。")  # fmt: skip


async def _busy(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Busy)
    response = page(request, "busy.html", status_code=503, stage=exc.stage, since=exc.since)
    response.headers["Retry-After"] = "10"
    return response


async def _expected(request: Request, exc: Exception) -> Response:
    return page(request, "error.html", status_code=400, title="処理できませんでした",
                message=str(exc))  # fmt: skip


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {404: "ページが見つかりません", 405: "この操作はできません",
              413: "ファイルが大きすぎます", 411: "受け付けられません",
              403: "送信を受け付けませんでした"}  # fmt: skip
    # our own Japanese detail; Starlette's default is the English reason phrase
    detail = exc.detail if not str(exc.detail).isascii() else None
    message = detail or "アドレスを確かめるか、最初の画面から開き直してください。"
    title = titles.get(exc.status_code, "エラー")
    return page(request, "error.html", status_code=exc.status_code, title=title, message=message)


async def _portal_login(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/portal/", status_code=303)


async def _crash(request: Request, exc: Exception) -> Response:
    logger.exception("console: %s %s failed", request.method, request.url.path)
    return page(request, "error.html", status_code=500, title="内部エラーが起きました",
                message="処理は完了していない可能性があります。時間をおいて画面を開き直し、"
                "続くときはシステム担当に連絡してください（記録は残っています）。")  # fmt: skip


def make_app(
    settings: Settings, config_path: Path, *, clock: Callable[[], datetime] | None = None
) -> Starlette:
    """The console and the member portal; ``clock`` fixes the time portal uploads are
    received at (tests compare their receipts with `renkei submit`'s byte for byte)."""
    key = load_key(settings.console)
    codec = SessionCodec(key, settings.console)
    staff.ready_for_sign_in()
    routes = [
        Route("/login", auth.login_form, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/", dashboard.show, methods=["GET"]),
        *issues.ROUTES,
        *sending.ROUTES,
        *operations.ROUTES,
        *published.ROUTES,
        *admin.ROUTES,
        *portal.ROUTES,
        *portal_consult.ROUTES,
        *consultations.ROUTES,
        *needs_pages.ROUTES,
        *portal_member.ROUTES,
        *requests_page.ROUTES,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers: dict[Any, Any] = {
        LoginRequired: _login_required, Forbidden: _forbidden, CsrfRefused: _csrf, Busy: _busy,
        HTTPException: _http, Exception: _crash, portal.PortalLoginRequired: _portal_login,
        **{kind: _expected for kind in EXPECTED},
    }  # fmt: skip
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SessionCookie)],
        exception_handlers=handlers,
    )
    app.state.console = Console(settings, Gate(settings), codec, config_path)
    app.state.limiter = auth.AddressLimiter(settings.console.attempts_per_address)
    app.state.portal = portal.Portal(key, settings, clock=clock)
    return app


def make_server(
    settings: Settings, config_path: Path, host: str, port: int, *, log_level: str = "info",
    clock: Callable[[], datetime] | None = None,
) -> uvicorn.Server:  # fmt: skip
    """A uvicorn server for the console; the proxy's X-Forwarded-For/-Proto are believed
    only from ``console.trusted_proxies``."""
    config = uvicorn.Config(
        make_app(settings, config_path, clock=clock), host=host, port=port, log_level=log_level,
        proxy_headers=True, forwarded_allow_ips=settings.console.trusted_proxies,
        server_header=False, http="h11", ws="none", lifespan="off",
        access_log=log_level == "info",
    )  # fmt: skip
    return uvicorn.Server(config)


def serve(settings: Settings, config_path: Path, host: str, port: int) -> None:
    """Serve the console until interrupted (behind the organisation's HTTPS proxy)."""
    make_server(settings, config_path, host, port).run()


@contextmanager
def running(
    settings: Settings, config_path: Path, host: str = "127.0.0.1", port: int = 0, *,
    clock: Callable[[], datetime] | None = None,
) -> Iterator[str]:  # fmt: skip
    """Serve on a background thread for the ``with`` block; yield ``http://host:port``."""
    server = make_server(settings, config_path, host, port, log_level="warning", clock=clock)
    with serving_uvicorn(server, "console") as base:
        yield base
