"""The stages on a real DuckDB file, with feeds from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from renkei import pipeline
from renkei.core.errors import ApprovalError, SubmissionError
from renkei.core.settings import Settings
from warehouse.connection import open_warehouse

# Drafts are made for a send date (issue 17); a fixed one keeps these tests from rotting.
SEND_DATE = date(2026, 11, 25)


FEEDS = Path(__file__).parent / "fixtures" / "feeds"
EXAMPLES = Path(__file__).parents[1] / "examples"


def scalar(settings: Settings, query: str) -> object:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute(query).fetchall()[0][0]


@pytest.fixture
def loaded(httpserver: HTTPServer, settings_for) -> Settings:
    for name, ctype in (
        ("tottori_sjis.rdf", "application/rdf+xml"),
        ("bank.rss", "application/rss+xml"),
    ):
        httpserver.expect_request(f"/{name}").respond_with_data(
            (FEEDS / name).read_bytes(), content_type=ctype
        )
    settings = settings_for(
        [
            f"aca-01,国立大学法人鳥取大学,academia,学,鳥取県,prefecture,{httpserver.url_for('/tottori_sjis.rdf')},renkei@tottori-u.example.jp",
            f"fin-03,広島銀行,finance,金,広島県,region,{httpserver.url_for('/bank.rss')},chiiki@hirogin.example.jp;Chiiki@HIROGIN.example.jp",
            "ind-04,岡山県商工会議所連合会,industry,産,岡山県,prefecture,,",
        ]
    )
    report = pipeline.ingest_feeds(settings)
    assert (report.ok, report.items_staged, report.failed) == (2, 3, [])
    return settings


def test_raw_bytes_are_kept_by_hash_before_parsing(loaded: Settings) -> None:
    stored = sorted(p.name for p in loaded.raw_store.rglob("*") if p.is_file())
    assert len(stored) == 2
    for name in stored:
        assert (loaded.raw_store / name[:2] / name).read_bytes()
    assert scalar(loaded, "SELECT count(*) FROM fetch_log WHERE sha256 IS NOT NULL") == 2


def test_normalize_twice_adds_nothing(loaded: Settings) -> None:
    first = pipeline.normalize(loaded)
    pipeline.ingest_feeds(loaded)  # same bytes again
    second = pipeline.normalize(loaded)
    assert first.activities == second.activities == 3
    assert scalar(loaded, "SELECT count(*) FROM stg_items") == 3


def test_zoneless_feed_dates_are_read_as_japan_time(loaded: Settings) -> None:
    pipeline.normalize(loaded)
    value = scalar(
        loaded,
        "SELECT strftime(published_at AT TIME ZONE 'Asia/Tokyo', '%Y-%m-%d %H:%M') "
        "FROM activities WHERE title LIKE '産学連携セミナー%'",
    )
    assert value == "2026-11-10 10:00"


def test_cp932_submission_with_era_dates_quarantines_only_bad_rows(loaded: Settings) -> None:
    receipt = pipeline.ingest_submission(
        loaded, EXAMPLES / "inbox" / "ind-04" / "2026-11-report.csv", "ind-04"
    )
    # issue 4: rows are judged at intake; only the good ones are staged
    assert (receipt.encoding, receipt.rows_read, receipt.rows_staged) == ("cp932", 6, 4)
    report = pipeline.normalize(loaded)
    assert (report.activities, report.quarantined) == (3 + 4, 0)
    with open_warehouse(loaded.warehouse, read_only=True) as con:
        reasons = con.execute(
            "SELECT position, reason FROM quarantine WHERE stage = 'submission' ORDER BY position"
        ).fetchall()
    assert reasons[0][0] == 4 and reasons[0][1].startswith(
        "開催日「令和8年13月5日」を日付として読めません"
    )
    assert reasons[1] == (5, "件名が空です")


def test_unreadable_submission_is_rejected_but_kept(loaded: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x81\x00\xff\xfe\x80\x80\xa0")
    with pytest.raises(SubmissionError, match=r"broken\.csv: 文字コードを判別できません"):
        pipeline.ingest_submission(loaded, bad, "ind-04")
    assert scalar(loaded, "SELECT count(*) FROM raw_payloads WHERE source_ref = 'broken.csv'") == 1
    assert scalar(loaded, "SELECT count(*) FROM quarantine WHERE stage = 'submission'") == 1


def test_submission_from_unknown_member_is_refused(loaded: Settings) -> None:
    with pytest.raises(SubmissionError, match="--member nobody: not in the registry"):
        pipeline.ingest_submission(
            loaded, EXAMPLES / "inbox" / "ind-04" / "2026-11-report.csv", "nobody"
        )


def test_draft_approve_send_once_per_address(loaded: Settings) -> None:
    pipeline.normalize(loaded)
    drafted = pipeline.draft(loaded, "2026-11", as_of=date(2026, 11, 25))
    assert drafted.created and drafted.item_count == 3
    with pytest.raises(ApprovalError, match="not approved"):
        pipeline.send(loaded, "2026-11")
    with pytest.raises(ApprovalError, match="the draft changed since you saw it"):
        pipeline.approve(loaded, "2026-11", by="山田", content_sha256="0000")
    pipeline.approve(loaded, "2026-11", by="山田", content_sha256=drafted.content_sha256[:12])

    first = pipeline.send(loaded, "2026-11")
    # the bank listed one address twice (case differs only in the domain): one copy
    assert (first.sent, first.failed) == (2, [])
    again = pipeline.send(loaded, "2026-11")
    assert again.already_sent and again.sent == 0
    files = sorted((loaded.mail.outbox / "2026-11").glob("*.eml"))
    assert [f.name for f in files] == [
        "chiiki@hirogin.example.jp.eml",
        "renkei@tottori-u.example.jp.eml",
    ]

    msg = message_from_bytes(files[1].read_bytes(), policy=policy.default)
    assert msg["Subject"] == "中国地域産学官連携通信 第1号（2026年11月）"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "国立大学法人鳥取大学 ご担当者様" in text
    assert "%%" not in html and "%%" not in text
    assert "https://example.jp/collabo/unsubscribe?t=" in html
    assert (
        pipeline.draft(loaded, "2026-11", as_of=SEND_DATE).note
        == "already sent; the draft is not recompiled"
    )


def test_empty_period_produces_no_issue(loaded: Settings) -> None:
    pipeline.normalize(loaded)
    report = pipeline.draft(loaded, "2030-01")
    assert not report.created
    assert "新着なし" in (report.note or "")


def test_published_dataset_opens_in_excel_and_round_trips(loaded: Settings) -> None:
    import json

    import polars as pl

    pipeline.normalize(loaded)
    csv_path, parquet_path, json_path = pipeline.publish(loaded)[:3]
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("活動ID,機関ID,機関名")
    assert pl.read_parquet(parquet_path).height == 3
    records = json.loads(json_path.read_text("utf-8"))
    assert len(records) == 3 and records[0]["published_at"].endswith("+09:00")
