"""How the flows run on Prefect: task runner choice, global concurrency limits, events.

Scale-out (``[orchestration] task_runner = "dask"``): the network fetch and the
normalise computation are submitted as tasks to a Dask cluster; every warehouse read and
write stays in the flow process. DuckDB is a single-writer file and a cluster worker on
another machine cannot see it anyway, so a task gets plain data in and gives plain data
back. The local cluster uses worker *processes* (one thread each): normalising is
pure-Python CPU work that threads would serialise on the GIL, and processes pickle every
argument exactly as a remote cluster would, so what passes here also passes there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import polars as pl

from renkei import feed_ingest, pipeline
from renkei.classification import load_rules
from renkei.errors import ConfigError
from renkei.feed_ingest import FeedReport
from renkei.feeds import FeedTarget, FetchResult, fetch_all
from renkei.normalizing import write_normalized
from renkei.settings import FeedSettings, Settings
from transforms.activities import build_activities
from transforms.classify import Rules
from transforms.organisers import merge_cohosted
from transforms.overrides import apply_overrides
from warehouse.connection import open_warehouse
from warehouse.queries import run_query
from warehouse.transaction import transaction

logger = logging.getLogger("renkei.orchestration")

F = TypeVar("F", bound=Callable[..., Any])
Runner = Callable[[F], F]

# ------------------------------------------------------------------ concurrency

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


# ------------------------------------------------------------------ task runners


def task_runner(settings: Settings) -> Any:
    """The Prefect task runner ``[orchestration] task_runner`` asks for."""
    options = settings.orchestration
    if options.task_runner == "default":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=options.dask_workers)
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise ConfigError(
            f"{settings.source}: [orchestration] task_runner = 'dask' needs prefect-dask "
            "(pip install 'renkei[dask]')"
        ) from None
    if options.dask_address:
        return DaskTaskRunner(address=options.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": options.dask_workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )


def _chunks(items: Sequence[FeedTarget], n: int) -> list[list[FeedTarget]]:
    """Split into at most ``n`` chunks with every host's feeds in one chunk: each chunk
    has its own connection pool, so a host split over two would get twice the per-host
    limit. Largest hosts first, each to the smallest chunk so far."""
    hosts: dict[str, list[FeedTarget]] = {}
    for target in items:
        hosts.setdefault(urlsplit(target.url).netloc.lower(), []).append(target)
    chunks: list[list[FeedTarget]] = [[] for _ in range(n)]
    for feeds in sorted(hosts.values(), key=len, reverse=True):
        min(chunks, key=len).extend(feeds)
    return [c for c in chunks if c]


def fetch_chunk(targets: list[FeedTarget], limits: FeedSettings) -> list[FetchResult]:
    """Network only: runs on a cluster worker, which never sees the warehouse."""
    return fetch_all(targets, limits)


def build_normalized(
    staged: pl.DataFrame, rules: Rules, summary_chars: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The CPU part of normalise (clean, classify, dedupe), on a cluster worker."""
    return build_activities(staged, rules, summary_chars=summary_chars)


def _task(fn: F) -> F:
    from flows.steps import as_task

    return as_task(fn)


def ingest_feeds(settings: Settings, run: Runner, force: bool = False) -> FeedReport:
    """Like ``pipeline.ingest_feeds``; with Dask, the fetch of the *due* feeds is spread
    over the cluster (the schedule, backoff and disabled feeds apply exactly as without)."""
    if settings.orchestration.task_runner == "default":
        return pipeline.ingest_feeds(settings, run=run, force=force)
    members = run(pipeline.sync_registry)(settings)
    state = feed_ingest.load_feed_state(settings)
    due, waiting = feed_ingest.split_due(pipeline.feed_targets(members), state, force=force)
    limits = feed_ingest.polite_limits(settings)
    fetch = _task(fetch_chunk)
    chunks = _chunks(due, settings.orchestration.dask_workers)
    with task_runner(settings) as runner:
        futures = [runner.submit(fetch, {"targets": c, "limits": limits}) for c in chunks]
        results = [result for future in futures for result in future.result()]
    return run(pipeline.store_and_stage_feeds)(settings, [*results, *waiting])


def normalize(settings: Settings, run: Runner) -> pipeline.NormalizeReport:
    """Like ``pipeline.normalize``; with Dask, the computation runs on the cluster."""
    if settings.orchestration.task_runner == "default":
        return run(pipeline.normalize)(settings)
    rules = load_rules(settings.classification)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        staged = run_query(con, "staged_for_normalize")
        names = run_query(con, "member_names")
        overrides = run_query(con, "activity_overrides_all")
    with task_runner(settings) as runner:
        future = runner.submit(
            _task(build_normalized),
            {"staged": staged, "rules": rules, "summary_chars": settings.summary_chars},
        )
        activities, quarantine = future.result()
    activities, organisers, merges = merge_cohosted(activities, names)
    activities = apply_overrides(activities, overrides)
    with open_warehouse(settings.warehouse, stage="normalize") as con:
        with transaction(con):
            write_normalized(con, activities, quarantine, organisers, merges, datetime.now(UTC))
        count = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    return pipeline.NormalizeReport(staged.height, count, quarantine.height, merges.height)


# ------------------------------------------------------------------ events


def api_url() -> str | None:
    """The configured Prefect API (PREFECT_API_URL or the active profile), if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def emit(event: str, resource: dict[str, str], payload: dict[str, Any]) -> str | None:
    """Send one event to the configured Prefect API and wait until it is handed over.

    Returns None when no API is configured (nothing is sent: there is nobody to react).
    """
    url = api_url()
    if url is None:
        return None
    from prefect.events.clients import PrefectEventsClient
    from prefect.events.schemas.events import Event
    from prefect.utilities.asyncutils import run_coro_as_sync

    record = Event(event=event, resource=resource, payload=payload)

    async def _send() -> None:
        async with PrefectEventsClient(api_url=url) as client:
            await client.emit(record)

    run_coro_as_sync(_send())
    return str(record.id)
