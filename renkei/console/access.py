"""The console's way into the warehouse: briefly, one request at a time, never held
between requests, and writes inside the flows' writer slot.

DuckDB lets one process hold the file. A request opens it for what it needs and closes it
before the page is sent, so a flow waiting for the file waits milliseconds. Requests of
this process take turns (one lock: one process may not have the file open read-only and
read-write at once). When a flow holds the file, a request waits ``busy_wait_seconds``
and then raises :class:`Busy`, which the app answers with the 処理中 page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from renkei.core.settings import Settings
from renkei.orchestration.limits import writer_slot
from warehouse.connection import WAIT_SECONDS, holder
from warehouse.errors import WarehouseBusy

T = TypeVar("T")

# Who holds the file, as the flows name their stages, for the busy page.
STAGE_JA = {
    "ingest_feeds": "フィード取得",
    "ingest": "フィード取得",
    "normalize": "正規化",
    "compile_newsletter": "会報の作成",
    "send_newsletter": "会報の送信",
    "publish_dataset": "オープンデータの公開",
    "ingest_submission": "報告の受付",
    "submit": "報告の受付",
    "edit": "会報の編集",
    "approve": "承認",
}


class Busy(Exception):
    """A flow (or another process) holds the warehouse; the page asks to reload later."""

    def __init__(self, note: dict[str, str] | None) -> None:
        super().__init__("warehouse busy")
        self.note = note

    @property
    def stage(self) -> str:
        if not self.note:
            return "別の処理"
        stage = self.note["stage"]
        return f"{STAGE_JA[stage]}（{stage}）" if stage in STAGE_JA else stage

    @property
    def since(self) -> str:
        return self.note["since"][11:16] if self.note else "不明"


class Gate:
    """Every warehouse use of the console goes through one Gate."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    def _call(self, write: bool, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        wait = self.settings.console.busy_wait_seconds
        # A request of our own may be recompiling a draft (a few seconds): wait for it too.
        if not self._lock.acquire(timeout=wait + 15):
            raise Busy({"stage": "console", "since": "", "pid": ""})
        token = WAIT_SECONDS.set(wait)
        try:
            if write:
                with writer_slot(self.settings, timeout_seconds=wait):
                    return fn(*args, **kwargs)
            return fn(*args, **kwargs)
        except WarehouseBusy as exc:
            raise Busy(exc.holder or holder(self.settings.warehouse)) from None
        finally:
            WAIT_SECONDS.reset(token)
            self._lock.release()

    def read(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        return self._call(False, fn, *args, **kwargs)

    def write(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        return self._call(True, fn, *args, **kwargs)
