"""Expected failures: each carries a one-line cause that names where the problem is.

The CLI prints ``str(error)`` and exits non-zero without a traceback; anything that
is not a ``RenkeiError`` is a bug and keeps its traceback.
"""

from __future__ import annotations

from warehouse.errors import WarehouseBusy, WarehouseError

__all__ = [
    "EXPECTED",
    "ApprovalError",
    "ConfigError",
    "RegistryError",
    "RenkeiError",
    "SubmissionError",
    "WarehouseBusy",
    "WarehouseError",
]


class RenkeiError(Exception):
    """An expected, user-facing failure."""

    exit_code = 1


# Every expected failure: ours, and the warehouse's own (it cannot import ours). Catch
# this tuple, not RenkeiError alone, wherever a busy or missing warehouse is expected.
EXPECTED: tuple[type[RenkeiError], type[WarehouseError]] = (RenkeiError, WarehouseError)


class ConfigError(RenkeiError):
    """A missing or wrong setting, named with its file."""

    exit_code = 2


class RegistryError(RenkeiError):
    """The member registry has problems; ``problems`` lists every one with its row."""

    exit_code = 2

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        if len(problems) == 1:
            super().__init__(f"{path}: {problems[0]}")
        else:
            lines = "\n".join(f"  {p}" for p in problems)
            super().__init__(f"{path}: {len(problems)} problems in the member registry\n{lines}")


class SubmissionError(RenkeiError):
    """A submitted file cannot be read at all (the raw copy is still kept)."""


class ApprovalError(RenkeiError):
    """An issue is not in a state that allows the requested step."""
