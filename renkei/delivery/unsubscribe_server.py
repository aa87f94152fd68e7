"""The unsubscribe endpoint (`renkei serve`): a minimal ASGI app (Starlette) run by uvicorn.

* ``GET  <path>?t=TOKEN`` — a confirmation page in Japanese with one button; a GET never
  unsubscribes (mail scanners and link previews follow links).
* ``POST <path>?t=TOKEN`` with body ``List-Unsubscribe=One-Click`` — RFC 8058 one-click, as
  sent by mailbox providers from the ``List-Unsubscribe-Post`` header; the confirmation
  page's button posts the same.

A malformed token answers 400, an altered or forged one 403; nothing is changed. ``<path>``
is the path of ``issuer.unsubscribe_url`` (``/unsubscribe`` is always accepted too). Put it
behind the secretariat's https reverse proxy; it listens on 127.0.0.1 by default. The
warehouse work (a short DuckDB write, or the pending journal while a send holds the file)
runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from renkei.core.background_server import serving_uvicorn
from renkei.core.errors import WarehouseBusy
from renkei.core.settings import Settings
from renkei.delivery.unsubscribe import TokenError, apply_unsubscribe, load_secret, verify_token

MAX_BODY = 4096

_PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 2em auto; line-height: 1.7">
<h1 style="font-size: 1.3em">{title}</h1>
{body}
<p style="color: #555; font-size: .9em">{issuer}</p>
</body></html>
"""


def make_app(settings: Settings) -> Starlette:
    """The ASGI application for ``settings``."""
    secret = load_secret(settings.mail)
    paths = sorted({urlsplit(settings.issuer.unsubscribe_url).path or "/", "/unsubscribe"})
    issuer = html.escape(settings.issuer.name)

    def page(status: int, title: str, body: str) -> HTMLResponse:
        content = _PAGE.format(title=html.escape(title), body=body, issuer=issuer)
        return HTMLResponse(content, status, headers={"Cache-Control": "no-store"})

    async def unsubscribe(request: Request) -> Response:
        token = request.query_params.get("t", "")
        if request.method == "POST":
            raw = b""
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > MAX_BODY:
                    return Response(status_code=413)
            form = parse_qs(raw.decode("utf-8", "replace"))
            token = token or form.get("t", [""])[0]
        if not token:
            return page(
                400,
                "配信停止のリンクが不完全です",
                "<p>メールに記載のリンクをそのまま開いてください。</p>",
            )
        try:
            if request.method == "POST":
                item = await run_in_threadpool(apply_unsubscribe, settings, token, via="one-click")
            else:
                item = verify_token(secret, token)
        except TokenError as exc:
            return page(
                exc.http_status,
                "配信停止のリンクが正しくありません",
                "<p>リンクが変更されているか、無効です。お手数ですが事務局までご連絡ください。</p>",
            )
        except WarehouseBusy:
            return Response(status_code=503, headers={"Retry-After": "30"})
        address = html.escape(item.email)
        if request.method == "POST":
            return page(
                200,
                "配信を停止しました",
                f"<p>{address} 宛てのメールマガジンの配信を停止しました。</p>",
            )
        action = html.escape(f"?t={token}", quote=True)
        return page(
            200,
            "メールマガジンの配信停止",
            f"<p>{address} 宛てのメールマガジンの配信を停止しますか。</p>"
            f'<form method="post" action="{action}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">配信を停止する</button></form>',
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        return page(404, "ページが見つかりません", "")

    routes = [Route(p, unsubscribe, methods=["GET", "POST"]) for p in paths]
    return Starlette(routes=routes, exception_handlers={404: not_found})


def make_server(settings: Settings, host: str, port: int) -> uvicorn.Server:
    """A uvicorn server for the app (``port=0``: any free port; see ``running``)."""
    config = uvicorn.Config(
        make_app(settings),
        host=host,
        port=port,
        http="h11",
        ws="none",
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
    )
    return uvicorn.Server(config)


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted (Ctrl-C)."""
    make_server(settings, host, port).run()


@contextmanager
def running(settings: Settings, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve on a background thread for the ``with`` block; yield ``http://host:port``."""
    server = make_server(settings, host, port)
    with serving_uvicorn(server, "unsubscribe endpoint") as base:
        yield base
