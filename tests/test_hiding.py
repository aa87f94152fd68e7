"""`renkei hide` / `unhide` / `hidden` on a real DuckDB file and real releases (acceptance 4)."""

from __future__ import annotations

import html as html_lib
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import polars as pl
import pytest
from conftest import renkei_cli
from dataset_support import NOW, load_dataset_warehouse
from frictionless import validate

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.dataset import publish_release
from renkei.dataset.archive import WITHHELD_NOTICE, withhold_hidden
from renkei.newsletter.model import Issue, Issuer, Item, Organiser, Section
from renkei.newsletter.render import render_issue
from renkei.scaffold import init_folder
from warehouse.connection import open_warehouse
from warehouse.queries import sql

# Drafts are made for a send date (issue 17); a fixed one keeps these tests from rotting.
SEND_DATE = date(2026, 11, 25)


JST = ZoneInfo("Asia/Tokyo")
HIDDEN = "act-ev-01"  # 産学連携セミナー①「地域と大学」: an upcoming, co-hosted event
HIDDEN_TITLE = "産学連携セミナー①「地域と大学」"
OTHER_TITLE = "しまね技術交流フェア"
TOTTORI = Organiser("aca-01", "国立大学法人鳥取大学", "academia", "鳥取県")
SHIMANE = Organiser("gov-02", "島根県", "government", "島根県")


def _text(html: str) -> str:
    """The page's visible text (BudouX may put spans and zero-width spaces in titles)."""
    return html_lib.unescape(re.sub(r"<[^>]*>", "", html)).replace("\u200b", "")


def _sent_html() -> str:
    """A real compiled bulletin carrying the hidden event and one other event."""
    seminar = Item(
        activity_id=HIDDEN, title=HIDDEN_TITLE, summary="大学と企業の連携事例を紹介します。",
        url="https://www.tottori-u.example.jp/news/1.html", category="event",
        organisers=(TOTTORI,), starts_at=datetime(2030, 12, 5, 13, 30, tzinfo=JST),
        all_day=False, venue="鳥取大学 髙島ホール",
    )  # fmt: skip
    fair = Item(
        activity_id="act-ev-02", title=OTHER_TITLE, summary="県内企業の技術展示会。",
        url="https://www.pref.shimane.example.jp/fair.html", category="event",
        organisers=(SHIMANE,), starts_at=datetime(2031, 1, 20, tzinfo=JST), venue="くにびきメッセ",
    )  # fmt: skip
    issue = Issue(
        issue_id="2026-11", number=1, period_start=NOW.date().replace(day=1),
        period_end=NOW.date(), title="産学官連携通信", subject="産学官連携通信 第1号",
        preheader="イベント2件",
        issuer=Issuer("センター", "〒730-0041 広島市", "info@example.jp",
                      "https://www.example.jp/", "https://www.example.jp/unsubscribe"),
        sections=(Section("events", "開催予定のイベント", (seminar, fair)),),
    )  # fmt: skip
    return render_issue(issue).html


def _warehouse(workdir: Path) -> Settings:
    init_folder(workdir)
    settings = load_dataset_warehouse(workdir, sent_issue=None)
    with open_warehouse(settings.warehouse) as con:
        con.execute(
            "INSERT INTO newsletter_issues (issue_id, number, period_start, period_end, "
            "status, subject, html, text, content_sha256, item_count, created_at, "
            "updated_at, sent_at) VALUES ('2026-11', 1, DATE '2026-11-01', DATE '2026-11-30', "
            "'sent', '第1号', $html, 'x', 'sha', 2, $t, $t, $t)",
            {"t": NOW, "html": _sent_html()},
        )
        con.execute(
            "INSERT INTO issue_items VALUES ('2026-11', 'act-ev-01', 'events'), "
            "('2026-11', 'act-ev-02', 'events')"
        )
    return settings


def _files(settings: Settings) -> dict[str, bytes]:
    folder = settings.publish_dir
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}  # fmt: skip


def _ids_in_release(settings: Settings, folder: Path | None = None) -> dict[str, bool]:
    """Does each file of a release carry the hidden activity?"""
    folder = folder or settings.publish_dir
    found = {
        "activities.csv": HIDDEN in pl.read_csv(folder / "activities.csv")["活動ID"].to_list(),
        "activities.parquet": HIDDEN
        in pl.read_parquet(folder / "activities.parquet")["activity_id"].to_list(),
        "activities.json": HIDDEN
        in [r["activity_id"] for r in json.loads((folder / "activities.json").read_text())],
        "events.csv": HIDDEN
        in pl.read_csv(folder / "events.csv", infer_schema=False)["活動ID"].to_list(),
    }
    if folder != settings.publish_dir:
        return found
    cal = icalendar.Calendar.from_ical((folder / "events.ics").read_bytes())
    atom = feedparser.parse((folder / "activities.atom").read_bytes())
    counts = pl.read_csv(folder / "stats_counts.csv")
    sectors = dict(zip(*counts.filter(pl.col("集計軸") == "区分")[["値", "件数"]], strict=True))
    collab = pl.read_csv(folder / "stats_collaboration.csv")
    page = (folder / "issues" / "2026-11.html").read_text("utf-8")
    return found | {
        "events.ics": f"{HIDDEN}@example.jp" in [str(e["uid"]) for e in cal.walk("VEVENT")],
        "activities.atom": any(e.id.endswith(f":activity:{HIDDEN}") for e in atom.entries),
        "stats_counts.csv": sectors["学"] == 2,  # act-ev-01 and act-news-01 (aca-01)
        "stats_collaboration.csv": "2030-12" in collab["月"].to_list(),
        "issues/2026-11.html": HIDDEN_TITLE in _text(page),
    }


def _audit(settings: Settings) -> list[tuple]:
    with open_warehouse(settings.warehouse) as con:
        return con.sql(
            "SELECT actor, action, subject, detail FROM audit_log "
            "WHERE action IN ('hide', 'unhide') ORDER BY audit_id"
        ).fetchall()


def test_a_hidden_activity_leaves_every_file_of_the_next_release_and_comes_back(
    tmp_path: Path,
) -> None:
    settings = _warehouse(tmp_path / "work")
    publish_release(settings, NOW)
    assert set(_ids_in_release(settings).values()) == {True}
    snapshot = settings.publish_dir / "releases" / "2026-11_2026-11-30"
    assert set(_ids_in_release(settings, snapshot).values()) == {True}

    hid = renkei_cli("hide", HIDDEN, "--by", "山田", "--reason", "記入例の行",
                     "--config", str(settings.source))  # fmt: skip
    assert hid.returncode == 0, hid.stderr
    assert hid.stdout == (
        f"{HIDDEN} {HIDDEN_TITLE}: hidden by 山田 (記入例の行); gone from the next publish\n"
    )
    publish_release(settings, NOW + timedelta(days=1))
    assert _ids_in_release(settings) == dict.fromkeys(_ids_in_release(settings), False)
    # the frozen snapshot of issue 2026-11 was rewritten without it, other rows kept
    assert set(_ids_in_release(settings, snapshot).values()) == {False}
    assert pl.read_parquet(snapshot / "activities.parquet")["activity_id"].sort().to_list() == [
        "act-call-01", "act-ev-02", "act-ev-03", "act-news-01",
    ]  # fmt: skip
    report = validate(snapshot / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    page = (settings.publish_dir / "issues" / "2026-11.html").read_text("utf-8")
    assert page.count(WITHHELD_NOTICE) == 1 and OTHER_TITLE in _text(page)
    assert "鳥取大学 髙島ホール" not in _text(page) and "tottori-u.example.jp/news/1" not in page
    counts = pl.read_csv(settings.publish_dir / "stats_counts.csv")
    assert counts.filter(pl.col("集計軸") == "区分")["件数"].to_list() == [1, 2, 1]  # 学 金 官

    listed = renkei_cli("hidden", "--config", str(settings.source))
    assert listed.stdout.split("\t")[:2] == [HIDDEN, f"{HIDDEN_TITLE}（国立大学法人鳥取大学）"]
    assert listed.stdout.rstrip("\n").split("\t")[3:] == ["山田", "記入例の行"]

    shown = renkei_cli("unhide", HIDDEN, "--by", "佐藤", "--config", str(settings.source))
    assert shown.stdout == f"{HIDDEN}: shown again by 佐藤 (hidden by 山田: 記入例の行)\n"
    publish_release(settings, NOW + timedelta(days=2))
    assert set(_ids_in_release(settings).values()) == {True}
    assert renkei_cli("hidden", "--config", str(settings.source)).stdout == (
        "no hidden activities\n"
    )
    audit = _audit(settings)
    assert [(a[0], a[1], a[2]) for a in audit] == [
        ("山田", "hide", HIDDEN),
        ("佐藤", "unhide", HIDDEN),
    ]
    assert json.loads(audit[0][3]) == {"reason": "記入例の行", "title": HIDDEN_TITLE}
    assert json.loads(audit[1][3])["reason"] == "記入例の行"


def test_the_hidden_record_survives_a_rebuild(tmp_path: Path) -> None:
    settings = _warehouse(tmp_path / "work")
    pipeline.hide(settings, HIDDEN, by="山田", reason="誤り", now=NOW)
    assert "activity_hidden" not in sql("clear_normalized")
    pipeline.rebuild(settings)
    [row] = pipeline.hidden_activities(settings)
    assert (row.activity_id, row.hidden_by, row.hidden_at, row.reason) == (
        HIDDEN,
        "山田",
        NOW,
        "誤り",
    )
    assert row.title is None  # the fixture's activities have no staging: gone after rebuild


def test_hide_refuses_unknown_ids_twice_hidden_and_missing_reason(tmp_path: Path) -> None:
    settings = _warehouse(tmp_path / "work")
    config = str(settings.source)
    unknown = renkei_cli("hide", "act-nope", "--by", "山田", "--reason", "x", "--config", config)
    assert unknown.returncode != 0
    assert "hide: 活動 act-nope は activities にも号の項目にもありません" in unknown.stderr
    blank = renkei_cli("hide", HIDDEN, "--by", "山田", "--reason", " ", "--config", config)
    assert "--reason を書いてください（記録に残ります）" in blank.stderr
    renkei_cli("hide", HIDDEN, "--by", "山田", "--reason", "誤り", "--config", config)
    again = renkei_cli("hide", HIDDEN, "--by", "佐藤", "--reason", "別", "--config", config)
    assert (
        f"hide: 活動 {HIDDEN} はすでに非公開です（山田、理由：誤り）。"
        "理由を変えるときは unhide してから hide してください"
    ) in again.stderr
    not_hidden = renkei_cli("unhide", "act-ev-02", "--by", "佐藤", "--config", config)
    assert "unhide: 活動 act-ev-02 は非公開になっていません" in not_hidden.stderr
    assert [(a[1], a[2]) for a in _audit(settings)] == [("hide", HIDDEN)]


def test_an_archive_page_whose_hidden_item_cannot_be_located_is_not_published() -> None:
    # a bulletin without card comments (an old layout): the title shows, no card to replace
    html = f"<html><body><p>{HIDDEN_TITLE}</p><p>{OTHER_TITLE}</p></body></html>"
    hidden = [{"title": HIDDEN_TITLE, "edited_title": None, "url": None}]
    assert withhold_hidden(html, hidden) == (html, True)
    page, withheld = withhold_hidden(_sent_html(), hidden)
    assert not withheld and page.count(WITHHELD_NOTICE) == 1
    assert HIDDEN_TITLE not in _text(page) and OTHER_TITLE in _text(page)


@pytest.mark.parametrize(
    ("current", "edited"),
    [
        (HIDDEN_TITLE, None),
        ("産学連携セミナー（改題）", HIDDEN_TITLE),
    ],  # retitled by `edit --title`
)
def test_the_withheld_card_is_found_under_the_title_the_issue_showed(
    current: str, edited: str | None
) -> None:
    hidden = [{"title": current, "edited_title": edited,
               "url": "https://www.tottori-u.example.jp/news/1.html"}]  # fmt: skip
    page, withheld = withhold_hidden(_sent_html(), hidden)
    assert not withheld and page.count(WITHHELD_NOTICE) == 1
    assert OTHER_TITLE in _text(page) and "大学と企業の連携事例" not in _text(page)


def test_a_card_with_the_same_title_but_another_link_is_kept() -> None:
    hidden = [{"title": HIDDEN_TITLE, "edited_title": None,
               "url": "https://www.tottori-u.example.jp/news/other.html"}]  # fmt: skip
    page, withheld = withhold_hidden(_sent_html(), hidden)
    assert WITHHELD_NOTICE not in page and withheld  # not located, title shows: not published


def test_a_hidden_activity_leaves_the_draft_and_comes_back_after_unhide(tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    init_folder(workdir)
    settings = load_dataset_warehouse(workdir, sent_issue=None)

    def drafted() -> list[str]:
        pipeline.draft(settings, "2026-11", as_of=SEND_DATE)
        with open_warehouse(settings.warehouse) as con:
            found = con.sql("SELECT activity_id FROM issue_items ORDER BY activity_id").fetchall()
        return [a for (a,) in found]

    assert drafted() == ["act-call-01", "act-ev-01", "act-ev-02"]
    pipeline.hide(settings, HIDDEN, by="山田", reason="記入例の行")
    assert drafted() == ["act-call-01", "act-ev-02"]
    pipeline.unhide(settings, HIDDEN, by="佐藤")
    assert drafted() == ["act-call-01", "act-ev-01", "act-ev-02"]
    assert [(a[0], a[1]) for a in _audit(settings)] == [("山田", "hide"), ("佐藤", "unhide")]
