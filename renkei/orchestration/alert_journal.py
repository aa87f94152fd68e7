"""The alert journal: a failure alert is a file until the mail server has accepted it.

Why a folder of files next to the warehouse (``alerts/``) and not a warehouse table: an
alert is written exactly when something went wrong, and that is when the warehouse is
least available — the failing flow or another stage may hold the only writer slot, the
file may be damaged, the disk it lives on may be the problem. A small file written with
``os.link`` (atomic, refuses to overwrite) needs none of that, and the crashed-run hook in
the worker process can write it too.

One flow run, one alert, three files at most (``<run>`` is the flow run id):

- ``<run>.pending.json`` — the message (its bytes, so a retry sends the same Message-ID),
  the recipient, when it was recorded, attempts so far and the last error. Written
  *before* the first attempt, so a process killed mid-send leaves a pending alert.
- ``<run>.sent`` — written only after the server's 2xx to the end of DATA (or the outbox
  file is in place); the pending file is removed after it. A crash between the two: the
  next pass sees ``.sent`` and drops the pending file without sending again.
- ``.lock`` — one pass at a time (``flock``, non-blocking: a second flow starting at the
  same moment skips the pass rather than waiting for a slow server).

Alerts are at least once: a reply lost after the final "." keeps the alert pending, and the
retry may give a second copy with the same Message-ID. A lost alert is worse than two.
"""

from __future__ import annotations

import base64
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from renkei.core.mail_transport import ConnectionFailure, DeliveryError, Transport, make_transport
from renkei.core.settings import Settings

logger = logging.getLogger("renkei.orchestration.alerts")

ALERTS_FOLDER = "alerts"  # next to the warehouse
PENDING = ".pending.json"
SENT = ".sent"
JST = ZoneInfo("Asia/Tokyo")  # times as the secretariat reads them


@dataclass(frozen=True)
class PendingAlert:
    """One alert not (yet) accepted by a mail server, as ``renkei status`` lists it."""

    flow_run_id: str
    flow_name: str
    state: str
    error: str
    recipient: str
    recorded_at: datetime  # in JST
    attempts: int
    last_error: str
    path: Path


def folder_of(settings: Settings) -> Path:
    return settings.warehouse.parent / ALERTS_FOLDER


def already_alerted(folder: Path, flow_run_id: str) -> bool:
    """True once this run's alert is recorded (pending) or delivered."""
    return (folder / f"{flow_run_id}{SENT}").exists() or (
        folder / f"{flow_run_id}{PENDING}"
    ).exists()


def _write_new(path: Path, data: dict[str, object]) -> bool:
    """Create ``path`` with ``data``; False when it exists (another process recorded it)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def _rewrite(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def record(
    settings: Settings,
    *,
    message: bytes,
    recipient: str,
    sender: str,
    flow_name: str,
    flow_run_id: str,
    state: str,
    error: str,
) -> Path | None:
    """Journal a new alert as pending; None when this run was already alerted or recorded."""
    folder = folder_of(settings)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / f"{flow_run_id}{SENT}").exists():
        return None
    path = folder / f"{flow_run_id}{PENDING}"
    entry: dict[str, object] = {
        "flow_run_id": flow_run_id,
        "flow_name": flow_name,
        "state": state,
        "error": error,
        "recipient": recipient,
        "sender": sender,
        "recorded_at": datetime.now(UTC).isoformat(),
        "attempts": 0,
        "last_error": "",
        "message": base64.b64encode(message).decode("ascii"),
    }
    return path if _write_new(path, entry) else None


def _load(path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None  # delivered by another pass meanwhile
    except (OSError, ValueError) as exc:
        logger.error("alert journal %s unreadable: %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


def pending(settings: Settings) -> list[PendingAlert]:
    """Every alert not yet delivered, oldest first (read-only; cheap when there is none)."""
    folder = folder_of(settings)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob(f"*{PENDING}")):
        data = _load(path)
        if data is None:
            continue
        found.append(
            PendingAlert(
                flow_run_id=str(data["flow_run_id"]),
                flow_name=str(data["flow_name"]),
                state=str(data["state"]),
                error=str(data["error"]),
                recipient=str(data["recipient"]),
                recorded_at=datetime.fromisoformat(str(data["recorded_at"])).astimezone(JST),
                attempts=int(str(data["attempts"])),
                last_error=str(data["last_error"]),
                path=path,
            )
        )
    return sorted(found, key=lambda alert: alert.recorded_at)


@contextmanager
def _pass_lock(folder: Path) -> Iterator[bool]:
    fd = os.open(folder / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def _deliver_one(folder: Path, path: Path, transport: Transport) -> None:
    """Send one journalled alert; on the server's 2xx, write ``.sent`` then drop it."""
    run_id = path.name.removesuffix(PENDING)
    sent = folder / f"{run_id}{SENT}"
    if sent.exists():  # delivered, then the process died before the pending file went
        path.unlink(missing_ok=True)
        return
    data = _load(path)
    if data is None:
        return
    try:
        reply = transport.deliver(
            base64.b64decode(str(data["message"])), sender=str(data["sender"]),
            recipient=str(data["recipient"]), issue_id=f"alert-{run_id}", handed_over=lambda: None,
        )  # fmt: skip
    except (DeliveryError, OSError) as exc:
        data["attempts"] = int(str(data["attempts"])) + 1
        data["last_error"] = f"{datetime.now(UTC).isoformat(timespec='seconds')} {exc}"[:500]
        _rewrite(path, data)
        raise
    sent.write_text(
        f"{datetime.now(UTC).isoformat()} {reply.code} {reply.text}\n", encoding="utf-8"
    )
    path.unlink(missing_ok=True)


def deliver_pending(settings: Settings, only: str | None = None) -> tuple[int, int]:
    """Try every pending alert (or only run ``only``'s); return (delivered, still pending).

    Never raises for a mail problem: each failure is written into its journal entry and
    logged. A connection failure ends the pass (the server is down: the others would
    fail the same way). Returns at once when nothing is pending."""
    folder = folder_of(settings)
    if not folder.is_dir():
        return 0, 0
    paths = sorted(folder.glob(f"{only or '*'}{PENDING}"))
    if not paths:
        return 0, 0
    delivered = 0
    with _pass_lock(folder) as mine:
        if not mine:  # another process is delivering them right now
            return 0, len(paths)
        transport = make_transport(settings.mail)
        try:
            for path in paths:
                try:
                    _deliver_one(folder, path, transport)
                except (ConnectionFailure, OSError) as exc:
                    logger.error("alert %s still pending: %s", path.name, exc)
                    break
                except DeliveryError as exc:
                    logger.error("alert %s still pending: %s", path.name, exc)
                    continue
                delivered += 1
        finally:
            transport.close()
    return delivered, len(paths) - delivered
