"""Incremental ingest: conditional requests, changed items, a killed run, re-parsing
(issue 3, acceptance 2 and 3, and `renkei reparse`)."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Ran, renkei_cli
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.feeds import reparse as feed_reparse
from warehouse.connection import open_warehouse

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
NAMES = {
    "/sjis.rdf": ("tottori_sjis.rdf", "application/rdf+xml"),
    "/bank.rss": ("bank.rss", "application/rss+xml"),
    "/euc.rss": ("okakogi_eucjp.rss", "application/rss+xml"),
    "/base.atom": ("hiroshima_xmlbase.atom", "application/atom+xml"),
}
ITEMS = 2 + 1 + 2 + 2


class FeedSite:
    """Serves the fixture feeds with ETag validators; answers 304 when they match."""

    def __init__(self) -> None:
        self.bodies = {path: (FEEDS / name).read_bytes() for path, (name, _) in NAMES.items()}
        self.hold: set[str] = set()  # paths that wait for ``release`` before answering
        self.release = threading.Event()
        self.holding = threading.Event()  # set once a held request is waiting here

    def etag(self, path: str) -> str:
        return '"' + hashlib.sha256(self.bodies[path]).hexdigest()[:16] + '"'

    def __call__(self, request: Request) -> Response:
        if request.path in self.hold:
            self.holding.set()
            self.release.wait(20)
        etag = self.etag(request.path)
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(
            self.bodies[request.path], content_type=NAMES[request.path][1], headers={"ETag": etag}
        )


def registry_rows(server: HTTPServer) -> list[str]:
    return [
        f"m{i},テスト会員{i},academia,学,鳥取県,prefecture,{server.url_for(path)},"
        for i, path in enumerate(NAMES, 1)
    ]


def query(settings: Settings, sql: str) -> list[tuple]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def site(httpserver: HTTPServer) -> FeedSite:
    feeds = FeedSite()
    for path in NAMES:
        httpserver.expect_request(path).respond_with_handler(feeds)
    return feeds


def test_unchanged_feeds_send_validators_and_add_no_activity(
    httpserver: HTTPServer, site: FeedSite, settings_for
) -> None:
    settings = settings_for(registry_rows(httpserver))
    first = pipeline.ingest_feeds(settings)
    assert (first.ok, first.parsed, first.items_staged) == (4, 4, ITEMS)
    assert pipeline.normalize(settings).activities == ITEMS
    httpserver.clear_log()

    again = pipeline.ingest_feeds(settings)
    assert again.summary() == (
        "4 feeds, 4 fetched, 0 failed, 0 new staged items (0 parsed, 4 not modified, 0 unchanged)"
    )
    assert pipeline.normalize(settings).activities == ITEMS
    sent = {r.path: r.headers.get("If-None-Match") for r, _ in httpserver.log}
    assert sent == {path: site.etag(path) for path in NAMES}
    assert query(settings, "SELECT count(*) FROM fetch_log WHERE outcome = 'not_modified'") == [
        (4,)
    ]


def test_same_bytes_without_validators_are_not_parsed_again(
    httpserver: HTTPServer, settings_for
) -> None:
    httpserver.expect_request("/plain.rss").respond_with_data(
        (FEEDS / "bank.rss").read_bytes(), content_type="application/rss+xml"
    )
    settings = settings_for(
        [f"m1,会員,academia,学,鳥取県,prefecture,{httpserver.url_for('/plain.rss')},"]
    )
    pipeline.ingest_feeds(settings)
    again = pipeline.ingest_feeds(settings)
    assert (again.ok, again.parsed, again.unchanged, again.items_staged) == (1, 0, 1, 0)
    assert query(settings, "SELECT outcome FROM fetch_log ORDER BY fetch_id") == [
        ("fetched",),
        ("unchanged",),
    ]


def test_a_changed_title_updates_that_one_activity(
    httpserver: HTTPServer, site: FeedSite, settings_for
) -> None:
    settings = settings_for(registry_rows(httpserver))
    pipeline.ingest_feeds(settings)
    pipeline.normalize(settings)
    before = dict(query(settings, "SELECT activity_id, first_seen_at FROM activities"))
    site.bodies["/bank.rss"] = site.bodies["/bank.rss"].replace(
        "ビジネスフェア2026 出展者募集".encode(),
        "ビジネスフェア2026 出展者募集（締切延長）".encode(),
    )
    report = pipeline.ingest_feeds(settings)
    assert (report.parsed, report.not_modified, report.items_staged) == (1, 3, 1)
    assert pipeline.normalize(settings).activities == ITEMS
    after = query(
        settings, "SELECT activity_id, first_seen_at, title FROM activities WHERE member_id = 'm2'"
    )
    ((activity_id, first_seen, title),) = after
    assert title == "ビジネスフェア2026 出展者募集（締切延長）"
    assert before[activity_id] == first_seen  # updated in place, first seen kept


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def threaded_site(workdir: Path) -> Iterator[tuple[HTTPServer, FeedSite]]:
    server = HTTPServer(host="127.0.0.1", port=free_port(), threaded=True)
    feeds = FeedSite()
    for path in NAMES:
        server.expect_request(path).respond_with_handler(feeds)
    server.start()
    yield server, feeds
    feeds.release.set()
    server.clear()
    server.stop()


def test_a_killed_ingest_loses_nothing_and_duplicates_nothing(
    threaded_site: tuple[HTTPServer, FeedSite], settings_for, workdir: Path
) -> None:
    server, site = threaded_site
    settings = settings_for(registry_rows(server))
    pipeline.sync_registry(settings)
    site.hold = {"/base.atom"}  # one member's site hangs: the run is killed while it waits
    run = subprocess.Popen(
        [sys.executable, "-m", "renkei", "ingest-feeds", "--config", str(workdir / "renkei.toml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # killed once the run is really waiting on the held site, the other three answered
    assert site.holding.wait(30), "the held feed was never requested"
    deadline = time.monotonic() + 30
    while len(server.log) < 3 and time.monotonic() < deadline:
        assert run.poll() is None, "the ingest ended before it was killed"
        time.sleep(0.05)
    assert len(server.log) == 3, server.log
    os.kill(run.pid, signal.SIGKILL)
    assert run.wait(10) == -signal.SIGKILL
    site.hold, _ = set(), site.release.set()

    again = pipeline.ingest_feeds(settings)
    assert again.failed == []
    pipeline.normalize(settings)
    assert query(settings, "SELECT count(*), count(DISTINCT stage_id) FROM stg_items") == [
        (ITEMS, ITEMS)
    ]
    assert query(settings, "SELECT count(*) FROM activities") == [(ITEMS,)]
    assert pipeline.ingest_feeds(settings).items_staged == 0


def test_reparse_restages_stored_bodies_since_a_date(
    httpserver: HTTPServer, site: FeedSite, settings_for
) -> None:
    settings = settings_for(registry_rows(httpserver))
    pipeline.ingest_feeds(settings)
    with open_warehouse(settings.warehouse) as con:  # as if a parser bug had lost the rows
        con.execute("DELETE FROM stg_items WHERE member_id IN ('m1', 'm3')")
    report = feed_reparse.reparse(settings, datetime(2000, 1, 1).astimezone())
    assert report.summary() == "4 stored feed bodies re-parsed, 7 rows staged, 0 unreadable"
    assert query(settings, "SELECT count(*), count(DISTINCT stage_id) FROM stg_items") == [
        (ITEMS, ITEMS)
    ]
    later = feed_reparse.reparse(settings, datetime(2999, 1, 1).astimezone())
    assert (later.payloads, later.rows) == (0, 0)


def test_reparse_command_reports_and_rejects_a_bad_date(
    httpserver: HTTPServer, site: FeedSite, settings_for, workdir: Path
) -> None:
    settings = settings_for(registry_rows(httpserver))
    pipeline.ingest_feeds(settings)
    config = str(workdir / "renkei.toml")

    def renkei(*args: str) -> Ran:
        return renkei_cli(*args, "--config", config)

    done = renkei("reparse", "--since", "2000-01-01")
    assert (done.returncode, done.stdout) == (
        0,
        "4 stored feed bodies re-parsed, 7 rows staged, 0 unreadable\n",
    )
    bad = renkei("reparse", "--since", "先週")
    assert bad.returncode != 0
    assert bad.stderr.strip() == "error: --since 先週: not a date (use YYYY-MM-DD)"
