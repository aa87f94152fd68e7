"""The open-data release on a real DuckDB file: data package, events list, calendar, feed."""

from __future__ import annotations

import json
import unicodedata
from datetime import timedelta
from pathlib import Path

import feedparser
import icalendar
import polars as pl
import pytest
from dataset_support import NOW, load_dataset_warehouse, registry_emails
from frictionless import validate

from renkei.core.settings import Settings
from renkei.dataset import atom, publish_release
from renkei.dataset.datapackage import SPREADSHEET_NOTE
from renkei.dataset.events_ja import PREFECTURE_CODES
from renkei.dataset.stats import write_charts
from renkei.dataset.verify import PublishCheckError, check_file
from renkei.scaffold import init_folder
from transforms.spreadsheet import spreadsheet_safe

# 推奨データセット「イベント一覧」: the 32 columns in order, then renkei's own columns.
EXPECTED_EVENTS_HEADER = [
    "都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "イベント名",
    "イベント名_カナ", "イベント名_英語", "開始日", "終了日", "開始時間", "終了時間",
    "開始日時特記事項", "説明", "料金(基本)", "料金(詳細)", "連絡先名称", "連絡先電話番号",
    "連絡先内線番号", "主催者", "場所名称", "住所", "方書", "緯度", "経度", "アクセス方法",
    "駐車場情報", "定員", "参加申込終了日", "参加申込終了時間", "参加申込方法", "URL", "備考",
    "活動ID", "機関ID", "区分(産学金官)", "種別",
]  # fmt: skip


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[Path]]:
    """One release, shared by the tests that only read it (a publish takes a second)."""
    workdir = tmp_path_factory.mktemp("dataset") / "work"
    init_folder(workdir)
    settings = load_dataset_warehouse(workdir)
    return settings, publish_release(settings, NOW)


@pytest.fixture(scope="module")
def republished(published) -> dict[str, bytes]:
    """The first release's calendar, feed and snapshot bytes, then a second publish."""
    settings, _ = published
    first = {
        p.relative_to(settings.publish_dir).as_posix(): p.read_bytes()
        for p in settings.publish_dir.rglob("*")
        if p.is_file()
    }
    first["written"] = "\n".join(
        str(p) for p in publish_release(settings, NOW + timedelta(days=1))
    ).encode()
    return first


def test_every_release_validates_as_a_frictionless_data_package(published) -> None:
    settings, _ = published
    packages = [settings.publish_dir / "datapackage.json"]
    packages += sorted((settings.publish_dir / "releases").glob("*/datapackage.json"))
    assert [p.parent.name for p in packages] == ["publish", "2026-11_2026-11-30"]
    for package in packages:
        report = validate(package)
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_datapackage_describes_licence_publisher_keys_in_two_languages(published) -> None:
    settings, _ = published
    package = json.loads((settings.publish_dir / "datapackage.json").read_text("utf-8"))
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["publisher"]["title"] == settings.issuer.name
    assert package["version"] == "2026.11.30"
    activities, members, events, related = package["resources"]
    assert related["name"] == "related_activities"
    assert (activities["name"], members["name"], events["name"]) == (
        "activities", "members", "events",
    )  # fmt: skip
    assert activities["schema"]["primaryKey"] == ["活動ID"]
    assert activities["schema"]["foreignKeys"] == [
        {"fields": ["機関ID"], "reference": {"resource": "members", "fields": ["機関ID"]}}
    ]
    first = activities["schema"]["fields"][0]
    assert first == {
        "name": "活動ID",
        "type": "string",
        "description": "活動の一意な識別子 / Unique activity identifier",
    }
    assert "renkei 独自列" in events["description"] and "32列" in events["description"]
    snapshot = settings.publish_dir / "releases" / "2026-11_2026-11-30" / "datapackage.json"
    assert json.loads(snapshot.read_text("utf-8"))["version"] == "2026-11_2026-11-30"


def test_csv_has_bom_and_japanese_headers_round_trip_through_polars(published) -> None:
    settings, _ = published
    raw = (settings.publish_dir / "activities.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == 6
    frame = pl.read_csv(settings.publish_dir / "activities.csv")
    assert frame.columns[:5] == ["活動ID", "機関ID", "機関名", "区分(産学金官)", "都道府県"]
    assert frame["活動ID"].sort().to_list() == [
        "act-call-01", "act-ev-01", "act-ev-02", "act-ev-03", "act-news-01",
    ]  # fmt: skip
    members = pl.read_csv(settings.publish_dir / "members.csv")
    assert members.columns == [
        "機関ID", "機関名", "区分", "区分(産学金官)", "都道府県", "活動範囲", "フィードURL",
    ]  # fmt: skip
    assert members["機関ID"].to_list() == ["aca-01", "fin-03", "gov-02", "ind-04"]
    call = frame.filter(pl.col("活動ID") == "act-call-01").row(0, named=True)
    assert call["問い合わせ先"] == "広島銀行 地域共創部 （メールアドレス省略）"


def test_no_contact_address_appears_in_any_published_file(published) -> None:
    settings, files = published
    emails = registry_emails()
    assert len(emails) == 4
    everything = [p for p in settings.publish_dir.rglob("*") if p.is_file()]
    # + related_activities.csv, needs_seeds.csv, stats_consultations.csv (issue 20)
    assert len(everything) == len(files) == 28
    for path in everything:
        data = path.read_bytes().lower()
        for email in emails:
            assert email.lower().encode() not in data, (path.name, email)
            local = email.split("@")[0].lower().encode()
            assert local + b"@" not in data, (path.name, email)


def test_events_file_follows_the_recommended_event_list_layout(published) -> None:
    settings, _ = published
    frame = pl.read_csv(settings.publish_dir / "events.csv", infer_schema=False)
    assert [unicodedata.normalize("NFKC", c) for c in frame.columns] == EXPECTED_EVENTS_HEADER
    first = frame.row(0, named=True)
    assert (first["NO"], first["都道府県コード又は市区町村コード"], first["都道府県名"]) == (
        "1", "340006", "広島県",
    )  # fmt: skip
    seminar = frame.filter(pl.col("活動ID") == "act-ev-01").row(0, named=True)
    assert (seminar["開始日"], seminar["開始時間"], seminar["終了時間"]) == (
        "2030-12-05", "13:30", "16:00",
    )  # fmt: skip
    assert (seminar["参加申込終了日"], seminar["参加申込終了時間"]) == ("2030-11-28", "17:00")
    fair = frame.filter(pl.col("活動ID") == "act-ev-02").row(0, named=True)
    assert (fair["開始日"], fair["終了日"], fair["開始時間"]) == ("2031-01-20", "2031-01-21", None)


def test_prefecture_codes_carry_the_check_digit() -> None:
    assert [PREFECTURE_CODES[p] for p in ("北海道", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "東京都")] == [  # noqa: E501
        "010006", "310000", "320005", "330001", "340006", "350001", "130001",
    ]  # fmt: skip


def test_calendar_reparses_identically_with_stable_uids(published, republished) -> None:
    settings, _ = published
    data = republished["events.ics"]
    cal = icalendar.Calendar.from_ical(data)
    assert cal.to_ical() == data
    events = list(cal.walk("VEVENT"))
    assert [str(e["uid"]) for e in events] == ["act-ev-01@example.jp", "act-ev-02@example.jp"]
    seminar = events[0]
    assert seminar["dtstart"].params["TZID"] == "Asia/Tokyo"
    assert seminar.decoded("dtstart").isoformat() == "2030-12-05T13:30:00+09:00"
    assert str(seminar["location"]) == "鳥取大学 髙島ホール"
    assert str(seminar["url"]) == "https://www.tottori-u.example.jp/news/1.html"
    assert [str(t["tzid"]) for t in cal.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    # the past event (June 2026) is not in the calendar
    assert b"act-ev-03" not in data

    again = icalendar.Calendar.from_ical((settings.publish_dir / "events.ics").read_bytes())
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [str(e["uid"]) for e in events]


def test_atom_feed_parses_cleanly_with_stable_entry_ids(published, republished) -> None:
    settings, _ = published
    parsed = feedparser.parse(republished["activities.atom"])
    assert parsed.bozo == 0
    assert parsed.version == "atom10"
    ids = [e.id for e in parsed.entries]
    assert ids[0] == "tag:example.jp,2026:activity:act-call-01"
    assert len(ids) == 5
    again = feedparser.parse((settings.publish_dir / "activities.atom").read_bytes())
    assert [e.id for e in again.entries] == ids


def test_statistics_count_collaborations_and_quiet_members(published) -> None:
    settings, _ = published
    counts = pl.read_csv(settings.publish_dir / "stats_counts.csv")
    sectors = counts.filter(pl.col("集計軸") == "区分")
    assert dict(zip(sectors["値"], sectors["件数"], strict=True)) == {"学": 2, "金": 2, "官": 1}
    collab = pl.read_csv(settings.publish_dir / "stats_collaboration.csv")
    assert collab.columns == ["月", "連携件数", "区分をまたぐ", "県をまたぐ"]
    assert collab.rows() == [("2030-12", 1, 1, 1), ("2031-01", 1, 1, 1)]
    members = pl.read_csv(settings.publish_dir / "stats_members.csv")
    quiet = members.filter(pl.col("90日以上報告なし") == "はい")["機関ID"].to_list()
    reported = members.filter(pl.col("期間内に報告あり") == "はい")["機関ID"].to_list()
    assert (reported, quiet) == (["aca-01", "fin-03", "gov-02"], ["ind-04"])


def test_snapshots_stay_frozen_and_previous_ones_are_kept(published, republished) -> None:
    settings, _ = published
    snapshot = settings.publish_dir / "releases" / "2026-11_2026-11-30"
    assert b"releases" not in republished["written"]  # nothing new to freeze
    for path in snapshot.iterdir():
        assert path.read_bytes() == republished[f"releases/{snapshot.name}/{path.name}"]
    assert not list(settings.publish_dir.glob(".staging-*"))  # temp folder cleaned up
    index = (settings.publish_dir / "index.html").read_text("utf-8")
    assert 'href="releases/2026-11_2026-11-30/datapackage.json"' in index


def test_charts_fall_back_to_english_labels_without_a_japanese_font(tmp_path: Path) -> None:
    counts = pl.DataFrame(
        {"dimension": ["sector", "prefecture", "month", "category"],
         "value": ["academia", "鳥取県", "2026-11", "event"], "activities": [2, 1, 3, 1]}
    )  # fmt: skip
    paths = write_charts(counts, tmp_path, japanese=False)
    assert [p.name for p in paths] == [
        "chart_month.png", "chart_sector.png", "chart_prefecture.png", "chart_category.png",
    ]  # fmt: skip
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)


def test_sent_issues_are_archived_without_personal_parts(published) -> None:
    settings, _ = published
    page = (settings.publish_dir / "issues" / "2026-11.html").read_text("utf-8")
    assert "<p>読者各位 様</p>" in page and "%%" not in page
    assert "申込: （メールアドレス省略）" in page
    assert f'href="{settings.issuer.unsubscribe_url}"' in page
    index = (settings.publish_dir / "issues" / "index.html").read_text("utf-8")
    assert '<a href="2026-11.html">第1号 第1号</a>' in index
    parsed = feedparser.parse((settings.publish_dir / "issues.atom").read_bytes())
    assert parsed.bozo == 0
    assert [e.id for e in parsed.entries] == ["tag:example.jp,2026:issue:2026-11"]


def test_datapackage_says_the_csvs_are_spreadsheet_safe_and_json_parquet_exact(published) -> None:
    settings, _ = published
    package = json.loads((settings.publish_dir / "datapackage.json").read_text("utf-8"))
    assert package["description"].endswith(SPREADSHEET_NOTE)
    assert all(r["description"].endswith(SPREADSHEET_NOTE) for r in package["resources"])
    assert "=、+、-、@、タブ、CR で始まるセルの先頭に「'」" in SPREADSHEET_NOTE
    assert "JSON・Parquetは元の文字列のまま" in SPREADSHEET_NOTE


def test_spreadsheet_safe_prefixes_only_text_cells_that_start_like_a_formula() -> None:
    frame = pl.DataFrame(
        {
            "text": ['=HYPERLINK("https://evil.example/")', "+81-82-000-0000", "-x", "@x",
                     "\tx", "\rx", "a=b", "2026-12-05", None, "-"],
            "number": [-1, -2, 0, 1, 2, 3, 4, 5, 6, 7],
            "ratio": [-0.5] * 10,
        }
    )  # fmt: skip
    safe = spreadsheet_safe(frame)
    assert safe["text"].to_list() == [
        "'=HYPERLINK(\"https://evil.example/\")", "'+81-82-000-0000", "'-x", "'@x", "'\tx",
        "'\rx", "a=b", "2026-12-05", None, "'-",
    ]  # fmt: skip
    assert safe.select("number", "ratio").equals(frame.select("number", "ratio"))
    assert safe.schema == frame.schema


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        (
            "a.csv",
            b"\xef\xbb\xbfa,b\r\n1,2\r\n3\r\n",
            "ValueError: row 3 has 1 fields, the header 2",
        ),
        ("a.csv", b"a,b\r\n1,\x002\r\n", "ValueError: NUL character at offset 7"),
        ("a.csv", b"a,b\r\n\x82\xa0,2\r\n", "UnicodeDecodeError: 'utf-8' codec can't decode"),
        ("a.json", b'{"a": 1', "JSONDecodeError: Expecting ',' delimiter: line 1 column 8"),
        ("a.atom", b"<feed><title>x\x00</title></feed>", "ParseError: not well-formed"),
        ("a.atom", b"<feed><entry></feed>", "ParseError: mismatched tag: line 1, column 15"),
        ("a.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", "ValueError"),
        ("a.parquet", b"PAR1 not really", "ComputeError"),
        ("a.png", b"GIF89a", "ValueError: not a PNG file"),
        ("a.txt", b"text", "no parser for .txt"),
    ],
)
def test_each_kind_of_published_file_is_read_back_by_its_parser(
    tmp_path: Path, name: str, data: bytes, problem: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert (check_file(path) or "").startswith(problem)


def test_a_file_that_fails_its_parser_keeps_the_previous_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workdir = tmp_path / "work"
    init_folder(workdir)
    settings = load_dataset_warehouse(workdir)
    publish_release(settings, NOW)

    def release() -> dict[str, bytes]:
        folder = settings.publish_dir
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
                if p.is_file()}  # fmt: skip

    before = release()
    # a writer with a bug: the Atom feed it writes is not well-formed
    monkeypatch.setattr(atom, "feed_bytes", lambda *args, **kwargs: b"<feed><entry></feed>\n")
    with pytest.raises(PublishCheckError) as caught:
        publish_release(settings, NOW + timedelta(days=1))
    assert caught.value.failures == [
        ("activities.atom", "ParseError: mismatched tag: line 1, column 15")
    ]
    assert "activities.atom: ParseError: mismatched tag" in str(caught.value)
    assert release() == before  # every file of the previous release, byte for byte
    assert not list(settings.publish_dir.glob(".staging-*"))
