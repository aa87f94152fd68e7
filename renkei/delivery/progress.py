"""Live progress of a send, readable while the send holds the warehouse.

A send keeps the DuckDB file for its whole run, so no other process (the web console, a
status page) can read the ``deliveries`` table meanwhile. So the send also keeps a small
JSON file beside its journal, ``<warehouse>.send-<issue>.progress``::

    {"issue_id", "total", "done", "sent", "failed", "unknown", "started_at", "updated_at",
     "finished", "failures": [{"recipient", "status", "smtp_code", "reply"}, ...],
     "error", "pid", "host"}

``total`` is the number of messages this run will attempt; ``failures`` the last (at most
``MAX_FAILURES``) ``failed`` or ``unknown`` outcomes of this run with the server's reply;
``error`` why the run stopped early (e.g. ``DeliveryPaused``), else null. It is rewritten
atomically (a temporary file, then ``os.replace``: a reader sees the old figures or the new,
never half a file) when the run starts, at most every ``WRITE_EVERY`` seconds while it
runs (checked between messages: one clock read each) and when it ends. It stays after the
run, so the last figures can be shown, and the next run of the same issue replaces it.

:func:`read_progress` reads it back as a :class:`SendProgress` with the rate, the percentage
and a state: ``running``, ``finished``, ``stopped`` (the run ended early with an error) or
``interrupted`` (not finished, and the process that wrote it is gone: it was killed).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WRITE_EVERY = 0.5  # seconds between rewrites while a send runs
MAX_FAILURES = 20

STATE_JA = {
    "running": "送信中",
    "finished": "完了",
    "stopped": "停止（エラー）",
    "interrupted": "中断（プロセス終了）",
}


def progress_path(warehouse: Path, issue_id: str) -> Path:
    return Path(warehouse).with_name(f"{Path(warehouse).name}.send-{issue_id}.progress")


def _now() -> datetime:
    return datetime.now(UTC)


class ProgressWriter:
    """Counts one run's outcomes and rewrites the progress file now and then."""

    def __init__(self, warehouse: Path, issue_id: str, total: int) -> None:
        self.path = progress_path(warehouse, issue_id)
        self.issue_id = issue_id
        self.total = total
        self.counts = {"sent": 0, "failed": 0, "unknown": 0}
        self.failures: deque[dict[str, Any]] = deque(maxlen=MAX_FAILURES)
        self.started_at = _now()
        self.finished = False
        self.error: str | None = None
        self._written = 0.0

    def start(self) -> None:
        self.write()

    def count(self, recipient: str, status: str, code: int | None, reply: str | None) -> None:
        """One final outcome (``sent``, ``failed`` or ``unknown``) of this run."""
        self.counts[status] = self.counts.get(status, 0) + 1
        if status != "sent":
            self.failures.append(
                {"recipient": recipient, "status": status, "smtp_code": code, "reply": reply}
            )

    def maybe_write(self) -> None:
        """Rewrite the file if ``WRITE_EVERY`` has passed (call between messages)."""
        if time.monotonic() - self._written >= WRITE_EVERY:
            self.write()

    def finish(self, error: str | None = None) -> None:
        self.finished, self.error = True, error
        self.write()

    def write(self) -> None:
        done = self.counts["sent"] + self.counts["failed"] + self.counts["unknown"]
        body = {
            "issue_id": self.issue_id,
            "total": self.total,
            "done": done,
            **self.counts,
            "started_at": self.started_at.isoformat(),
            "updated_at": _now().isoformat(),
            "finished": self.finished,
            "failures": list(self.failures),
            "error": self.error,
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)
        self._written = time.monotonic()


@dataclass(frozen=True)
class SendFailure:
    recipient: str
    status: str  # failed | unknown
    smtp_code: int | None
    reply: str | None


@dataclass(frozen=True)
class SendProgress:
    issue_id: str
    total: int
    done: int
    sent: int
    failed: int
    unknown: int
    started_at: datetime
    updated_at: datetime
    finished: bool
    failures: tuple[SendFailure, ...]
    error: str | None = None
    alive: bool = True  # the writing process still runs (or cannot be checked from here)

    @property
    def elapsed(self) -> float:
        """Seconds from the start to the last update."""
        return max((self.updated_at - self.started_at).total_seconds(), 0.0)

    @property
    def rate(self) -> float:
        """Messages per second over the run so far (0.0 before the first second's worth)."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def percent(self) -> float:
        """Share of this run's messages done, 0–100 (100 when there was nothing to send)."""
        return 100.0 * self.done / self.total if self.total else 100.0

    @property
    def remaining_seconds(self) -> float | None:
        """A rough time to the end at the current rate (None while there is no rate)."""
        if self.finished:
            return 0.0
        return (self.total - self.done) / self.rate if self.rate > 0 else None

    @property
    def state(self) -> str:
        """``running``, ``finished``, ``stopped`` or ``interrupted``."""
        if self.finished:
            return "stopped" if self.error else "finished"
        return "running" if self.alive else "interrupted"

    @property
    def state_ja(self) -> str:
        return STATE_JA[self.state]


def _alive(pid: object, host: object) -> bool:
    """Is the writing process still there? (Only checkable on the same machine.)"""
    if not isinstance(pid, int) or host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, run by someone else
        return True
    return True


def read_progress(warehouse: Path, issue_id: str) -> SendProgress | None:
    """The progress of the running (or last) send of ``issue_id``; None if there is none
    or the file cannot be read. Never opens the warehouse."""
    try:
        body = json.loads(progress_path(warehouse, issue_id).read_text(encoding="utf-8"))
        failures = tuple(
            SendFailure(f["recipient"], f["status"], f["smtp_code"], f["reply"])
            for f in body["failures"]
        )
        return SendProgress(
            issue_id=body["issue_id"],
            total=int(body["total"]),
            done=int(body["done"]),
            sent=int(body["sent"]),
            failed=int(body["failed"]),
            unknown=int(body["unknown"]),
            started_at=datetime.fromisoformat(body["started_at"]),
            updated_at=datetime.fromisoformat(body["updated_at"]),
            finished=bool(body["finished"]),
            failures=failures,
            error=body.get("error"),
            alive=bool(body["finished"]) or _alive(body.get("pid"), body.get("host")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
