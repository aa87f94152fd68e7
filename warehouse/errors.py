"""The warehouse's own failures (it imports nothing of the application).

``renkei.core.errors`` registers them as expected failures, so the CLI prints their one
line instead of a traceback.
"""

from __future__ import annotations


class WarehouseError(Exception):
    """The DuckDB file cannot be opened or is missing."""

    exit_code = 1


class WarehouseBusy(WarehouseError):
    """Another process holds the DuckDB file."""

    exit_code = 75  # EX_TEMPFAIL: try again later

    def __init__(self, message: str, *, holder: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.holder = holder  # the holder's note (stage, pid, since), when it left one
