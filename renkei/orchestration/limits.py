"""Global concurrency limits: one warehouse writer, one send, across all flow runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

from renkei.core.settings import Settings

_HELD: ContextVar[tuple[str, ...]] = ContextVar("renkei_held_limits", default=())


def held_limits() -> tuple[str, ...]:
    """The global concurrency limits this flow run holds a slot of right now."""
    return _HELD.get()


@contextmanager
def exclusive(*names: str, timeout_seconds: float = 3600) -> Iterator[None]:
    """Hold one slot of each named Prefect global concurrency limit (all or none).

    Create the limits once per server (``prefect gcl create renkei-warehouse --limit 1``).
    A limit that does not exist is skipped with a warning in the run log, so the flows
    also run on a fresh or temporary server; outside a flow run this does nothing.
    """
    from prefect.context import FlowRunContext

    if FlowRunContext.get() is None:
        yield
        return
    from prefect.concurrency.sync import concurrency

    with concurrency(list(names), occupy=1, timeout_seconds=timeout_seconds):
        token = _HELD.set((*_HELD.get(), *names))
        try:
            yield
        finally:
            _HELD.reset(token)


def writer(settings: Settings) -> AbstractContextManager[None]:
    """One warehouse writer at a time across all flow runs (a Prefect global limit)."""
    return exclusive(settings.orchestration.writer_limit)
