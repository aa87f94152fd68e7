"""Hostile text through the real stages (issue 16): feed → normalise → draft → publish.

A member's feed (served from 127.0.0.1) carries a NUL, ``&#0;``, bidi overrides and
isolates, and titles that Excel would run as formulas. The draft compiles, no invisible
character reaches the mail, the archive or the dataset, the Atom feed parses, and the
formula titles are made text in the CSVs for Excel only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from xml.etree import ElementTree as ET

import polars as pl
import pytest
from conftest import renkei_cli
from pytest_httpserver import HTTPServer

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.newsletter.phrasing import KEEP_ALL_STYLE
from warehouse.connection import open_warehouse

# Drafts are made for a send date (issue 17); a fixed one keeps these tests from rotting.
SEND_DATE = date(2026, 11, 25)


HOSTILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
FORMULAS = {
    "hx3": '=HYPERLINK("https://evil.example/","詳細") セミナー',
    "hx4": "+1 産学連携セミナー",
    "hx5": "-x 技術セミナー",
    "hx6": "@x 交流セミナー",
}


def _item(guid: str, title: str, description: str = "") -> str:
    return (
        f'<item><title>{title}</title><guid isPermaLink="false">{guid}</guid>'
        f"<link>https://www.tottori-u.example.jp/news/{guid}.html</link>"
        f"<description>{description}</description>"
        "<pubDate>Thu, 05 Nov 2026 09:00:00 +0900</pubDate></item>"
    )


def hostile_feed() -> bytes:
    event = "開催日：2026年12月5日 13:30～16:00 会場：鳥取大学"
    items = [
        _item("hx1", "産学連携\x00説明会&#0;のご案内", "申込は&amp;#0;こちら。"),
        _item("hx2", "\u202e逆順&#x202E;\u2066隔離\u2069された件名\u200f", "概要\u202c。"),
        *(_item(guid, title.replace("&", "&amp;").replace('"', "&quot;"), event)
          for guid, title in FORMULAS.items()),
    ]  # fmt: skip
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>鳥取大学 お知らせ</title><link>https://www.tottori-u.example.jp/</link>"
        f"<description>お知らせ</description>{''.join(items)}</channel></rss>"
    ).encode()


@pytest.fixture
def hostile(httpserver: HTTPServer, settings_for) -> Settings:
    httpserver.expect_request("/hostile.rss").respond_with_data(
        hostile_feed(), content_type="application/rss+xml"
    )
    url = httpserver.url_for("/hostile.rss")
    settings = settings_for(
        [
            f"aca-01,国立大学法人鳥取大学,academia,学,鳥取県,prefecture,{url},renkei@tottori-u.example.jp"
        ]
    )
    report = pipeline.ingest_feeds(settings)
    assert (report.ok, report.items_staged, report.failed) == (1, 6, [])
    normalised = pipeline.normalize(settings)
    assert (normalised.activities, normalised.quarantined) == (6, 0)
    return settings


def _titles(settings: Settings) -> dict[str, str]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = con.execute("SELECT url, title FROM activities").fetchall()
    return {url.rsplit("/", 1)[1].removesuffix(".html"): title for url, title in rows}


def test_normalise_removes_nul_entity_nul_and_bidi_characters(hostile: Settings) -> None:
    titles = _titles(hostile)
    assert titles["hx1"] == "産学連携説明会のご案内"
    assert titles["hx2"] == "逆順隔離された件名"
    assert {k: titles[k] for k in FORMULAS} == FORMULAS  # the warehouse keeps the exact text


def test_draft_compiles_with_no_invisible_character_in_the_mail(hostile: Settings) -> None:
    drafted = pipeline.draft(hostile, "2026-11", as_of=SEND_DATE)
    assert (drafted.created, drafted.item_count, drafted.skipped) == (True, 6, [])
    with open_warehouse(hostile.warehouse, read_only=True) as con:
        html, text = con.execute(
            "SELECT html, text FROM newsletter_issues WHERE issue_id = '2026-11'"
        ).fetchone()
    # The only U+200B allowed: the renderer's own, between phrases of a keep-all title span
    # (renkei.newsletter.phrasing); the text it wraps had every invisible character removed.
    html = re.sub(
        rf'<span style="{KEEP_ALL_STYLE}">[^<]*</span>',
        lambda m: m.group().replace("\u200b", ""),
        html,
    )
    assert HOSTILE.search(html) is None and HOSTILE.search(text) is None
    assert "産学連携説明会のご案内" in text and "逆順隔離された件名" in text
    assert "産学連携説明会のご案内" in html


def test_cli_draft_succeeds_and_a_bad_period_is_named_as_such(hostile: Settings, workdir) -> None:
    ran = renkei_cli("draft", "--period", "2026-11", "--config", str(workdir / "renkei.toml"))
    assert ran.returncode == 0, ran.stderr
    assert "draft with 6 items" in ran.stdout
    ran = renkei_cli("draft", "--period", "2026-13", "--config", str(workdir / "renkei.toml"))
    assert ran.returncode == 1
    assert "error: --period: period '2026-13' is not YYYY-MM" in ran.stderr


def test_published_files_parse_and_formulas_are_text_only_for_excel(hostile: Settings) -> None:
    pipeline.publish(hostile)
    folder = hostile.publish_dir
    for name in ("activities.csv", "events.csv", "activities.atom", "activities.json",
                 "events.ics", "index.html"):  # fmt: skip
        data = (folder / name).read_bytes().decode("utf-8-sig")
        assert HOSTILE.search(data.replace("\r\n", "").replace("\n", "")) is None, name
    atom = ET.fromstring((folder / "activities.atom").read_bytes())
    entry_titles = [t.text for t in atom.iter("{http://www.w3.org/2005/Atom}title")]
    assert "産学連携説明会のご案内" in entry_titles and "逆順隔離された件名" in entry_titles

    def csv_column(name: str, column: str) -> list[str]:
        text = (folder / name).read_bytes().decode("utf-8-sig")
        return [row[column] for row in csv.DictReader(io.StringIO(text, newline=""))]

    escaped = {"'" + title for title in FORMULAS.values()}
    assert escaped <= set(csv_column("activities.csv", "件名"))
    events = dict(zip(csv_column("events.csv", "イベント名"), csv_column("events.csv", "開始日"),
                      strict=True))  # fmt: skip
    assert {title: events[title] for title in escaped} == dict.fromkeys(escaped, "2026-12-05")
    assert "産学連携説明会のご案内" in csv_column("activities.csv", "件名")
    # numbers of the CSVs are not touched
    assert csv_column("events.csv", "NO") == [str(n) for n in range(1, len(events) + 1)]
    # the files for tools keep the exact text
    records = json.loads((folder / "activities.json").read_text("utf-8"))
    assert set(FORMULAS.values()) <= {r["title"] for r in records}
    parquet = pl.read_parquet(folder / "activities.parquet")
    assert set(FORMULAS.values()) <= set(parquet["title"])


def test_an_item_that_breaks_the_renderer_is_left_out_and_named(
    hostile: Settings, tmp_path
) -> None:
    report = tmp_path / "2026-11-report.csv"
    report.write_text(
        "件名,開催日,会場,概要,区分,問い合わせ先\n"
        "連携フォーラム,2026/12/10,鳥取大学,概要です。,セミナー,https://\n"
        "技術相談会,2026/12/11,鳥取大学,概要です。,セミナー,0857-00-0000\n",
        encoding="utf-8",
    )
    assert pipeline.ingest_submission(hostile, report, "aca-01").rows_staged == 2
    pipeline.normalize(hostile)
    drafted = pipeline.draft(hostile, "2026-11", as_of=SEND_DATE)
    assert (drafted.created, drafted.item_count) == (True, 7)
    assert [(s.title, s.reason.split(";")[0]) for s in drafted.skipped] == [
        ("連携フォーラム", "https:// か mailto: 以外のリンクがあります（http:// のリンクは掲載前に"
         "除外するか https に直してください）。 Links must be https:// or mailto:")
    ]  # fmt: skip
    skipped_id = drafted.skipped[0].activity_id
    assert f"skipped (does not render): {skipped_id} 「連携フォーラム」" in drafted.summary()
    with open_warehouse(hostile.warehouse, read_only=True) as con:
        detail, shown = con.execute(
            "SELECT detail, (SELECT list(activity_id) FROM issue_items WHERE issue_id = '2026-11')"
            " FROM audit_log WHERE action = 'draft' ORDER BY audit_id DESC LIMIT 1"
        ).fetchone()
        text = con.execute("SELECT text FROM newsletter_issues").fetchone()[0]
    assert [s["activity_id"] for s in json.loads(detail)["skipped"]] == [skipped_id]
    assert skipped_id not in shown and len(shown) == 7
    assert "技術相談会" in text and "連携フォーラム" not in text


def test_a_period_whose_only_item_breaks_the_renderer_compiles_no_issue(
    settings_for, tmp_path
) -> None:
    settings = settings_for(["ind-04,岡山県商工会議所連合会,industry,産,岡山県,prefecture,,"])
    report = tmp_path / "2026-11-report.csv"
    report.write_text(
        "件名,開催日,会場,概要,区分,問い合わせ先\n"
        "連携フォーラム,2026/11/20,岡山,概要です。,セミナー,https://\n",
        encoding="utf-8",
    )
    assert pipeline.ingest_submission(settings, report, "ind-04").rows_staged == 1
    pipeline.normalize(settings)
    drafted = pipeline.draft(settings, "2026-11", as_of=date(2026, 11, 1))
    assert (drafted.created, drafted.note) == (
        False,
        "every item failed to render: no issue compiled",
    )
    assert [s.title for s in drafted.skipped] == ["連携フォーラム"]
    with open_warehouse(settings.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM newsletter_issues").fetchone() == (0,)
