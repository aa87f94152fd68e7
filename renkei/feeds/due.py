"""Which feeds to fetch now, and the fetch itself.

Reads each feed's stored URL, validators and schedule (the warehouse opened briefly), then
fetches the due ones with the warehouse closed. The others come back as skipped results
that say why (disabled, backing off, the server's Cache-Control or Retry-After).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import duckdb

from renkei.core.settings import FeedSettings, Settings
from renkei.core.steps import retried
from renkei.feeds.fetch import FeedTarget, FetchResult, fetch_all
from renkei.feeds.schedule import is_due
from warehouse.connection import open_warehouse
from warehouse.errors import WarehouseBusy, WarehouseError
from warehouse.queries import run_query

JST = ZoneInfo("Asia/Tokyo")


def with_state(targets: Sequence[FeedTarget], state: dict[str, dict]) -> list[FeedTarget]:
    """Apply each feed's stored URL and validators while the registry still lists the URL
    the state was recorded for (an edited registry URL starts afresh)."""
    out = []
    for t in targets:
        known = state.get(t.member_id)
        if known and known["registry_url"] == t.listed_url:
            # Built directly: dataclasses.replace costs three times as much (3 us a feed).
            t = FeedTarget(
                t.member_id,
                known["url"],
                t.listed_url,
                etag=known["etag"],
                last_modified=known["last_modified"],
                last_sha256=known["last_sha256"],
                failures=known["consecutive_failures"] or 0,
                next_due_at=known["next_due_at"],
                disabled_at=known["disabled_at"],
            )
        out.append(t)
    return out


def polite_limits(settings: Settings) -> FeedSettings:
    """The feed settings with the secretariat's contact address in the User-Agent, so a
    member's web master can tell who is fetching and whom to write to."""
    limits, contact = settings.feeds, str(settings.issuer.contact_email)
    if contact in limits.user_agent:
        return limits
    agent = limits.user_agent
    agent = f"{agent[:-1]}; {contact})" if agent.endswith(")") else f"{agent} ({contact})"
    return limits.model_copy(update={"user_agent": agent})


def load_feed_state(settings: Settings) -> dict[str, dict]:
    """Per member: current URL, validators and last body hash (warehouse opened briefly).

    Read-only: a read needs no schema check, no holder note and no write-back on close,
    a quarter of what the open costs. A warehouse not made yet or not up to date is opened
    for writing (created, migrated) as before."""
    try:
        with open_warehouse(settings.warehouse, read_only=True) as con:
            rows = run_query(con, "feed_state_all").to_dicts()
    except WarehouseBusy:
        raise
    except (WarehouseError, duckdb.Error):
        with open_warehouse(settings.warehouse, stage="ingest_feeds") as con:
            rows = run_query(con, "feed_state_all").to_dicts()
    return {r["member_id"]: r for r in rows}


def _why_waiting(target: FeedTarget, known: dict | None) -> str:
    if target.disabled_at is not None:
        return (known or {}).get("disabled_reason") or "disabled"
    assert target.next_due_at is not None  # only targets that are not due are asked about
    due = f"not due until {target.next_due_at.astimezone(JST):%Y-%m-%d %H:%M} JST"
    if target.failures:
        return f"{due} ({target.failures} failures in a row; last: {(known or {})['last_error']})"
    return f"{due} (the server's Cache-Control / Retry-After)"


@retried(2, delays=(10, 60))
def fetch_feeds(
    settings: Settings, targets: Sequence[FeedTarget], *, force: bool = False
) -> list[FetchResult]:
    """Fetch the feeds that are due (all but disabled ones with ``force``); the others come
    back as skipped results saying why, so the run reports them instead of hiding them."""
    due, waiting = split_due(targets, load_feed_state(settings), force=force)
    return [*(fetch_all(due, polite_limits(settings)) if due else []), *waiting]


def split_due(
    targets: Sequence[FeedTarget], state: dict[str, dict], *, force: bool = False
) -> tuple[list[FeedTarget], list[FetchResult]]:
    """The targets (with their stored state) to fetch now, and a skipped result saying why
    for each of the others (disabled, or waiting for backoff / the server's hints)."""
    now = datetime.now(UTC)
    due, waiting = [], []
    for target in with_state(targets, state):
        if is_due(target, now, force=force):
            due.append(target)
        else:
            why = _why_waiting(target, state.get(target.member_id))
            waiting.append(FetchResult(target, now, skipped=why))
    return due, waiting
