"""Issue 4, acceptance 1: every file office software produces, with its exact result."""

from __future__ import annotations

from datetime import date

import pytest
from intake_support import ARRIVED, REGISTRY, drop, receipt_of, rows

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.submissions import intake

pytestmark = pytest.mark.usefixtures("part_rows")  # each test: whole, and in parts of 2


@pytest.fixture
def settings(settings_for) -> Settings:
    return settings_for(REGISTRY)


def ingest(settings: Settings, name: str) -> intake.IntakeOutcome:
    return intake.ingest_submission(
        settings, drop(settings, name), "ind-04", now=ARRIVED, raise_on_reject=False
    )


def activities(settings: Settings) -> list[tuple]:
    pipeline.normalize(settings)
    return rows(
        settings,
        "SELECT title, strftime(starts_at, '%Y-%m-%d %H:%M'), strftime(ends_at, '%Y-%m-%d %H:%M'),"
        " venue FROM activities ORDER BY starts_at, title",
    )


def test_cp932_japanese_headers_era_dates_halfwidth_kana_and_circled_digits(settings) -> None:
    outcome = ingest(settings, "cp932_japanese.csv")
    assert outcome.summary() == "cp932_japanese.csv: 4 rows read (cp932), 4 new"
    assert activities(settings) == [
        ("平成最後の成果報告会", "2019-04-30 00:00", None, "岡山商工会議所"),
        ("令和最初の記念講演", "2019-05-01 00:00", None, "岡山商工会議所"),
        ("コラボレーション交流会①", "2025-12-05 13:30", "2025-12-05 16:00", "岡山県立図書館"),
        ("技術相談会", "2025-12-10 10:00", "2025-12-10 12:00", "倉敷市芸文館"),
    ]
    # 機関名 (the submitting member here) is kept with the unknown columns
    assert rows(settings, "SELECT extra FROM stg_items WHERE title = '技術相談会'") == [
        ('{"機関名": "岡山県商工会議所連合会"}',)
    ]


def test_utf8_bom_english_headers_with_a_date_range(settings) -> None:
    outcome = ingest(settings, "utf8_bom_english.csv")
    assert outcome.summary() == "utf8_bom_english.csv: 2 rows read (utf-8-sig), 2 new"
    assert activities(settings) == [
        (
            "Joint Research Forum 2025",
            "2025-12-05 00:00",
            "2025-12-06 00:00",
            "Hiroshima University",
        ),
        ("Year-less Workshop", "2026-12-05 00:00", "2026-12-06 00:00", "Online"),
    ]


def test_a_date_without_a_year_takes_the_next_such_day_and_is_flagged(settings) -> None:
    outcome = ingest(settings, "utf8_bom_english.csv")
    flagged = [(v.row_number, v.notes) for v in outcome.verdicts if v.notes]
    assert flagged == [(3, ["開催日「12月5日～6日」に年がないため2026年12月5日からと読みました"])]
    assert (
        "3行目「Year-less Workshop」：開催日「12月5日～6日」に年がないため2026年12月5日から"
        "と読みました。" in receipt_of(settings.inbox / "ind-04" / "utf8_bom_english.csv")
    )


def test_excel_unicode_text_utf16_tab_separated(settings) -> None:
    outcome = ingest(settings, "excel_unicode_text.txt")
    assert (outcome.format, outcome.encoding, outcome.rows_staged) == ("tsv", "utf-16", 2)
    assert activities(settings) == [
        ("ものづくり見学会", "2026-12-08 00:00", None, "宇部市内 協力企業工場"),
        ("知財セミナー", "2026-12-15 00:00", None, "山口大学"),
    ]


def test_xlsx_reads_the_template_sheet_with_date_and_time_cells(settings) -> None:
    outcome = ingest(settings, "report.xlsx")
    assert outcome.summary() == "report.xlsx: 2 rows read (xlsx), 2 new"
    assert activities(settings) == [
        ("Excel 日付のセミナー", "2026-12-09 13:30", None, "広島県庁"),
        ("文字の日付の公募", "2026-12-25 00:00", None, None),
    ]
    assert rows(settings, "SELECT extra FROM stg_items WHERE title LIKE 'Excel%'") == [
        ('{"担当者メモ": "内部用"}',)
    ]


def test_one_bad_row_is_quarantined_with_every_reason_and_the_good_rows_load(settings) -> None:
    outcome = ingest(settings, "one_bad_row.csv")
    assert outcome.summary() == "one_bad_row.csv: 4 rows read (cp932), 3 new, 1 rejected"
    # 架空大学 (no member) is no reason to reject: only the empty title and the URL count
    reason = "件名が空です；URL「javascript:alert(1)」が正しくありません"
    assert rows(
        settings, "SELECT raw_sha256, position, stage, reason, detail IS NOT NULL FROM quarantine"
    ) == [(outcome.sha256, 1, "submission", reason, True)]
    assert [t for (t, *_) in activities(settings)] == ["良い行その1", "良い行その2", "良い行その3"]
    receipt = receipt_of(settings.inbox / "ind-04" / "one_bad_row.csv")
    assert (
        "活動報告の 4行のうち 3行を受け付けました。1行は、下の理由で受け付けられませんでした。"
        in receipt
    )
    assert (
        "3行目（件名なし）\n"
        "  理由：件名が空です\n"
        "  直し方：件名（イベント名やお知らせの題名）を書いてください。\n"
        "  理由：URL「javascript:alert(1)」が正しくありません\n"
        "  直し方：URL は「https://」から始まる形で書いてください"
    ) in receipt


@pytest.mark.parametrize(
    ("name", "error"),
    [
        (
            "undecodable.csv",
            "undecodable.csv: 文字コードを判別できません"
            "（UTF-8・Shift_JIS(CP932)・UTF-16 のいずれでもありません）",
        ),
        ("empty.csv", "empty.csv: ファイルが空です"),
        ("header_only.csv", "header_only.csv: 見出し行だけで、データの行がありません"),
    ],
)
def test_unreadable_files_are_rejected_whole_and_kept(settings, name: str, error: str) -> None:
    outcome = ingest(settings, name)
    assert (outcome.error, outcome.rows_read, outcome.rows_staged) == (error, 0, 0)
    assert rows(settings, "SELECT status, error FROM submissions") == [("rejected", error)]
    assert rows(settings, "SELECT position, reason FROM quarantine") == [(-1, error)]
    assert settings.raw_store.joinpath(outcome.sha256[:2], outcome.sha256).is_file()
    receipt = receipt_of(settings.inbox / "ind-04" / name)
    assert "読み込めなかったため、受け付けられませんでした。" in receipt
    assert f"  理由：{error.split(': ', 1)[1]}\n" in receipt


def test_receipt_for_a_clean_file_reads_naturally(settings) -> None:
    ingest(settings, "excel_unicode_text.txt")
    assert receipt_of(settings.inbox / "ind-04" / "excel_unicode_text.txt") == (
        "【受付結果】excel_unicode_text.txt\n\n"
        "岡山県商工会議所連合会 ご担当者様\n\n"
        "ご提出いただいた活動報告の 2行すべてを受け付けました。\n\n"
        "  ファイル名：excel_unicode_text.txt\n"
        "  受付日時：2026年11月20日 10:00\n"
        "  報告月：2026年11月分\n"
        "  受け付けた行：2行\n"
        "  受け付けられなかった行：0行\n\n"
        "――\n"
        "このお知らせは自動で作成しています。\n"
        "ご不明な点は事務局までお問い合わせください："
        "中国地域産学官コラボレーションセンター collabo@example.jp\n"
    )


def test_old_excel_format_is_rejected_with_what_to_do(settings, tmp_path) -> None:
    old = settings.inbox / "ind-04" / "report.xls"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    outcome = intake.ingest_submission(settings, old, "ind-04", now=ARRIVED, raise_on_reject=False)
    assert outcome.error == (
        "report.xls: 古い Excel 形式（.xls）は読めません。"
        "Excel で「.xlsx」か「CSV UTF-8」形式で保存し直してください"
    )


def test_report_month_comes_from_the_file_name_or_the_arrival_month() -> None:
    assert intake.period_of("2026-11-report.csv", ARRIVED) == "2026-11"
    assert intake.period_of("活動報告_2027年1月分.xlsx", ARRIVED) == "2027-01"
    assert intake.period_of("令和８年１２月分.csv", ARRIVED) == "2026-12"
    assert intake.period_of("report.csv", ARRIVED) == "2026-11"
    assert date(2026, 11, 20) == ARRIVED.date()
