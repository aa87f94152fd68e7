"""Feed health and scheduling against a real HTTP server on 127.0.0.1: backoff after
repeated failures, Retry-After, Cache-Control max-age, 410 Gone, a run in which our own
network is down, raw copies of HTML pages, and the `renkei feeds` table (issue 3)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner
from werkzeug import Request, Response

from renkei import pipeline
from renkei.cli import app
from renkei.core.rawstore import sha256_hex
from renkei.core.settings import Settings
from renkei.feeds import health as feed_health
from renkei.feeds import reparse as feed_reparse
from renkei.feeds.schedule import GONE, backoff, max_age, retry_after
from warehouse.connection import open_warehouse

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
BANK = (FEEDS / "bank.rss").read_bytes()
HOUR = timedelta(hours=1)


class Site:
    """Answers each path as told: (status, headers, body); changeable between runs."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def __call__(self, request: Request) -> Response:
        status, headers, body = self.answers[request.path]
        return Response(body, status=status, headers=headers, content_type="application/rss+xml")


@pytest.fixture
def site(httpserver: HTTPServer) -> Site:
    answers = Site()
    httpserver.expect_request("/", method="GET").respond_with_handler(answers)
    for n in range(1, 6):
        httpserver.expect_request(f"/m{n}.rss").respond_with_handler(answers)
    return answers


def member(n: int, url: str) -> str:
    return f"m{n},テスト会員{n},academia,学,鳥取県,prefecture,{url},"


def query(settings: Settings, sql: str) -> list[tuple]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute(sql).fetchall()


def delay(settings: Settings, member_id: str) -> timedelta | None:
    ((due, attempt),) = query(
        settings,
        f"SELECT next_due_at, last_attempt_at FROM feed_state WHERE member_id = '{member_id}'",
    )
    return None if due is None else due - attempt


def make_due(settings: Settings) -> None:
    """As if the waiting time had passed."""
    with open_warehouse(settings.warehouse) as con:
        con.execute("UPDATE feed_state SET next_due_at = now() - INTERVAL 1 SECOND")


def requested(server: HTTPServer) -> list[str]:
    paths = [r.path for r, _ in server.log]
    server.clear_log()
    return paths


# ---------------------------------------------------------------- schedule rules


def test_backoff_doubles_from_one_hour_to_a_day_less_up_to_ten_percent() -> None:
    none, most = (lambda a, b: a), (lambda a, b: b)
    assert [backoff(n, none) for n in range(1, 11)] == [
        timedelta(0),
        timedelta(0),
        HOUR,
        2 * HOUR,
        4 * HOUR,
        8 * HOUR,
        16 * HOUR,
        24 * HOUR,
        24 * HOUR,
        24 * HOUR,
    ]
    assert backoff(3, most) == timedelta(minutes=54)
    assert backoff(12, most) == timedelta(hours=21, minutes=36)


def test_retry_after_and_max_age_are_read_as_delays() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert retry_after("120", now) == timedelta(seconds=120)
    assert retry_after("Mon, 23 Nov 2026 09:05:00 GMT", now) == timedelta(minutes=5)
    assert retry_after("9999999", now) == timedelta(days=1)
    assert (retry_after("soon", now), retry_after(None, now)) == (None, None)
    assert max_age("public, max-age=600") == timedelta(seconds=600)
    assert (max_age("no-cache, max-age=600"), max_age("max-age=0"), max_age(None)) == (
        None,
        None,
        None,
    )


# ---------------------------------------------------------------- through the pipeline


def test_429_with_retry_after_is_not_fetched_again_before_then(
    httpserver: HTTPServer, site: Site, settings_for
) -> None:
    site.answers["/m1.rss"] = (429, {"Retry-After": "120"}, b"")
    site.answers["/m2.rss"] = (200, {}, BANK)
    settings = settings_for(
        [member(1, httpserver.url_for("/m1.rss")), member(2, httpserver.url_for("/m2.rss"))]
    )
    pipeline.ingest_feeds(settings)
    assert delay(settings, "m1") == timedelta(seconds=120)
    assert query(
        settings, "SELECT consecutive_failures FROM feed_state WHERE member_id = 'm1'"
    ) == [(1,)]
    requested(httpserver)

    waiting = pipeline.ingest_feeds(settings)
    assert requested(httpserver) == ["/m2.rss"]
    assert waiting.summary().endswith("; 1 not due")
    pipeline.ingest_feeds(settings, force=True)  # `renkei ingest-feeds --all`
    assert sorted(requested(httpserver)) == ["/m1.rss", "/m2.rss"]


def test_cache_control_max_age_schedules_the_next_fetch(
    httpserver: HTTPServer, site: Site, settings_for
) -> None:
    site.answers["/m1.rss"] = (200, {"Cache-Control": "public, max-age=600"}, BANK)
    settings = settings_for([member(1, httpserver.url_for("/m1.rss"))])
    pipeline.ingest_feeds(settings)
    assert delay(settings, "m1") == timedelta(seconds=600)
    requested(httpserver)
    again = pipeline.ingest_feeds(settings)
    assert (requested(httpserver), again.details()) == ([], [])
    assert again.not_due[0].startswith("m1: not due until ")
    assert again.not_due[0].endswith(" JST (the server's Cache-Control / Retry-After)")


def test_three_failures_back_off_one_hour_then_two_and_a_success_resets(
    httpserver: HTTPServer, site: Site, settings_for
) -> None:
    site.answers["/m1.rss"] = (500, {}, b"oops")
    site.answers["/m2.rss"] = (200, {}, BANK)
    settings = settings_for(
        [member(1, httpserver.url_for("/m1.rss")), member(2, httpserver.url_for("/m2.rss"))]
    )
    for _ in range(2):
        pipeline.ingest_feeds(settings)
        assert delay(settings, "m1") is None  # the first two failures: next run as usual
    pipeline.ingest_feeds(settings)
    assert HOUR * 0.9 <= delay(settings, "m1") <= HOUR
    requested(httpserver)

    waiting = pipeline.ingest_feeds(settings)
    assert requested(httpserver) == ["/m2.rss"]  # a dead site is not hammered …
    (line,) = waiting.details()  # … but never dropped silently
    assert line.startswith("waiting: m1: not due until ")
    assert line.endswith(" JST (3 failures in a row; last: HTTP 500)")

    make_due(settings)
    pipeline.ingest_feeds(settings)
    assert 2 * HOUR * 0.9 <= delay(settings, "m1") <= 2 * HOUR
    site.answers["/m1.rss"] = (200, {}, BANK)
    make_due(settings)
    pipeline.ingest_feeds(settings)
    assert query(
        settings,
        "SELECT consecutive_failures, next_due_at, last_error FROM feed_state"
        " WHERE member_id = 'm1'",
    ) == [(0, None, None)]


def test_410_gone_disables_the_feed_and_reports_it(
    httpserver: HTTPServer, site: Site, settings_for
) -> None:
    url = httpserver.url_for("/m1.rss")
    site.answers["/m1.rss"] = (410, {}, b"")
    site.answers["/m2.rss"] = (200, {}, BANK)
    settings = settings_for([member(1, url), member(2, httpserver.url_for("/m2.rss"))])
    report = pipeline.ingest_feeds(settings)
    assert report.disabled == [f"m1: {url}: {GONE}"]
    assert report.summary().endswith("; 1 disabled now (410 Gone)")
    assert query(settings, "SELECT disabled_reason FROM feed_state WHERE member_id = 'm1'") == [
        (GONE,)
    ]
    requested(httpserver)
    later = pipeline.ingest_feeds(settings, force=True)  # not even with --all
    assert requested(httpserver) == ["/m2.rss"]
    assert later.details() == [f"still disabled: m1: {GONE}"]
    health = feed_health.read_health(settings)
    assert health.filter(member_id="m1")["status"].to_list() == ["disabled"]

    moved = settings_for(
        [member(1, httpserver.url_for("/m3.rss")), member(2, httpserver.url_for("/m2.rss"))]
    )
    site.answers["/m3.rss"] = (200, {}, BANK)
    pipeline.ingest_feeds(moved)  # a new URL in the registry starts afresh
    assert "/m3.rss" in requested(httpserver)
    assert query(moved, "SELECT disabled_at FROM feed_state WHERE member_id = 'm1'") == [(None,)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_run_in_which_no_feed_answers_counts_against_none(settings_for) -> None:
    server = HTTPServer(host="127.0.0.1", port=free_port())
    server.expect_request("/m1.rss").respond_with_data(BANK)
    server.expect_request("/m2.rss").respond_with_data(BANK)
    server.start()
    settings = settings_for(
        [member(1, server.url_for("/m1.rss")), member(2, server.url_for("/m2.rss"))]
    )
    pipeline.ingest_feeds(settings)
    server.clear()
    server.stop()  # our own network is down now

    down = pipeline.ingest_feeds(settings)
    assert down.all_unreachable is True
    failures = "SELECT member_id, consecutive_failures, next_due_at FROM feed_state ORDER BY 1"
    assert query(settings, failures) == [("m1", 0, None), ("m2", 0, None)]
    assert [s for s in feed_health.read_health(settings)["status"]] == ["failing", "failing"]

    with open_warehouse(settings.warehouse) as con:  # both were failing already
        con.execute("UPDATE feed_state SET consecutive_failures = 2")
    again = pipeline.ingest_feeds(settings)
    assert again.all_unreachable is False  # dead feeds alone being due still count
    assert [row[1] for row in query(settings, failures)] == [3, 3]


def test_every_html_page_fetched_goes_to_the_raw_store(
    httpserver: HTTPServer, settings_for
) -> None:
    home = (FEEDS / "homepage_with_feed.html").read_bytes()
    plain = (FEEDS / "homepage_without_feed.html").read_bytes()
    httpserver.expect_request("/").respond_with_data(home, content_type="text/html")
    httpserver.expect_request("/plain").respond_with_data(plain, content_type="text/html")
    httpserver.expect_request("/feeds/news.rss").respond_with_data(
        BANK, content_type="application/rss+xml"
    )
    settings = settings_for(
        [member(1, httpserver.url_for("/")), member(2, httpserver.url_for("/plain"))]
    )
    report = pipeline.ingest_feeds(settings)
    assert report.pages == 2
    assert query(
        settings, "SELECT source_kind, source_ref, sha256 FROM raw_payloads ORDER BY source_ref"
    ) == [
        ("feed_page", httpserver.url_for("/"), sha256_hex(home)),
        ("feed", httpserver.url_for("/feeds/news.rss"), sha256_hex(BANK)),
        ("feed_page", httpserver.url_for("/plain"), sha256_hex(plain)),
    ]
    for body in (home, plain):
        stored = settings.raw_store / sha256_hex(body)[:2]
        assert any(p.read_bytes() == body for p in stored.rglob("*") if p.is_file())
    assert query(settings, "SELECT sha256 FROM fetch_log WHERE member_id = 'm2'") == [
        (sha256_hex(plain),)
    ]
    again = feed_reparse.reparse(settings, datetime(2000, 1, 1, tzinfo=UTC))
    assert again.summary() == "1 stored feed bodies re-parsed, 1 rows staged, 0 unreadable"


def test_feeds_command_lists_health_worst_first_with_member_names(
    httpserver: HTTPServer, site: Site, settings_for, workdir: Path
) -> None:
    site.answers["/m1.rss"] = (200, {}, BANK)
    site.answers["/m2.rss"] = (200, {}, (FEEDS / "old_news.rss").read_bytes())
    site.answers["/m3.rss"] = (500, {}, b"")
    site.answers["/m4.rss"] = (410, {}, b"")
    rows = [member(n, httpserver.url_for(f"/m{n}.rss")) for n in range(1, 5)]
    settings = settings_for(rows)
    pipeline.ingest_feeds(settings)
    pipeline.normalize(settings)
    settings = settings_for([*rows, member(5, httpserver.url_for("/m5.rss"))])
    pipeline.sync_registry(settings)  # listed, not fetched yet

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    health = feed_health.sort_health(feed_health.read_health(settings, now))
    assert health.select("member_id", "status", "items_30d", "items_90d").rows() == [
        ("m3", "failing", 0, 0),
        ("m4", "disabled", 0, 0),
        ("m5", "never-fetched", 0, 0),
        ("m2", "stale", 0, 0),
        ("m1", "ok", 1, 1),
    ]
    assert feed_health.counts_line(health) == (
        "フィード 5 件: failing 1, disabled 1, never-fetched 1, stale 1, ok 1"
    )

    config = str(workdir / "renkei.toml")
    shown = CliRunner().invoke(app, ["feeds", "--config", config])
    assert shown.exit_code == 0, shown.output
    header, *lines, total, legend = shown.output.splitlines()
    assert legend.startswith("状態: failing＝直近の取得に失敗")
    assert header.split() == [
        "状態",
        "会員ID",
        "機関名",
        "最終成功",
        "最終試行",
        "連続失敗",
        "30日の件数",
        "90日の件数",
        "次回",
        "直近のエラー",
    ]
    assert [line.split()[:3] for line in lines[:3]] == [
        ["failing", "m3", "テスト会員3"],
        ["disabled", "m4", "テスト会員4"],
        ["never-fetched", "m5", "テスト会員5"],
    ]
    assert lines[0].endswith("HTTP 500") and lines[1].endswith(GONE)
    assert total.startswith("フィード 5 件: failing 1, disabled 1, never-fetched 1, ")
    by_member = CliRunner().invoke(app, ["feeds", "--sort", "member", "--config", config])
    assert [line.split()[1] for line in by_member.output.splitlines()[1:-2]] == [
        "m1",
        "m2",
        "m3",
        "m4",
        "m5",
    ]
