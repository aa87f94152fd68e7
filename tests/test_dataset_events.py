"""The events list and calendar (what counts as an event, fee, capacity), the Japanese values
of the CSVs for people, and the page's source line: one release of a real DuckDB file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import icalendar
import polars as pl
import pytest
from dataset_support import NOW, load_dataset_warehouse
from frictionless import validate

from renkei.core.settings import Settings
from renkei.dataset import publish_release
from renkei.dataset.site import phrase_html, render_index
from renkei.scaffold import init_folder
from warehouse.connection import open_warehouse

# Activities added to the fixture warehouse: a dated 見学会 classed as a success case, a dated
# course (training) and a dated call (a call's dates are its programme: not an event).
ADDED = """
INSERT INTO activities BY NAME
SELECT * REPLACE ('act-visit-01' AS activity_id, '実用化事例 見学会（宇部市内企業）' AS title,
    'success_case' AS category, TIMESTAMPTZ '2030-12-07 00:00:00+09' AS starts_at,
    true AS all_day, '宇部市内 協力企業工場' AS venue, '20名' AS capacity_text)
FROM activities WHERE activity_id = 'act-news-01';
INSERT INTO activities BY NAME
SELECT * REPLACE ('act-course-01' AS activity_id, 'IoT・AI人材育成講座（基礎編）' AS title,
    'training' AS category, TIMESTAMPTZ '2031-01-10 10:00:00+09' AS starts_at,
    TIMESTAMPTZ '2031-01-10 12:00:00+09' AS ends_at, false AS all_day,
    '3,000円' AS fee_text)
FROM activities WHERE activity_id = 'act-news-01';
UPDATE activities SET starts_at = TIMESTAMPTZ '2030-12-10 13:00:00+09'
WHERE activity_id = 'act-call-01';
UPDATE activities SET fee_text = '無料', capacity_text = '80名'
WHERE activity_id = 'act-ev-01';
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    workdir = tmp_path_factory.mktemp("dataset_events") / "work"
    init_folder(workdir)
    settings = load_dataset_warehouse(workdir)
    with open_warehouse(settings.warehouse) as con:
        con.execute(ADDED)
    publish_release(settings, NOW)
    return settings


def test_dated_activities_other_than_calls_are_events_in_the_list_and_calendar(published):
    events = pl.read_csv(published.publish_dir / "events.csv", infer_schema=False)
    assert events.select("NO", "活動ID", "イベント名", "開始日", "種別").rows() == [
        ("1", "act-ev-03", "事業承継相談会（終了）", "2026-06-10", "イベント・セミナー"),
        ("2", "act-ev-01", "産学連携セミナー①「地域と大学」", "2030-12-05", "イベント・セミナー"),
        ("3", "act-visit-01", "実用化事例 見学会（宇部市内企業）", "2030-12-07", "成功事例"),
        ("4", "act-course-01", "IoT・AI人材育成講座（基礎編）", "2031-01-10", "人材育成・研修"),
        ("5", "act-ev-02", "しまね技術交流フェア", "2031-01-20", "イベント・セミナー"),
    ]  # fmt: skip
    cal = icalendar.Calendar.from_ical((published.publish_dir / "events.ics").read_bytes())
    assert [
        (str(e["uid"]), str(e["summary"]), e.decoded("dtstart").isoformat())
        for e in cal.walk("VEVENT")
    ] == [
        ("act-ev-01@example.jp", "産学連携セミナー①「地域と大学」", "2030-12-05T13:30:00+09:00"),
        ("act-visit-01@example.jp", "実用化事例 見学会（宇部市内企業）", "2030-12-07"),
        ("act-course-01@example.jp", "IoT・AI人材育成講座（基礎編）", "2031-01-10T10:00:00+09:00"),
        ("act-ev-02@example.jp", "しまね技術交流フェア", "2031-01-20"),
    ]  # fmt: skip


def test_events_list_carries_fee_capacity_and_venue_of_the_activity(published) -> None:
    events = pl.read_csv(published.publish_dir / "events.csv", infer_schema=False)
    facts = events.select("活動ID", "料金(基本)", "定員", "場所名称").rows()
    assert facts == [
        ("act-ev-03", None, None, "広島銀行本店"),
        ("act-ev-01", "無料", "80名", "鳥取大学 髙島ホール"),
        ("act-visit-01", None, "20名", "宇部市内 協力企業工場"),
        ("act-course-01", "3,000円", None, None),
        ("act-ev-02", None, None, "くにびきメッセ"),
    ]


def test_activities_csv_has_japanese_values_and_json_parquet_keep_the_codes(published) -> None:
    folder = published.publish_dir
    csv = pl.read_csv(folder / "activities.csv", infer_schema=False)
    columns = ["活動ID", "区分(産学金官)", "種別", "終日"]
    assert csv.select(columns).sort("活動ID").rows() == [
        ("act-call-01", "金", "公募・助成", "いいえ"),
        ("act-course-01", "学", "人材育成・研修", "いいえ"),
        ("act-ev-01", "学", "イベント・セミナー", "いいえ"),
        ("act-ev-02", "官", "イベント・セミナー", "はい"),
        ("act-ev-03", "金", "イベント・セミナー", "いいえ"),
        ("act-news-01", "学", "成功事例", "いいえ"),
        ("act-visit-01", "学", "成功事例", "はい"),
    ]
    assert "fee_text" not in csv.columns and len(csv.columns) == 19  # the published columns
    codes = [("act-ev-02", "government", "event", True), ("act-visit-01", "academia",
             "success_case", True)]  # fmt: skip
    rows = json.loads((folder / "activities.json").read_text("utf-8"))
    assert sorted(
        (r["activity_id"], r["sector"], r["category"], r["all_day"])
        for r in rows if r["activity_id"] in ("act-ev-02", "act-visit-01")
    ) == codes  # fmt: skip
    parquet = pl.read_parquet(folder / "activities.parquet").sort("activity_id")
    chosen = parquet.filter(pl.col("activity_id").is_in(["act-ev-02", "act-visit-01"]))
    assert chosen.select("activity_id", "sector", "category", "all_day").rows() == codes
    events = pl.read_csv(folder / "events.csv", infer_schema=False)
    assert sorted(set(events["区分(産学金官)"])) == ["学", "官", "金"]


def test_datapackage_lists_the_japanese_values_and_frictionless_holds_the_csv_to_them(
    published: Settings, tmp_path: Path
) -> None:
    package = json.loads((published.publish_dir / "datapackage.json").read_text("utf-8"))
    activities, _, events, _ = package["resources"]
    fields = {f["name"]: f for f in activities["schema"]["fields"]}
    assert fields["区分(産学金官)"]["constraints"] == {"enum": ["産", "学", "金", "官"]}
    assert fields["種別"]["constraints"] == {
        "enum": ["イベント・セミナー", "公募・助成", "お知らせ・成果", "成功事例", "人材育成・研修",
                 "その他"]
    }  # fmt: skip
    day = fields["終日"]
    assert (day["type"], day["trueValues"], day["falseValues"]) == ("boolean", ["はい"], ["いいえ"])
    assert fields["終日"]["description"] == (
        "終日の行事か（はい = true、いいえ = false。JSON・Parquetでは右の値） / All-day event: "
        "はい = true, いいえ = false (the CSV holds the Japanese name, JSON and Parquet the code)"
    )
    own = {f["name"]: f for f in events["schema"]["fields"][-2:]}
    assert own["種別"]["constraints"]["enum"][3] == "成功事例"
    assert validate(published.publish_dir / "datapackage.json").valid
    # an English code in the CSV for people breaks the package's own constraint
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("datapackage.json", "members.csv", "events.csv", "related_activities.csv"):
        (copy / name).write_bytes((published.publish_dir / name).read_bytes())
    text = (published.publish_dir / "activities.csv").read_bytes().decode("utf-8-sig")
    (copy / "activities.csv").write_bytes(
        ("\ufeff" + text.replace(",官,", ",government,", 1)).encode()
    )
    report = validate(copy / "datapackage.json")
    assert report.flatten(["fieldName", "type"]) == [["区分(産学金官)", "constraint-error"]]


def test_the_page_names_the_source_without_doubled_brackets(tmp_path: Path) -> None:
    html = render_index(tmp_path, [], title="連携 オープンデータ",
                        publisher="中国地域産学官コラボレーションセンター（デモ）",
                        version="2026.12.05", snapshots=[])  # fmt: skip
    text = re.sub(r"<[^>]+>", "", html)
    source = "出典：中国地域産学官コラボレーションセンター（デモ）"
    assert f"ライセンス：\nCC BY 4.0\n{source}\n版：2026.12.05" in text
    assert "））" not in text and "（出典" not in text


def test_page_text_never_wraps_inside_a_number() -> None:
    html = phrase_html("2026年10月〜2027年1月の計42件。最多は2026年12月（15件）。")
    assert html == (
        '<span class="phrases">2026年10月〜2027年1月の<wbr>計42件。<wbr>最多は<wbr>'
        "2026年12月<wbr>（15件）。</span>"
    )
