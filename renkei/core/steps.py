"""What makes a function a pipeline step: the runner that wraps it, and its retry policy.

A stage is a short composition of steps, each called through ``run(step)(...)``. The CLI
passes ``direct`` (call it here, now); the flows pass ``renkei.orchestration.tasks.as_task``
(a Prefect task run). A step that talks to the network declares its retries where it is
defined, with ``@retried``, so renaming it cannot drop them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
Runner = Callable[[F], F]

RETRY_ATTRIBUTE = "renkei_retries"


def direct(fn: F) -> F:
    """The runner that calls a step in this process, as it is."""
    return fn


def retried(times: int, delays: tuple[int, ...]) -> Callable[[F], F]:
    """Declare that a step may be retried ``times`` times, waiting ``delays`` seconds."""

    def mark(fn: F) -> F:
        setattr(fn, RETRY_ATTRIBUTE, {"retries": times, "retry_delay_seconds": list(delays)})
        return fn

    return mark


def retry_policy(fn: Callable[..., Any]) -> dict[str, Any]:
    """The retries a step declared (none: it fails fast)."""
    return dict(getattr(fn, RETRY_ATTRIBUTE, {}))
