"""Run a server on a background thread for the length of a ``with`` block: a stdlib
HTTP server (the demo's feeds) or a uvicorn one (the console, the unsubscribe endpoint)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import BaseServer
from typing import Any, cast


@contextmanager
def serving(server: BaseServer) -> Iterator[str]:
    """Serve until the block ends; yield ``http://host:port`` of the bound address."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        # A TCP server's address is a (host, port[, ...]) tuple; the stubs also allow str/bytes.
        host, port = cast("tuple[Any, ...]", server.server_address)[:2]
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving_uvicorn(server: Any, what: str) -> Iterator[str]:
    """Run a ``uvicorn.Server`` on its own event loop in a background thread for the
    ``with`` block (readiness: ``server.started``); yield ``http://host:port``."""
    import asyncio

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"{what}: could not listen on {server.config.host}:"
                                   f"{server.config.port}")  # fmt: skip
            threading.Event().wait(0.02)
        bound = server.servers[0].sockets[0].getsockname()
        yield f"http://{bound[0]}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        loop.close()
