"""Turn a pipeline step into a Prefect task run, with the retries the step declared."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from prefect import task
from prefect.cache_policies import NONE

from renkei.core.settings import Settings, load_settings
from renkei.core.steps import retry_policy

F = TypeVar("F", bound=Callable[..., Any])


def as_task(fn: F) -> F:
    """Wrap ``fn`` as a task named after it (no caching: steps are idempotent themselves)."""
    # task(**options)(fn) is task(fn, **options); only the decorator-factory form is typed.
    wrap = task(name=fn.__name__, cache_policy=NONE, persist_result=False, **retry_policy(fn))
    return cast(F, wrap(fn))


def settings_from(config: str) -> Settings:
    """Flows take the config path as a parameter and read it once, at their start."""
    return load_settings(Path(config))
