"""The template's example row and placeholder URLs / phone numbers are refused, with a
Japanese reason in the receipt; real rows of the same file are taken in."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest
from intake_support import ARRIVED, REGISTRY, receipt_of, rows
from openpyxl import load_workbook

from renkei.core.settings import Settings
from renkei.submissions import intake
from renkei.submissions.placeholders import placeholder_reason
from renkei.submissions.template import write_template

REAL = [
    "DX実践セミナー", "2026/12/5", "", "13:30～16:00", "岡山商工会議所", "データ活用の事例。",
    "https://www.okayama-cci.example.jp/seminar/dx.html", "セミナー", "2026/11/30",
    "事業推進課 086-232-2262", "",
]  # fmt: skip
BARE_URL = [*REAL[:6], "https://example.com/", *REAL[7:]]
ZERO_PHONE = ["創業塾", "2026/12/12", *REAL[2:9], "事業推進課 ０００－００００", ""]


@pytest.fixture
def settings(settings_for) -> Settings:
    return settings_for(REGISTRY)


def _ingest(settings: Settings, path: Path) -> intake.IntakeOutcome:
    target = settings.inbox / "ind-04" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(path.read_bytes())
    return intake.ingest_submission(settings, target, "ind-04", now=ARRIVED, raise_on_reject=False)


REFUSED = (
    "■ 受け付けられなかった行（行番号は Excel の行番号です。1行目は見出しです）\n"
    "2行目「産学連携セミナー ～共同研究の始め方～」\n"
    "  理由：テンプレートの記入例の行です。削除してからご提出ください\n"
    "  直し方：内容をご確認のうえ、直したファイルをお送りください。\n"
    "4行目「DX実践セミナー」\n"
    "  理由：記入例のままのURL「https://example.com/」です。"
    "実際の案内ページのURLを書くか、空欄にしてください\n"
    "  直し方：内容をご確認のうえ、直したファイルをお送りください。\n"
    "5行目「創業塾」\n"
    "  理由：記入例のままの電話番号「000-0000」が問い合わせ先にあります。"
    "実際の番号を書くか、消してください\n"
    "  直し方：内容をご確認のうえ、直したファイルをお送りください。\n"
)


def _receipt(name: str) -> str:
    return (
        f"【受付結果】{name}\n\n"
        "岡山県商工会議所連合会 ご担当者様\n\n"
        "ご提出いただいた活動報告の 4行のうち 1行を受け付けました。"
        "3行は、下の理由で受け付けられませんでした。\n\n"
        f"  ファイル名：{name}\n"
        "  受付日時：2026年11月20日 10:00\n"
        "  報告月：2026年11月分\n"
        "  受け付けた行：1行\n"
        "  受け付けられなかった行：3行\n\n"
        + REFUSED
        + "\n直したファイルは、同じ月分の報告としてもう一度お送りください。"
        "前回のファイルは自動で置き換わります（直した行だけでなく、すべての行を入れてください）。\n\n"
        "――\n"
        "このお知らせは自動で作成しています。\n"
        "ご不明な点は事務局までお問い合わせください："
        "中国地域産学官コラボレーションセンター collabo@example.jp\n"
    )


def _staged_titles(settings: Settings) -> list[str]:
    return [t for (t,) in rows(settings, "SELECT title FROM stg_items ORDER BY position")]


def test_the_csv_template_with_its_example_row_left_in_refuses_that_row(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "2026-11-report.csv"
    write_template("csv", path)
    text = path.read_bytes().decode("utf-8-sig")
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows([REAL, BARE_URL, ZERO_PHONE])
    path.write_bytes(b"\xef\xbb\xbf" + (text + buffer.getvalue()).encode("utf-8"))
    outcome = _ingest(settings, path)
    assert outcome.summary() == "2026-11-report.csv: 4 rows read (utf-8-sig), 1 new, 3 rejected"
    assert receipt_of(settings.inbox / "ind-04" / path.name) == _receipt(path.name)
    assert _staged_titles(settings) == ["DX実践セミナー"]


def test_the_xlsx_template_with_its_example_row_left_in_refuses_that_row(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "2026-11-report.xlsx"
    write_template("xlsx", path)
    book = load_workbook(path)
    for row in (REAL, BARE_URL, ZERO_PHONE):
        book["提出用"].append(row)
    book.save(path)
    outcome = _ingest(settings, path)
    assert (outcome.rows_read, outcome.rows_staged) == (4, 1)
    assert REFUSED in receipt_of(settings.inbox / "ind-04" / path.name)


def test_the_bundled_example_reports_lose_no_row_to_the_placeholder_rules(settings_for) -> None:
    settings = settings_for([
        *REGISTRY, "aca-23,山口大学,academia,学,山口県,prefecture,,",
        "gov-21,やまぐち産業振興財団,government,官,山口県,prefecture,,",
    ])  # fmt: skip
    examples = sorted((Path(__file__).parents[1] / "examples" / "inbox").glob("*/*.csv"))
    assert [p.parent.name for p in examples] == ["aca-23", "gov-21", "ind-04"]
    for path in examples:
        target = settings.inbox / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
        intake.ingest_submission(
            settings, target, path.parent.name, now=ARRIVED, raise_on_reject=False
        )
    reasons = [r for (r,) in rows(settings, "SELECT reason FROM quarantine")]
    assert reasons and not [r for r in reasons if "記入例" in r]


@pytest.mark.parametrize(
    ("url", "contact", "reason"),
    [
        ("https://www.example.jp/seminar.html", None,
         "記入例のままのURL「https://www.example.jp/seminar.html」です。"
         "実際の案内ページのURLを書くか、空欄にしてください"),
        ("http://example.jp", None,
         "記入例のままのURL「http://example.jp」です。実際の案内ページのURLを書くか、空欄にしてください"),
        ("https://www.example.jp/forum.html", None, None),  # a page under a placeholder domain
        ("https://www.okayama-cci.example.jp/", None, None),  # how the demo names member sites
        (None, "産学連携課 082-000-0000", "記入例のままの電話番号「082-000-0000」が問い合わせ先に"
         "あります。実際の番号を書くか、消してください"),
        (None, "TEL 0000-00-0000", "記入例のままの電話番号「0000-00-0000」が問い合わせ先に"
         "あります。実際の番号を書くか、消してください"),
        (None, "電話：xx-xxxx-xxxx", "記入例のままの電話番号「xx-xxxx-xxxx」が問い合わせ先に"
         "あります。実際の番号を書くか、消してください"),
        (None, "研究推進機構 0857-00-0000", None),  # a real area code
        (None, "〒680-8550 鳥取市 0857-31-5000", None),
    ],
)  # fmt: skip
def test_placeholder_urls_and_phone_numbers(
    url: str | None, contact: str | None, reason: str | None
) -> None:
    frame = pl.DataFrame(
        {"title": ["本当の行"], "summary": [None], "url": [url], "venue": [None],
         "contact": [contact]},
        schema=dict.fromkeys(("title", "summary", "url", "venue", "contact"), pl.String),
    )  # fmt: skip
    assert frame.select(placeholder_reason()).item() == reason


def test_fast_placeholder_check_gives_the_exact_reasons() -> None:
    """placeholder_reason works the keys out only for candidate rows: on rows near the
    example (widths, cases, punctuation, spaces, nulls) it gives what the full check gives."""
    from renkei.submissions.placeholders import _exact_reason

    example = "産学連携セミナー ～共同研究の始め方～"
    titles = [
        example,
        "産学連携セミナー〜共同研究の始め方〜",
        "ｻﾝｶﾞｸ 共同研究",
        "本当の行",
        "産学連携セミナー 共同研究の始め方",
        None,
        "産学連携セミナー・共同研究の始め方！",
    ]
    urls = [
        "https://www.example.jp/seminar.html",
        "HTTPS://WWW.EXAMPLE.JP/SEMINAR.HTML",
        "ｈｔｔｐｓ://ｗｗｗ.ｅｘａｍｐｌｅ.ｊｐ/ｓｅｍｉｎａｒ.ｈｔｍｌ",
        "https://example.jp",
        " http://www.example.com/ ",
        "https://www.example.jp/seminar-html",
        "https://www.example.jp/seminar.html?",
        "https://www.example.jp/seminar_html",
        "httpswwwexamplejpseminarhtml",
        "https://www.example.jp/forum.html",
        None,
        "https://www.okayama-cci.example.jp/",
        "javascript:void(0)",
        "ｅｘａｍｐｌｅ．ｊｐ",
    ]
    contacts = [
        "産学連携課 082-000-0000",
        "０００－００００",
        "事業推進課 082-223-4567",
        None,
        "TEL 0857-00-0000",
    ]
    venues = ["岡山商工会議所 5階大会議室", "岡山商工会議所５階大会議室", None, "別会場"]
    rows = [
        (t, None, u, v, c)
        for t in titles for u in urls for c in contacts for v in venues
    ]  # fmt: skip
    frame = pl.DataFrame(
        rows, schema=dict.fromkeys(("title", "summary", "url", "venue", "contact"), pl.String),
        orient="row",
    )  # fmt: skip
    fast = frame.select(placeholder_reason()).to_series()
    exact = frame.select(_exact_reason()).to_series()
    assert fast.to_list() == exact.to_list()
    assert fast.is_not_null().sum() > len(rows) // 2  # the cases do reach the full check


def test_title_marks_are_in_a_text_whenever_in_its_nfkc() -> None:
    """No character but the ideograph itself holds it in its NFKD, so a 件名 lacking it
    cannot have the example's key."""
    import sys
    import unicodedata

    from renkei.submissions.placeholders import _TITLE_MARKS, _key

    for mark in _TITLE_MARKS:
        assert mark in _key("産学連携セミナー ～共同研究の始め方～")
        holders = [
            chr(c)
            for c in range(sys.maxunicode + 1)
            if mark in unicodedata.normalize("NFKD", chr(c))
        ]
        assert holders == [mark]
