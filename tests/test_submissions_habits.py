"""Issue 17, acceptance 5: intake matches people's habits. Organiser names as members write
them (広大, 呉高専, 国立高等専門学校機構 呉工業高等専門学校, ○○大学 産学連携センター) match
members; a name that matches none is kept as written, not rejected; a correction file with
no acceptable row leaves the earlier file in force; headers that map to nothing are listed;
English headers are read. Receipts are asserted word for word."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from intake_support import ARRIVED, rows

from renkei import pipeline
from renkei.core.settings import Settings, load_settings
from renkei.submissions import intake
from transforms.organisers import organiser_members

pytestmark = pytest.mark.usefixtures("part_rows")  # each test: whole, and in parts of 2

REGISTRY = (
    "member_id,name,sector,sector_ja,prefecture,scope,feed_url,contact_email,aliases\n"
    "aca-22,呉工業高等専門学校,academia,学,広島県,prefecture,,chiiki@kure-nct.example.jp,"
    "呉高専\n"
    "aca-13,国立大学法人広島大学,academia,学,広島県,prefecture,,,広大;広島大\n"
    "gov-04,広島県,government,官,広島県,prefecture,,,広島県庁\n"
)
FOOTER = (
    "――\n"
    "このお知らせは自動で作成しています。\n"
    "ご不明な点は事務局までお問い合わせください："
    "中国地域産学官コラボレーションセンター collabo@example.jp\n"
)


@pytest.fixture
def settings(workdir: Path) -> Settings:
    (workdir / "members.csv").write_text(REGISTRY, encoding="utf-8")
    return load_settings(workdir / "renkei.toml")


def submit(settings: Settings, name: str, text: str) -> intake.IntakeOutcome:
    path = settings.inbox / "aca-22" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return intake.ingest_submission(settings, path, "aca-22", now=ARRIVED, raise_on_reject=False)


def receipt(outcome: intake.IntakeOutcome) -> str:
    assert outcome.receipt_path is not None
    raw = outcome.receipt_path.read_bytes()
    return raw[3:].decode("utf-8").replace("\r\n", "\n")


NAMES = (
    "件名,開催日,機関名\n"
    "高専セミナーA,2026/12/1,呉高専\n"
    "高専セミナーB,2026/12/2,国立高等専門学校機構 呉工業高等専門学校\n"
    "共催フォーラム,2026/12/3,広大\n"
    "連携講座,2026/12/4,広島大学 産学連携センター\n"
    "地域ものづくり展,2026/12/5,呉ものづくり実行委員会\n"
    "県との勉強会,2026/12/6,広島県 商工労働局\n"
)


def test_organiser_names_as_members_write_them_are_accepted(settings: Settings) -> None:
    outcome = submit(settings, "names.csv", NAMES)

    assert outcome.summary() == "names.csv: 6 rows read (utf-8), 6 new"
    assert receipt(outcome) == (
        "【受付結果】names.csv\n\n"
        "呉工業高等専門学校 ご担当者様\n\n"
        "ご提出いただいた活動報告の 6行すべてを受け付けました。\n\n"
        "  ファイル名：names.csv\n"
        "  受付日時：2026年11月20日 10:00\n"
        "  報告月：2026年11月分\n"
        "  受け付けた行：6行\n"
        "  受け付けられなかった行：0行\n\n"
        "■ 機関名（会員機関の名称と一致しないため、書かれたとおり主催者として載せます）\n"
        "6行目「地域ものづくり展」：機関名「呉ものづくり実行委員会」\n"
        "  貴機関の活動として受け付けました。会員機関の名称の書き間違いでしたら、"
        "直したファイルをお送りください。\n\n"
        "直したファイルは、同じ月分の報告としてもう一度お送りください。"
        "前回のファイルは自動で置き換わります（直した行だけでなく、すべての行を入れてください）。\n\n"
        + FOOTER
    )
    # the unknown name is kept as written with the row, which belongs to the submitter
    assert rows(
        settings, "SELECT member_id, extra FROM stg_items WHERE title = '地域ものづくり展'"
    ) == [("aca-22", '{"機関名": "呉ものづくり実行委員会"}')]


def test_each_written_form_resolves_to_its_member() -> None:
    members = pl.read_csv(
        REGISTRY.encode(), infer_schema=False, columns=["member_id", "name", "aliases"]
    )
    written = [
        "呉高専",
        "国立高等専門学校機構 呉工業高等専門学校",
        "独立行政法人国立高等専門学校機構呉工業高等専門学校",
        "広大",
        "国立大学法人 広島大学",
        "広島大学 産学連携センター",
        "広大 産学・地域連携センター",
        "広島県 商工労働局 イノベーション推進チーム",
        "広島県立総合技術研究所",  # 県立: another body, not a department of 広島県
        "呉ものづくり実行委員会",
    ]
    found = organiser_members(pl.Series(written), members)
    assert found.rows() == [
        ("呉高専", "aca-22"),
        ("国立高等専門学校機構 呉工業高等専門学校", "aca-22"),
        ("独立行政法人国立高等専門学校機構呉工業高等専門学校", "aca-22"),
        ("広大", "aca-13"),
        ("国立大学法人 広島大学", "aca-13"),
        ("広島大学 産学連携センター", "aca-13"),
        ("広大 産学・地域連携センター", "aca-13"),
        ("広島県 商工労働局 イノベーション推進チーム", "gov-04"),
        ("広島県立総合技術研究所", None),
        ("呉ものづくり実行委員会", None),
    ]


GOOD = "件名,開催日\n高専フォーラム,2026/12/10\n技術相談会,2026/12/11\n"
NO_GOOD_ROW = "件名,開催日\n高専フォーラム,2026/12/40\n,2026/12/11\n"


def test_a_correction_with_no_acceptable_row_leaves_the_earlier_file_in_force(
    settings: Settings,
) -> None:
    submit(settings, "2026-12-report.csv", GOOD)
    pipeline.normalize(settings)

    outcome = submit(settings, "2026-12-report.csv", NO_GOOD_ROW)
    pipeline.normalize(settings)

    assert outcome.summary() == (
        "2026-12-report.csv: 2 rows read (utf-8), 0 new, 2 rejected, "
        "no acceptable row: 2026-12-report.csv stays in force"
    )
    assert rows(settings, "SELECT title FROM activities ORDER BY title") == [
        ("技術相談会",),
        ("高専フォーラム",),
    ]
    assert rows(settings, "SELECT status, rows_accepted FROM submissions ORDER BY ALL") == [
        ("accepted", 0),
        ("accepted", 2),
    ]
    assert receipt(outcome) == (
        "【受付結果】2026-12-report.csv\n\n"
        "呉工業高等専門学校 ご担当者様\n\n"
        "ご提出いただいた活動報告の 2行のうち 0行を受け付けました。"
        "2行は、下の理由で受け付けられませんでした。\n\n"
        "  ファイル名：2026-12-report.csv\n"
        "  受付日時：2026年11月20日 10:00\n"
        "  報告月：2026年12月分\n"
        "  受け付けた行：0行\n"
        "  受け付けられなかった行：2行\n\n"
        "■ 受け付けられなかった行（行番号は Excel の行番号です。1行目は見出しです）\n"
        "2行目「高専フォーラム」\n"
        "  理由：開催日「2026/12/40」を日付として読めません：2026年12月40日はありません\n"
        "  直し方：開催日を「2026/12/5」「2026年12月5日」「令和8年12月5日」「R8.12.5」のように、"
        "実在する日付で書いてください。\n"
        "3行目（件名なし）\n"
        "  理由：件名が空です\n"
        "  直し方：件名（イベント名やお知らせの題名）を書いてください。\n\n"
        "■ 以前のご提出は引き続き有効です\n"
        "今回のファイルには受け付けられる行が1行もなかったため、以前の「2026-12-report.csv」"
        "を置き換えていません。以前のファイルの内容がそのまま掲載されます。\n\n"
        "直したファイルは、同じ月分の報告としてもう一度お送りください。"
        "前回のファイルは自動で置き換わります（直した行だけでなく、すべての行を入れてください）。\n\n"
        + FOOTER
    )


ENGLISH = (
    "Title,Start date,End date,Time,Venue,Summary,URL,Category,Deadline,Contact,Organizer,"
    "Remarks\n"
    "Joint Research Day,2026/12/7,2026/12/8,13:00-17:00,Kure NCT Hall,Talks and posters,"
    "https://www.example.jp/day.html,セミナー,2026/12/1,Research office,呉高専,bring a badge\n"
)


def test_english_headers_are_read_and_an_unknown_header_is_listed(settings: Settings) -> None:
    outcome = submit(settings, "english.csv", ENGLISH)

    assert outcome.summary() == "english.csv: 1 rows read (utf-8), 1 new"
    assert rows(
        settings,
        "SELECT title, starts_text, ends_text, time_text, venue, summary, url, category_text,"
        " deadline_text, contact, extra FROM stg_items",
    ) == [
        (
            "Joint Research Day", "2026/12/7", "2026/12/8", "13:00-17:00", "Kure NCT Hall",
            "Talks and posters", "https://www.example.jp/day.html", "セミナー", "2026/12/1",
            "Research office", '{"Organizer": "呉高専", "Remarks": "bring a badge"}',
        )
    ]  # fmt: skip
    assert receipt(outcome) == (
        "【受付結果】english.csv\n\n"
        "呉工業高等専門学校 ご担当者様\n\n"
        "ご提出いただいた活動報告の 1行すべてを受け付けました。\n\n"
        "  ファイル名：english.csv\n"
        "  受付日時：2026年11月20日 10:00\n"
        "  報告月：2026年11月分\n"
        "  受け付けた行：1行\n"
        "  受け付けられなかった行：0行\n\n"
        "■ 読み取らなかった列\n"
        "  ・「Remarks」\n"
        "  どの項目の見出しにも当てはまらないため、読み取っていません（内容は保存しています）。"
        "掲載してほしい内容でしたら、見出しを「件名」「開催日」「終了日」「時間」「会場」「概要」"
        "「URL」「区分」「申込締切」「問い合わせ先」「機関名」のどれかに直してください。\n\n"
        + FOOTER
    )


def test_a_file_with_no_readable_start_date_says_so_at_the_top(settings: Settings) -> None:
    outcome = submit(
        settings, "dates.csv", "件名,Event day,備考\n公開講座,12/5,要申込\n見学会,12/6,\n"
    )

    assert outcome.summary() == "dates.csv: 2 rows read (utf-8), 2 new"
    assert receipt(outcome) == (
        "【受付結果】dates.csv\n\n"
        "呉工業高等専門学校 ご担当者様\n\n"
        "※ このファイルには、開催日を読み取れた行が1行もありません。イベントの報告でしたら、"
        "「開催日」の列に日付を書いてください。下の「読み取らなかった列」もご確認ください。\n\n"
        "ご提出いただいた活動報告の 2行すべてを受け付けました。\n\n"
        "  ファイル名：dates.csv\n"
        "  受付日時：2026年11月20日 10:00\n"
        "  報告月：2026年11月分\n"
        "  受け付けた行：2行\n"
        "  受け付けられなかった行：0行\n\n"
        "■ 読み取らなかった列\n"
        "  ・「Event day」\n"
        "  ・「備考」\n"
        "  どの項目の見出しにも当てはまらないため、読み取っていません（内容は保存しています）。"
        "掲載してほしい内容でしたら、見出しを「件名」「開催日」「終了日」「時間」「会場」「概要」"
        "「URL」「区分」「申込締切」「問い合わせ先」「機関名」のどれかに直してください。\n\n"
        + FOOTER
    )


def test_another_member_named_in_kikanmei_becomes_a_co_host_after_normalise(
    settings: Settings,
) -> None:
    submit(settings, "names.csv", NAMES)
    pipeline.normalize(settings)

    organisers = rows(
        settings,
        "SELECT a.title, o.member_id, o.role, o.rule FROM activity_organisers o "
        "JOIN activities a USING (activity_id) ORDER BY a.starts_at, o.role DESC, o.member_id",
    )
    assert organisers == [
        ("高専セミナーA", "aca-22", "host", "publisher"),  # its own name: host only
        ("高専セミナーB", "aca-22", "host", "publisher"),
        ("共催フォーラム", "aca-22", "host", "publisher"),
        ("共催フォーラム", "aca-13", "co_host", "report:機関名"),  # 広大
        ("連携講座", "aca-22", "host", "publisher"),
        ("連携講座", "aca-13", "co_host", "report:機関名"),  # 広島大学 産学連携センター
        ("地域ものづくり展", "aca-22", "host", "publisher"),
        ("県との勉強会", "aca-22", "host", "publisher"),
        ("県との勉強会", "gov-04", "co_host", "report:機関名"),  # 広島県 商工労働局
    ]


def test_a_kikanmei_naming_no_member_is_kept_as_written_after_normalise_and_rebuild(
    settings: Settings,
) -> None:
    submit(settings, "names.csv", NAMES)
    query = (
        "SELECT a.title, n.name, n.rule FROM activity_organiser_names n "
        "JOIN activities a USING (activity_id) ORDER BY ALL"
    )
    pipeline.normalize(settings)
    assert rows(settings, query) == [
        ("地域ものづくり展", "呉ものづくり実行委員会", "report:機関名")
    ]

    pipeline.rebuild(settings)
    assert rows(settings, query) == [
        ("地域ものづくり展", "呉ものづくり実行委員会", "report:機関名")
    ]
    assert rows(
        settings, "SELECT count(*) FROM activity_organisers WHERE rule = 'report:機関名'"
    ) == [(3,)]


def test_a_corrected_file_without_the_kikanmei_drops_the_co_host_and_the_kept_name(
    settings: Settings,
) -> None:
    submit(settings, "names.csv", NAMES)
    pipeline.normalize(settings)
    submit(settings, "names-2.csv", NAMES.replace("機関名", "備考"))
    pipeline.normalize(settings)

    assert rows(settings, "SELECT count(*) FROM activity_organiser_names") == [(0,)]
    assert rows(
        settings, "SELECT DISTINCT member_id, role, rule FROM activity_organisers ORDER BY ALL"
    ) == [("aca-22", "host", "publisher")]


def test_an_activity_withdrawn_by_a_correction_loses_its_kept_organiser_name_at_once(
    settings: Settings,
) -> None:
    submit(settings, "names.csv", NAMES)
    pipeline.normalize(settings)
    assert rows(settings, "SELECT name FROM activity_organiser_names") == [
        ("呉ものづくり実行委員会",)
    ]
    without = "\n".join(line for line in NAMES.split("\n") if "ものづくり展" not in line)
    submit(settings, "names.csv", without)  # the correction withdraws that activity

    assert rows(settings, "SELECT count(*) FROM activity_organiser_names") == [(0,)]
