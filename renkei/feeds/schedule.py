"""When each feed is fetched next: backoff after failures, the server's own hints, 410 Gone.

A feed is *due* unless it is disabled or its ``next_due_at`` lies in the future. After a
fetch:

- success (200/304): due again after ``Cache-Control: max-age`` if the server sent one,
  else on the next run; the failure count resets;
- failure: the count goes up; from the 3rd failure in a row the feed waits 1 h, then 2 h,
  4 h … capped at 1 day, each shortened by up to 10% at random so failed feeds do not
  retry in lockstep. It is never dropped: a dead site is still tried once a day and
  shows as ``failing`` in ``renkei feeds``;
- 429/503 with ``Retry-After``: not before the time the server asked for (the later of
  that and the backoff);
- 410 Gone: disabled, and reported, until the registry lists a new URL for the member;
- a run in which no feed got any HTTP answer (our own network is down) counts against
  none of them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from renkei.feeds.fetch import FeedTarget, FetchResult

BACKOFF_AFTER = 3  # consecutive failures before a feed waits between attempts
FIRST_BACKOFF = timedelta(hours=1)
MAX_DELAY = timedelta(days=1)  # longest wait for backoff, Retry-After and max-age alike
JITTER = 0.10  # each backoff is shortened by up to this fraction, at random
GONE = "410 Gone: フィードは削除されたとサイトが応答しました (members.csv の feed_url を直すと再開)"

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def is_due(target: FeedTarget, now: datetime, *, force: bool = False) -> bool:
    """Fetch this feed now? Disabled feeds never; ``force`` ignores only the schedule."""
    if target.disabled_at is not None:
        return False
    return force or target.next_due_at is None or target.next_due_at <= now


def retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as a delay: delta-seconds or an HTTP date; None if absent or bad."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(timedelta(seconds=int(text)), MAX_DELAY)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), MAX_DELAY)


def max_age(cache_control: str | None) -> timedelta | None:
    """``Cache-Control: max-age`` as a delay (capped at a day); None when not given."""
    if not cache_control or "no-cache" in cache_control.lower():
        return None
    match = _MAX_AGE.search(cache_control)
    if not match or int(match.group(1)) == 0:
        return None
    return min(timedelta(seconds=int(match.group(1))), MAX_DELAY)


def backoff(failures: int, uniform: Callable[[float, float], float] = random.uniform) -> timedelta:
    """The wait after ``failures`` consecutive failures: none before the 3rd, then 1 h,
    2 h, 4 h … capped at a day, less a random jitter of up to 10%."""
    if failures < BACKOFF_AFTER:
        return timedelta(0)
    steps = min(failures - BACKOFF_AFTER, 5)  # 2**5 h > a day: the cap applies anyway
    base = min(FIRST_BACKOFF * 2**steps, MAX_DELAY)
    return base * (1 - uniform(0.0, JITTER))


@dataclass(frozen=True)
class Next:
    """What one attempt means for the feed's schedule (written to ``feed_state``)."""

    failures: int
    next_due_at: datetime | None
    disabled_at: datetime | None = None
    disabled_reason: str | None = None


def after_attempt(result: FetchResult, *, ok: bool, counted: bool = True) -> Next:
    """The schedule after one attempt; ``counted`` is False when every feed failed."""
    now, headers = result.fetched_at, result.headers
    if result.status_code == 410:
        return Next(result.target.failures, None, now, GONE)
    if ok:
        delay = max_age(headers.get("cache-control"))
        return Next(0, now + delay if delay else None)
    failures = result.target.failures + 1 if counted else result.target.failures
    delay = backoff(failures) if counted else timedelta(0)
    if result.status_code in (429, 503):
        delay = max(delay, retry_after(headers.get("retry-after"), now) or timedelta(0))
    return Next(failures, now + delay if delay else None)


def network_down(attempted: Sequence[FetchResult]) -> bool:
    """No feed attempted in this run got any HTTP answer (connection refused, DNS, timeout),
    and some of them were fine before: the fault is most likely ours (network, proxy, DNS),
    so the run counts against no feed. Any HTTP answer, even a 500, proves our side works.

    Feeds that were already failing and happen to be the only ones due (the rest wait for
    their max-age) do not trigger this, or their backoff would never grow.
    """
    return (
        len(attempted) > 1
        and all(r.status_code is None and r.error for r in attempted)
        and any(r.target.failures == 0 for r in attempted)
    )
