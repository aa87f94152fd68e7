"""A client-side fix for one Prefect 3.8.8 incompatibility, and `renkei deploy` built on it.

Prefect 3.8.8's client sends ``"limit": null, "offset": null`` in the body of several
``POST …/filter`` requests; its server, under the FastAPI this project pins (0.154),
rejects explicit nulls for those ``int`` body fields with 422. ``prefect deploy --all``
hits it after creating the *first* deployment (it asks which workers are online), so on a
fresh server it stops there. The fix drops those two keys when they are null — exactly what
the server would then assume (its default limit, offset 0) — in the Prefect HTTP client of
the process that installs it. It changes nothing for a request that sets them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_NULLABLE = ("limit", "offset")
_installed = False


def _without_null_paging(method: str, url: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    body = kwargs.get("json")
    if method.upper() == "POST" and str(url).endswith("/filter") and isinstance(body, dict):
        if any(key in body and body[key] is None for key in _NULLABLE):
            kwargs = {
                **kwargs,
                "json": {k: v for k, v in body.items() if not (k in _NULLABLE and v is None)},
            }
    return kwargs


def install() -> None:
    """Patch Prefect's async and sync HTTP clients in this process (idempotent)."""
    global _installed
    if _installed:
        return
    from prefect.client.base import PrefectHttpxAsyncClient, PrefectHttpxSyncClient

    for cls in (PrefectHttpxAsyncClient, PrefectHttpxSyncClient):
        original = cls.build_request

        def build_request(self, method, url, *args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            return _original(self, method, url, *args, **_without_null_paging(method, url, kwargs))

        cls.build_request = build_request  # type: ignore[method-assign]
    _installed = True


def deploy_all(folder: Path) -> int:
    """Run ``prefect --no-prompt deploy --all`` for ``folder``/prefect.yaml, with the fix.

    Returns the exit code. Prefect's CLI is run in this process so the fix applies.
    """
    if not (folder / "prefect.yaml").is_file():
        from renkei.errors import RenkeiError

        raise RenkeiError(f"{folder}: no prefect.yaml here (copy the one from the renkei repo)")
    install()
    from prefect.cli._app import _app, _normalize_top_level_flags

    previous = Path.cwd()
    os.chdir(folder)
    try:
        _app.meta(_normalize_top_level_flags(["--no-prompt", "deploy", "--all"]))
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    finally:
        os.chdir(previous)
    return 0
