"""`renkei watch`: notice files dropped into ``inbox/<member_id>/`` and hand each one on.

watchfiles reports changes; a file is handled once its size and mtime have stood still for
``intake.settle_seconds`` (a copy or download in progress is left alone). Each distinct
(member, sha256) is handled once: handled files are journalled in
``<warehouse>.watch.jsonl`` (one JSON line each), so a restarted watch skips what it already
did, while a file dropped while it was stopped is picked up by the scan at start-up.

Ignored: hidden files, Excel lock files (``~$…``), partial downloads (``.part``,
``.crdownload``, ``.tmp`` …), files directly in the inbox root, and the receipts renkei
writes beside each file (``<file>.受付結果.txt``), so a receipt never triggers a submission.
Refused, with a line in the log: symbolic links (a file or a member folder), FIFOs, sockets
and other files that are not regular; they are never followed or opened.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from renkei.core.errors import EXPECTED, WarehouseBusy
from renkei.core.events import api_url
from renkei.core.rawstore import sha256_file
from renkei.core.registry import load_registry, require_member
from renkei.core.settings import Settings
from renkei.submissions.event import emit_received
from renkei.submissions.intake import ingest_submission
from renkei.submissions.limits import open_submitted
from renkei.submissions.receipts import clean_name, is_receipt


class Summarised(Protocol):
    def summary(self) -> str: ...


PARTIAL_SUFFIXES = (
    ".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".swp", ".lock", "~",
)  # fmt: skip
SYSTEM_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})


def named_as_candidate(path: Path, inbox: Path) -> bool:
    """True for ``inbox/<member_id>/<file>`` whose name may be a submission's."""
    try:
        parts = path.relative_to(inbox).parts
    except ValueError:
        return False
    if len(parts) != 2:
        return False
    member, name = parts
    lower = name.lower()
    return not (
        member.startswith(".")
        or name.startswith((".", "~$"))
        or lower.endswith(PARTIAL_SUFFIXES)
        or lower in SYSTEM_NAMES
        or is_receipt(path)
    )


def refusal(path: Path) -> str | None:
    """Why a file in the inbox is refused without being opened (None: it is not). A path
    that does not exist (any more) is not refused here."""
    try:
        mode = os.lstat(path).st_mode
        folder = os.lstat(path.parent).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(folder):
        return "the member folder is a symbolic link: refused (never followed)"
    if stat.S_ISLNK(mode):
        return "a symbolic link: refused (never followed)"
    if not stat.S_ISREG(mode):
        return "not a regular file: refused"
    return None


def is_candidate(path: Path, inbox: Path) -> bool:
    """True for a regular file ``inbox/<member_id>/<file>`` that may be a submission
    (never a symbolic link, a FIFO or a device)."""
    return named_as_candidate(path, inbox) and refusal(path) is None


class WatchJournal:
    """The (member, sha256) pairs already handled, kept as JSON lines beside the warehouse."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: set[str] = set()
        if path.is_file():
            for line in path.read_text("utf-8").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash
                self.done.add(f"{entry['member_id']}/{entry['sha256']}")

    def seen(self, member_id: str, sha256: str) -> bool:
        return f"{member_id}/{sha256}" in self.done

    def add(self, member_id: str, sha256: str, path: Path, how: str) -> None:
        entry = {
            "member_id": member_id,
            "sha256": sha256,
            "path": str(path),
            "how": how,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.done.add(f"{member_id}/{sha256}")


def journal_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".watch.jsonl")


class Handler(Protocol):
    how: str

    def handle(self, path: Path, member_id: str, sha256: str) -> str: ...

    def after_batch(self) -> str | None: ...


@dataclass
class _Pending:
    size: int = -1
    mtime_ns: int = -1
    since: float = 0.0


@dataclass
class InboxWatcher:
    inbox: Path
    handler: Handler
    journal: WatchJournal
    settle_seconds: float = 1.0
    echo: Callable[[str], None] = print
    pending: dict[Path, _Pending] = field(default_factory=dict)
    refused: set[Path] = field(default_factory=set)  # said once each in the log

    def refuse(self, path: Path, reason: str) -> None:
        if path not in self.refused:
            self.refused.add(path)
            shown = "/".join(clean_name(p) for p in path.relative_to(self.inbox).parts)
            self.echo(f"refused {shown}: {reason}")

    def notice(self, path: Path) -> None:
        if path.parent == self.inbox and path.is_symlink():
            self.refuse(path, "a symbolic link: refused (never followed)")
        elif path.is_dir() and not path.is_symlink() and path.parent == self.inbox:
            # A new member folder: files copied in before the OS watch on it was in place
            # raise no event of their own, so look inside now.
            for inner in sorted(path.iterdir()):
                self.notice(inner)
        elif named_as_candidate(path, self.inbox):
            reason = refusal(path)
            if reason is None:
                self.pending.setdefault(path, _Pending())
            else:
                self.pending.pop(path, None)
                self.refuse(path, reason)

    def scan(self) -> None:
        """Every file already in the inbox (dropped while watch was not running)."""
        for folder in sorted(self.inbox.iterdir()):
            self.notice(folder)

    def ready(self, now: float) -> list[Path]:
        """Pending files whose size and mtime stood still for settle_seconds."""
        ready = []
        for path, state in list(self.pending.items()):
            try:
                st = path.lstat()
            except FileNotFoundError:
                del self.pending[path]  # moved away or deleted before it settled
                continue
            if (st.st_size, st.st_mtime_ns) != (state.size, state.mtime_ns):
                state.size, state.mtime_ns, state.since = st.st_size, st.st_mtime_ns, now
            elif now - state.since >= self.settle_seconds:
                ready.append(path)
        return ready

    def process(self, now: float | None = None) -> int:
        """Handle every settled file; return how many were handed on."""
        handled = 0
        for path in self.ready(time.monotonic() if now is None else now):
            member_id = path.parent.name
            del self.pending[path]
            if reason := refusal(path):  # swapped for a link or a FIFO since noticed
                self.refuse(path, reason)
                continue
            try:
                with open_submitted(path, follow=False) as handle:
                    sha256 = sha256_file(handle)  # in pieces: the file may be big
            except (OSError, *EXPECTED) as exc:  # locked, gone or swapped: next change
                self.echo(f"skipped {member_id}/{clean_name(path.name)}: {exc}")
                continue
            if self.journal.seen(member_id, sha256):
                continue
            try:
                line = self.handler.handle(path, member_id, sha256)
            except WarehouseBusy as exc:
                self.echo(f"busy {member_id}/{clean_name(path.name)}: {exc} (retrying)")
                self.pending[path] = _Pending(since=time.monotonic())
                continue
            except EXPECTED as exc:
                self.echo(f"error {member_id}/{clean_name(path.name)}: {exc}")
                continue
            self.journal.add(member_id, sha256, path, self.handler.how)
            self.echo(line)
            handled += 1
        if handled:
            after = self.handler.after_batch()
            if after:
                self.echo(after)
        return handled

    def run(self, stop: threading.Event) -> None:
        from watchfiles import Change, watch

        self.scan()
        self.process()
        for changes in watch(
            self.inbox,
            stop_event=stop,
            yield_on_timeout=True,
            rust_timeout=200,
            debounce=400,
            raise_interrupt=False,
            watch_filter=None,
        ):
            for change, name in changes:
                if change != Change.deleted:
                    self.notice(Path(name))
            self.process()


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM, so watch ends cleanly (exit 0)."""
    stop = threading.Event()

    def _set(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _set)
    signal.signal(signal.SIGTERM, _set)
    return stop


class EmitHandler:
    """Prefect API configured: emit `renkei.submission.received`; a deployment ingests."""

    how = "emitted"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def handle(self, path: Path, member_id: str, sha256: str) -> str:
        require_member(load_registry(self.settings.registry), member_id, self.settings.registry)
        event_id = emit_received(path, member_id, sha256)
        return (
            f"emitted {member_id}/{clean_name(path.name)} sha256 {sha256[:12]} (event {event_id})"
        )

    def after_batch(self) -> str | None:
        return None


class DirectHandler:
    """No Prefect API: ingest here, then normalise, so the rows reach `activities`."""

    how = "ingested"

    def __init__(self, settings: Settings, after_batch: Callable[[Settings], Summarised]) -> None:
        self.settings = settings
        self._after_batch = after_batch

    def handle(self, path: Path, member_id: str, sha256: str) -> str:
        outcome = ingest_submission(self.settings, path, member_id, raise_on_reject=False)
        return f"ingested {member_id}/{outcome.summary()}"

    def after_batch(self) -> str | None:
        return f"normalize: {self._after_batch(self.settings).summary()}"


def watch_inbox(
    settings: Settings,
    normalize: Callable[[Settings], Summarised],
    inbox: Path | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Run until SIGINT/SIGTERM: emit events (Prefect API set) or ingest directly, then run
    ``normalize`` (the next stage, handed in by the application) after each batch."""
    folder = (inbox or settings.inbox).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    api = api_url()
    handler: Handler = EmitHandler(settings) if api else DirectHandler(settings, normalize)
    mode = (
        f"emitting renkei.submission.received to {api}"
        if api
        else "no Prefect API configured (PREFECT_API_URL): ingesting directly"
    )
    echo(f"watching {folder} — {mode}; Ctrl-C stops")
    watcher = InboxWatcher(
        folder,
        handler,
        WatchJournal(journal_path(settings.warehouse)),
        settle_seconds=settings.intake.settle_seconds,
        echo=echo,
    )
    watcher.run(stop_on_signals())
    echo("watch stopped")
