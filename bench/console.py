"""Console page times: the dashboard and a draft's workbench over real HTTP.

    python bench/console.py                          # 100,000 activities, 200 requests
    python bench/console.py --activities 20000 --requests 50

Builds, in a temporary folder and in a child process (so its memory is not counted), a
warehouse with the bundled 85-member registry and N synthetic activities (Japanese titles;
events, calls, news and success cases spread over 2019–2026-08, plus ~N/333 of them in
2026-11 or starting by mid-December) and compiles the 2026-11 draft for a send on
2026-11-25. Then serves the console with uvicorn on 127.0.0.1 in this process, signs in
with httpx and times sequential GETs (after 5 warm-up requests each): a baseline that
touches no warehouse (GET /login, GET /static/console.css), the dashboard (GET /) and the
draft page (GET /issues/2026-11). Prints p50/p95/max per page against the target (p95 under
300 ms with the warehouse free: PASS/MISS, never a non-zero exit), the library calls behind
each page timed in process without HTTP, and this process's peak RSS. Asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ISSUE = "2026-11"
SEND_DATE = date(2026, 11, 25)
TARGET_MS = 300.0
WARMUP = 5
LOGIN = ("bench", "ベンチ 太郎", "bench-password-1")
IN_PERIOD = 333  # every 333rd activity falls in the issue's period (or its upcoming window)

GENERATE = """
CREATE TEMP TABLE gen AS
SELECT i, i % $in_period = 7 AS recent,
       ['event', 'event', 'call', 'news', 'success_case'][1 + (i // $in_period) % 5] AS cat,
       CASE WHEN i % $in_period = 7
            THEN TIMESTAMPTZ '2026-11-01 09:00:00+09' + to_days(((i // $in_period) * 7) % 29)
                 + to_minutes(i % 480)
            ELSE TIMESTAMPTZ '2019-01-01 09:00:00+09' + to_minutes((i * 7919) % 4000000)
       END AS published
FROM range($n) t(i);
INSERT INTO activities BY NAME
SELECT 'act-' || lpad(i::VARCHAR, 8, '0') AS activity_id,
       m.member_id, 'feed' AS source,
       ['産学連携セミナー', '共同研究の成果発表会', '補助金公募説明会', '人材育成講座',
        '技術シーズ交流会'][1 + i % 5] || ' 第' || i || '回' AS title,
       'key' || i AS title_key,
       '地域の企業と大学が連携して取り組む活動のご案内です。番号 ' || i AS summary,
       'https://example.jp/a/' || i AS url,
       cat AS category, 'bench' AS category_rule,
       CASE WHEN cat <> 'event' THEN NULL
            WHEN recent THEN TIMESTAMPTZ '2026-11-01 13:30:00+09' + to_days((i * 13) % 45)
            ELSE published + INTERVAL 14 DAY END AS starts_at,
       CASE WHEN cat <> 'event' THEN NULL
            WHEN recent THEN TIMESTAMPTZ '2026-11-01 16:00:00+09' + to_days((i * 13) % 45)
            ELSE published + INTERVAL 14 DAY + INTERVAL 3 HOUR END AS ends_at,
       false AS all_day,
       published AS published_at,
       CASE WHEN cat = 'call' THEN published + to_days(10 + i % 30) END AS deadline_at,
       CASE WHEN cat = 'event' THEN '会場' || (i % 50) END AS venue,
       CASE WHEN i % 3 = 0 THEN '事務局 03-0000-' || lpad((i % 10000)::VARCHAR, 4, '0') END
           AS contact,
       CASE WHEN cat = 'event' AND i % 4 = 0 THEN '無料' END AS fee_text,
       'h' || i AS content_sha256,
       published AS first_seen_at, published AS updated_at
FROM gen
JOIN (SELECT member_id, row_number() OVER (ORDER BY member_id) - 1 AS k FROM members) m
  ON m.k = i % $members;
INSERT INTO activity_organisers
SELECT activity_id, member_id, 'host', 'publisher' FROM activities;
INSERT INTO activity_organisers
SELECT a.activity_id, m.member_id, 'co_host', 'text:主催'
FROM activities a
JOIN (SELECT member_id, row_number() OVER (ORDER BY member_id) - 1 AS k FROM members) m
  ON m.k = (hash(a.activity_id) % $members)
WHERE hash(a.activity_id) % 20 = 0 AND m.member_id <> a.member_id;
"""


def build(n: int, folder: Path) -> None:
    """The working folder, the warehouse, the 2026-11 draft and one approver account."""
    from renkei import pipeline
    from renkei.core.settings import load_settings
    from renkei.core.staff import add_user
    from renkei.scaffold import init_folder
    from warehouse.connection import open_warehouse

    started = time.perf_counter()
    init_folder(folder)
    settings = load_settings(folder / "renkei.toml")
    members = pipeline.sync_registry(settings)
    values = {"n": n, "members": len(members), "in_period": IN_PERIOD}
    with open_warehouse(settings.warehouse) as con:
        for statement in filter(str.strip, GENERATE.split(";")):
            con.execute(statement, {k: v for k, v in values.items() if f"${k}" in statement})
        stored = con.execute("SELECT count(*) FROM activities").fetchone()[0]  # type: ignore[index]
    built = time.perf_counter() - started
    mark = time.perf_counter()
    report = pipeline.draft(settings, ISSUE, as_of=SEND_DATE)
    if not report.created:
        raise SystemExit(f"bench: no draft for {ISSUE}: {report.note}")
    drafted = time.perf_counter() - mark
    login, name, password = LOGIN
    add_user(settings, login, name=name, role="approver", password=password, by="bench")
    print(f"built {stored:,} activities in {built:.1f} s; draft {ISSUE} (as of {SEND_DATE}) "
          f"compiled in {drafted:.1f} s")  # fmt: skip


def _ms(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000, ordered[-1] * 1000


def _timed(client, path: str, requests: int) -> tuple[list[float], int]:
    """Seconds per sequential GET of ``path`` after the warm-up; the body size in bytes."""
    size = 0
    for _ in range(WARMUP):
        reply = client.get(path)
        if reply.status_code != 200:
            raise SystemExit(f"bench: GET {path} answered {reply.status_code}: {reply.text[:300]}")
        size = len(reply.content)
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        reply = client.get(path)
        samples.append(time.perf_counter() - start)
        if reply.status_code != 200:
            raise SystemExit(f"bench: GET {path} answered {reply.status_code}")
    return samples, size


def _calls(label: str, fn: Callable[[], object], rounds: int) -> None:
    fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    p50, p95, top = _ms(samples)
    print(f"  {label:<44} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {top:7.1f} ms")


def library_breakdown(settings, rounds: int) -> None:
    """The functions the two handlers call, in process (no HTTP, no template)."""
    from datetime import UTC, datetime

    from renkei.console.dashboard import read_dashboard, scheduled_runs
    from renkei.delivery.reviewers import list_reviewers
    from renkei.feeds.health import read_health
    from renkei.newsletter.workbench import issue_workbench
    from renkei.status import read_status
    from renkei.submissions.overview import parse_period, read_overview
    from warehouse.connection import open_warehouse
    from warehouse.queries import run_query

    def deliveries() -> object:
        with open_warehouse(settings.warehouse, read_only=True) as con:
            return run_query(con, "console_delivery_problems")

    period = parse_period(None, datetime.now(UTC))
    print(f"library calls behind the pages (in process, no HTTP, {rounds} rounds each)")
    _calls("read_dashboard", lambda: read_dashboard(settings), rounds)
    _calls("  read_status", lambda: read_status(settings), rounds)
    _calls("  read_health", lambda: read_health(settings, datetime.now(UTC)), rounds)
    _calls(f"  read_overview({period})", lambda: read_overview(settings, period), rounds)
    _calls("  console_delivery_problems", deliveries, rounds)
    _calls("scheduled_runs (Prefect API)", scheduled_runs, rounds)
    _calls(f"issue_workbench({ISSUE})", lambda: issue_workbench(settings, ISSUE), rounds)
    _calls("list_reviewers", lambda: list_reviewers(settings), rounds)


def measure(config: Path, requests: int, activities: int, rounds: int) -> None:
    import httpx

    from renkei.console.app import running
    from renkei.core.events import api_url
    from renkei.core.settings import load_settings

    settings = load_settings(config)
    login, _, password = LOGIN
    # (label, path, signed in): the login form is shown only to someone not signed in
    pages = [
        ("baseline", "/login", False),
        ("baseline", "/static/console.css", True),
        ("dashboard", "/", True),
        ("draft", f"/issues/{ISSUE}", True),
    ]
    results = []
    with running(settings, config) as base:
        with (
            httpx.Client(base_url=base, follow_redirects=False, timeout=60) as anonymous,
            httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client,
        ):
            reply = client.post("/login", data={"login": login, "password": password})
            if reply.status_code != 303:
                raise SystemExit(f"bench: sign-in answered {reply.status_code}")
            for label, path, signed_in in pages:
                samples, size = _timed(client if signed_in else anonymous, path, requests)
                results.append((label, path, size, *_ms(samples)))
    prefect = api_url() or "not configured"
    print(f"console pages on {activities:,} activities ({requests} requests each, sequential "
          f"after {WARMUP} warm-up, warehouse free; Prefect API: {prefect})")  # fmt: skip
    for label, path, size, p50, p95, top in results:
        line = (f"{label:<9} GET {path:<20} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
                f"max {top:7.1f} ms  {size / 1024:6.1f} KB")  # fmt: skip
        if label != "baseline":
            verdict = "PASS" if p95 < TARGET_MS else "MISS"
            line += f"  {verdict} (p95 < {TARGET_MS:.0f} ms)"
        print(line)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB (console server and client in this process; "
          f"the build ran in a child)")  # fmt: skip
    if rounds:
        library_breakdown(settings, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--rounds", type=int, default=10, help="in-process rounds per library call (0: none)"
    )
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.build is not None:
        build(args.activities, args.build)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "work"
        subprocess.run(
            [sys.executable, __file__, "--activities", str(args.activities), "--build",
             str(folder)],
            check=True,
        )  # fmt: skip
        measure(folder / "renkei.toml", args.requests, args.activities, args.rounds)


if __name__ == "__main__":
    main()
