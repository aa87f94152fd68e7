"""Turn a library step into a Prefect task run, with retries where the network is involved."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

from prefect import task
from prefect.cache_policies import NONE

from renkei.alerts import HOOKS as ALERTS
from renkei.orchestration import exclusive
from renkei.settings import Settings, load_settings

__all__ = ["ALERTS", "as_task", "exclusive", "settings_from", "writer"]

F = TypeVar("F", bound=Callable[..., Any])

# Steps that talk to the network get retries with backoff; the rest fail fast.
RETRIES: dict[str, dict[str, Any]] = {
    "fetch_feeds": {"retries": 2, "retry_delay_seconds": [10, 60]},
    "fetch_chunk": {"retries": 2, "retry_delay_seconds": [10, 60]},  # the Dask path
}


def as_task(fn: F) -> F:
    """Wrap ``fn`` as a task named after it (no caching: steps are idempotent themselves)."""
    options = RETRIES.get(fn.__name__, {})
    return task(fn, name=fn.__name__, cache_policy=NONE, persist_result=False, **options)  # type: ignore[return-value]


def settings_from(config: str) -> Settings:
    """Flows take the config path as a parameter and read it once, at their start."""
    return load_settings(Path(config))


def writer(settings: Settings) -> AbstractContextManager[None]:
    """One warehouse writer at a time across all flow runs (a Prefect global limit)."""
    return exclusive(settings.orchestration.writer_limit)
