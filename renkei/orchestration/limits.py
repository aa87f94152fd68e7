"""Global concurrency limits: one warehouse writer, one send, across all flow runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar

from renkei.core.events import api_url
from renkei.core.settings import Settings
from warehouse.connection import holder
from warehouse.errors import WarehouseBusy

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


@contextmanager
def writer_slot(settings: Settings, *, timeout_seconds: float) -> Iterator[None]:
    """The warehouse writer slot for a process that is not a flow run (the console): the
    same Prefect global limit the flows take, when a Prefect API is configured; nothing
    otherwise. Raises WarehouseBusy, naming the holder, when no slot frees in time."""
    if api_url() is None:
        yield
        return
    from prefect.concurrency.sync import concurrency

    stack = ExitStack()
    try:
        stack.enter_context(
            concurrency(
                settings.orchestration.writer_limit,
                occupy=1,
                timeout_seconds=timeout_seconds,
                strict=False,
            )
        )
    except TimeoutError:
        raise WarehouseBusy(
            "warehouse busy: a flow run holds the writer slot", holder=holder(settings.warehouse)
        ) from None
    with stack:
        yield
