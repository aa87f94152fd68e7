"""The unsubscribe endpoint: a small WSGI app served by the standard library.

* ``GET  <path>?t=TOKEN`` — a confirmation page in Japanese with one button; a GET never
  unsubscribes (mail scanners and link previews follow links).
* ``POST <path>?t=TOKEN`` with body ``List-Unsubscribe=One-Click`` — RFC 8058 one-click, as
  sent by mailbox providers from the ``List-Unsubscribe-Post`` header; the confirmation
  page's button posts the same.

A malformed token answers 400, an altered or forged one 403; nothing is changed. ``<path>``
is the path of ``issuer.unsubscribe_url`` (``/unsubscribe`` is always accepted too). Put it
behind the secretariat's https reverse proxy; it listens on 127.0.0.1 by default.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from renkei.errors import WarehouseBusy
from renkei.settings import Settings
from renkei.unsubscribe import TokenError, apply_unsubscribe, load_secret, verify_token

StartResponse = Callable[..., Any]
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


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_app(settings: Settings) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI application for ``settings``."""
    secret = load_secret(settings.mail)
    paths = {urlsplit(settings.issuer.unsubscribe_url).path or "/", "/unsubscribe"}
    issuer = html.escape(settings.issuer.name)

    def page(start: StartResponse, status: str, title: str, body: str) -> list[bytes]:
        data = _PAGE.format(title=html.escape(title), body=body, issuer=issuer).encode()
        start(
            status,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [data]

    def app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if environ.get("PATH_INFO", "/") not in paths:
            return page(start, "404 Not Found", "ページが見つかりません", "")
        token = parse_qs(environ.get("QUERY_STRING", "")).get("t", [""])[0]
        if method == "POST":
            length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
            form = parse_qs(environ["wsgi.input"].read(length).decode("utf-8", "replace"))
            token = token or form.get("t", [""])[0]
        elif method not in ("GET", "HEAD"):
            start("405 Method Not Allowed", [("Allow", "GET, POST")])
            return [b""]
        if not token:
            return page(
                start,
                "400 Bad Request",
                "配信停止のリンクが不完全です",
                "<p>メールに記載のリンクをそのまま開いてください。</p>",
            )
        try:
            if method == "POST":
                item = apply_unsubscribe(settings, token, via="one-click")
            else:
                item = verify_token(secret, token)
        except TokenError as exc:
            status = "403 Forbidden" if exc.http_status == 403 else "400 Bad Request"
            return page(
                start,
                status,
                "配信停止のリンクが正しくありません",
                "<p>リンクが変更されているか、無効です。お手数ですが事務局までご連絡ください。</p>",
            )
        except WarehouseBusy:
            start("503 Service Unavailable", [("Retry-After", "30")])
            return [b""]
        address = html.escape(item.email)
        if method == "POST":
            return page(
                start,
                "200 OK",
                "配信を停止しました",
                f"<p>{address} 宛てのメールマガジンの配信を停止しました。</p>",
            )
        action = html.escape(f"?t={token}", quote=True)
        return page(
            start,
            "200 OK",
            "メールマガジンの配信停止",
            f"<p>{address} 宛てのメールマガジンの配信を停止しますか。</p>"
            f'<form method="post" action="{action}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            '<button type="submit">配信を停止する</button></form>',
        )

    return app


def make_unsubscribe_server(settings: Settings, host: str, port: int) -> WSGIServer:
    """A server ready for ``serve_forever()`` (tests run it in a thread)."""
    return make_server(
        host,
        port,
        make_app(settings),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
