"""Content-addressed store of every fetched payload and submitted file.

Bytes are written to ``<root>/<aa>/<sha256>`` before anything parses them, so any
later stage can be re-run from the exact bytes received.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredPayload:
    sha256: str
    path: Path
    size: int


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RawStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

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

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()
