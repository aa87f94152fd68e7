"""Content-addressed store of every fetched payload and submitted file.

Bytes are written to ``<root>/<aa>/<sha256>`` before anything parses them, so any
later stage can be re-run from the exact bytes received. Each is written under a temporary
``.incoming-…`` name and renamed; the temporary files a killed process left behind are
removed by the first store opened on the root in a later process (only those older than
STALE_SECONDS, so another process's write in progress is left alone).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

STALE_SECONDS = 60.0  # a temporary file this old belongs to no live write
_CHUNK = 1 << 20
_swept: set[Path] = set()  # roots cleaned by this process
_sweep_lock = threading.Lock()
_streams = itertools.count()


@dataclass(frozen=True)
class StoredPayload:
    sha256: str
    path: Path
    size: int


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(handle: IO[bytes]) -> str:
    """The hash of an open file's bytes, read in pieces (never whole)."""
    digest = hashlib.sha256()
    while piece := handle.read(_CHUNK):
        digest.update(piece)
    return digest.hexdigest()


def sweep_incoming(root: Path, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove the ``.incoming-*`` files under ``root`` last written more than
    ``older_than`` seconds ago (left by a killed process); return them."""
    removed = []
    cutoff = time.time() - older_than
    for tmp in Path(root).glob("*/.incoming-*"):
        try:
            if tmp.lstat().st_mtime < cutoff:
                tmp.unlink()
                removed.append(tmp)
        except FileNotFoundError:
            continue  # renamed into place or removed meanwhile
    return removed


class RawStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        key = self.root.resolve()
        with _sweep_lock:
            if key in _swept:
                return
            _swept.add(key)
        sweep_incoming(self.root)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> StoredPayload:
        digest = sha256_hex(data)
        target = self.path_for(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # write-then-rename: a crash never leaves a truncated payload under its hash.
            # The temporary name is unique per process and thread (cheaper than mkstemp's
            # random names, which cost more than writing a feed body).
            tmp = target.with_name(f".incoming-{digest}-{os.getpid()}-{threading.get_ident()}")
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        return StoredPayload(digest, target, len(data))

    def put_stream(self, handle: IO[bytes]) -> StoredPayload:
        """Store what ``handle`` reads, piece by piece (for files too big to hold whole)."""
        self.root.mkdir(parents=True, exist_ok=True)
        ident = f"{os.getpid()}-{threading.get_ident()}-{next(_streams)}"
        tmp = self.root / "00" / f".incoming-stream-{ident}"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        try:
            with open(tmp, "wb") as out:
                while piece := handle.read(_CHUNK):
                    digest.update(piece)
                    out.write(piece)
                    size += len(piece)
            target = self.path_for(digest.hexdigest())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return StoredPayload(digest.hexdigest(), target, size)

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()
