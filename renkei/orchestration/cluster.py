"""The Dask path (``[orchestration] task_runner = "dask"``): the same stages, with their
CPU- and network-heavy part on a cluster.

The network fetch and the normalise computation are submitted as tasks to a Dask cluster;
every warehouse read and write stays in the flow process. DuckDB is a single-writer file
and a cluster worker on another machine cannot see it anyway, so a task gets plain data in
and gives plain data back. Nothing here re-implements a stage: ``fetch_on_cluster`` is the
``fetch`` of ``pipeline.ingest_feeds`` and ``build_on_cluster`` the ``build`` of
``normalize``. The normalise stage holds the warehouse from its read to its write on this
path too (before the move the Dask path let it go while the cluster computed): a
submission taken in meanwhile could otherwise withdraw activities that the stale result
then wrote back. The local cluster uses worker *processes* (one thread each): normalising is
pure-Python CPU work that threads would serialise on the GIL, and processes pickle every
argument exactly as a remote cluster would, so what passes here also passes there.

prefect_dask is an optional dependency (``pip install 'renkei[dask]'``), imported only
when the Dask runner is asked for.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from renkei import pipeline
from renkei.core.errors import ConfigError
from renkei.core.settings import FeedSettings, Settings
from renkei.core.steps import Runner, retried
from renkei.feeds.due import load_feed_state, polite_limits, split_due
from renkei.feeds.fetch import FeedTarget, FetchResult, fetch_all
from renkei.feeds.report import FeedReport
from renkei.normalize.activities import NormalizeReport, build_here
from renkei.normalize.activities import normalize as normalize_stage
from renkei.orchestration.tasks import as_task
from transforms.classify import Rules


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


@retried(2, delays=(10, 60))
def fetch_chunk(targets: list[FeedTarget], limits: FeedSettings) -> list[FetchResult]:
    """Network only: runs on a cluster worker, which never sees the warehouse."""
    return fetch_all(targets, limits)


def fetch_on_cluster(
    settings: Settings, targets: Sequence[FeedTarget], force: bool
) -> list[FetchResult]:
    """The due feeds fetched on the cluster, one chunk per worker (the schedule, backoff
    and disabled feeds apply exactly as in ``fetch_feeds``)."""
    due, waiting = split_due(targets, load_feed_state(settings), force=force)
    limits = polite_limits(settings)
    fetch = as_task(fetch_chunk)
    chunks = _chunks(due, settings.orchestration.dask_workers)
    with task_runner(settings) as runner:
        futures = [runner.submit(fetch, {"targets": c, "limits": limits}) for c in chunks]
        results = [result for future in futures for result in future.result()]
    return [*results, *waiting]


def build_on_cluster(
    settings: Settings, staged: pl.DataFrame, rules: Rules, summary_chars: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``build_here`` as one task on the cluster."""
    with task_runner(settings) as runner:
        future = runner.submit(
            as_task(build_here),
            {"staged": staged, "rules": rules, "summary_chars": summary_chars},
        )
        return future.result()


def ingest_feeds(settings: Settings, run: Runner, force: bool = False) -> FeedReport:
    """``pipeline.ingest_feeds``, with the fetch on the cluster when Dask is configured."""
    if settings.orchestration.task_runner == "default":
        return pipeline.ingest_feeds(settings, run=run, force=force)
    return pipeline.ingest_feeds(settings, run=run, force=force, fetch=fetch_on_cluster)


def normalize(settings: Settings, run: Runner) -> NormalizeReport:
    """The normalise stage, with the computation on the cluster when Dask is configured."""
    if settings.orchestration.task_runner == "default":
        return run(normalize_stage)(settings)
    return normalize_stage(settings, build=functools.partial(build_on_cluster, settings))
