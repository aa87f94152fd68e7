"""Run a stdlib HTTP server on a background thread for the length of a ``with`` block."""

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
