"""Issue 4, acceptance 3: the same file twice changes nothing; a corrected resubmission
replaces the earlier rows and the receipt says what changed. Quarantined rows can be
processed again (renkei requeue) once the secretariat fixes the registry."""

from __future__ import annotations

import pytest
from conftest import write_registry
from intake_support import ARRIVED, REGISTRY, drop, receipt_of, rows

from renkei import pipeline
from renkei.core.errors import SubmissionError
from renkei.core.settings import Settings, load_settings
from renkei.submissions import intake

pytestmark = pytest.mark.usefixtures("part_rows")  # each test: whole, and in parts of 2


@pytest.fixture
def settings(settings_for) -> Settings:
    return settings_for(REGISTRY)


def snapshot(settings: Settings) -> dict[str, list[tuple]]:
    return {
        table: rows(settings, f"SELECT * FROM {table} ORDER BY ALL")
        for table in ("stg_items", "quarantine", "activities", "submissions", "submission_rows")
    }


def test_the_same_file_twice_changes_nothing_and_the_receipt_says_so(settings) -> None:
    path = drop(settings, "one_bad_row.csv")
    intake.ingest_submission(settings, path, "ind-04", now=ARRIVED, raise_on_reject=False)
    pipeline.normalize(settings)
    before = snapshot(settings)
    again = intake.ingest_submission(
        settings,
        drop(settings, "one_bad_row.csv", as_name="copy.csv"),
        "ind-04",
        raise_on_reject=False,
    )
    pipeline.normalize(settings)
    assert snapshot(settings) == before
    assert again.summary() == (
        "copy.csv: 4 rows read (cp932), 0 new, 1 rejected, same file as before: nothing changed"
    )
    assert (
        "このファイルは 2026年11月20日 10:00 に受け付けたものと同じ内容です。"
        "今回のご提出で変わったことはありません。"
    ) in receipt_of(settings.inbox / "ind-04" / "copy.csv")


def test_a_corrected_resubmission_replaces_the_earlier_rows(settings) -> None:
    first = intake.ingest_submission(
        settings, drop(settings, "2026-12-report.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    assert first.period == "2026-12"
    pipeline.normalize(settings)
    assert [t for (t,) in rows(settings, "SELECT title FROM activities ORDER BY title")] == [
        "創業セミナー",
        "年末相談会",
        "新春交流会",
    ]
    corrected = intake.ingest_submission(
        settings,
        drop(settings, "2026-12-report-corrected.csv"),
        "ind-04",
        now=ARRIVED,
        raise_on_reject=False,
    )
    assert corrected.summary() == (
        "2026-12-report-corrected.csv: 3 rows read (cp932), 3 new, "
        "replaces 2026-12-report.csv (1 added, 1 changed, 1 withdrawn)"
    )
    report = pipeline.normalize(settings)
    assert report.summary() == "3 staged rows -> 3 activities, 0 quarantined"
    assert rows(settings, "SELECT title, venue FROM activities ORDER BY title") == [
        ("事業承継セミナー", "会議室B"),
        ("年末相談会", "本所 相談室"),
        ("新春交流会", "ホテル岡山 2階 鶴の間"),
    ]
    assert rows(settings, "SELECT file_name, status FROM submissions ORDER BY file_name") == [
        ("2026-12-report-corrected.csv", "accepted"),
        ("2026-12-report.csv", "superseded"),
    ]
    assert (
        "■ 前回のご提出からの変更\n"
        "以前の「2026-12-report.csv」を今回のファイルで置き換えました。\n"
        "  追加：1件\n"
        "    ・「事業承継セミナー」（2026-12-18）\n"
        "  変更：1件\n"
        "    ・「新春交流会」（2027-01-10）\n"
        "  取り下げ：1件\n"
        "    ・「創業セミナー」（2026-12-12）\n"
    ) in receipt_of(settings.inbox / "ind-04" / "2026-12-report-corrected.csv")


def test_a_file_for_another_month_with_no_common_row_is_added_not_replaced(settings) -> None:
    intake.ingest_submission(
        settings, drop(settings, "2026-12-report.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    other = intake.ingest_submission(
        settings,
        drop(settings, "excel_unicode_text.txt"),
        "ind-04",
        now=ARRIVED,
        raise_on_reject=False,
    )
    assert other.replaced == []
    assert rows(settings, "SELECT count(*) FROM submissions WHERE status = 'accepted'") == [(2,)]


def test_requeue_loads_rows_once_the_registry_names_their_co_organiser(settings) -> None:
    outcome = intake.ingest_submission(
        settings,
        drop(settings, "one_bad_row.csv", as_name="co.csv"),
        "ind-04",
        now=ARRIVED,
        raise_on_reject=False,
    )
    assert outcome.rejected == 1
    # the secretariat registers 架空大学 and fixes nothing else: the row still lacks a title
    write_registry(
        settings.registry.parent, [*REGISTRY, "aca-99,架空大学,academia,学,岡山県,prefecture,,"]
    )
    again = intake.requeue(load_settings(settings.source), outcome.sha256[:8])
    assert [o.summary() for o in again] == ["co.csv: 4 rows read (cp932), 0 new, 1 rejected"]
    assert again[0].verdicts[1].reasons == [
        "件名が空です",
        "URL「javascript:alert(1)」が正しくありません",
    ]
    assert rows(settings, "SELECT count(*) FROM quarantine") == [(1,)]
    assert rows(settings, "SELECT count(*) FROM stg_items") == [(3,)]
    # the new receipt goes to the member's two contact addresses again
    assert again[0].mailed_to == [
        "info@okayama-cci.example.jp",
        "jimu@okayama-cci.example.jp",
    ]


def test_requeue_of_an_unknown_hash_names_it(settings) -> None:
    intake.ingest_submission(
        settings, drop(settings, "cp932_japanese.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    with pytest.raises(SubmissionError, match="--sha256 abcdef: no current submission"):
        intake.requeue(settings, "abcdef")


def test_requeue_after_a_header_alias_is_added_stages_the_rows(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from renkei.submissions import read as submissions

    path = settings.inbox / "ind-04" / "aliases.csv"
    path.parent.mkdir(parents=True)
    path.write_text("催し名,開催日\n新しい見出しの行,2026/12/24\n", encoding="utf-8")
    first = intake.ingest_submission(settings, path, "ind-04", now=ARRIVED, raise_on_reject=False)
    assert (
        first.error == "aliases.csv: 件名（タイトル）の列が見つかりません。見出し行: 催し名, 開催日"
    )
    monkeypatch.setitem(submissions._LOOKUP, submissions.header_key("催し名"), "title")
    again = intake.requeue(settings, first.sha256[:10])
    assert [o.summary() for o in again] == ["aliases.csv: 1 rows read (utf-8), 1 new"]
    assert rows(settings, "SELECT status, rows_accepted FROM submissions") == [("accepted", 1)]
    assert rows(settings, "SELECT count(*) FROM quarantine") == [(0,)]


def test_a_fixed_file_replaces_one_that_could_not_be_read(settings) -> None:
    broken = intake.ingest_submission(
        settings, drop(settings, "undecodable.csv", as_name="2026-12-report.csv"), "ind-04",
        now=ARRIVED, raise_on_reject=False)  # fmt: skip
    assert broken.error is not None
    fixed = intake.ingest_submission(
        settings, drop(settings, "2026-12-report.csv"), "ind-04", raise_on_reject=False
    )
    assert fixed.replaced == ["2026-12-report.csv"]
    assert rows(settings, "SELECT status FROM submissions ORDER BY received_at") == [
        ("superseded",),
        ("accepted",),
    ]
    assert rows(settings, "SELECT count(*) FROM quarantine") == [(0,)]


def test_two_members_sending_the_same_file_each_get_their_rows(settings) -> None:
    for member_id in ("ind-04", "aca-13"):
        path = drop(settings, "2026-12-report.csv", member_id=member_id)
        intake.ingest_submission(settings, path, member_id, now=ARRIVED, raise_on_reject=False)
    pipeline.normalize(settings)
    assert rows(
        settings, "SELECT member_id, count(*) FROM stg_items GROUP BY ALL ORDER BY ALL"
    ) == [("aca-13", 3), ("ind-04", 3)]
    assert rows(
        settings, "SELECT member_id, count(*) FROM activity_organisers GROUP BY ALL ORDER BY ALL"
    ) == [("aca-13", 3), ("ind-04", 3)]


def test_the_same_file_from_two_members_keeps_each_members_rejected_rows(settings) -> None:
    """A shared template filled in once and sent by two members is two submissions: each
    keeps its own quarantined rows, and one member's correction leaves the other's alone."""
    intake.ingest_submission(
        settings, drop(settings, "one_bad_row.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    intake.ingest_submission(
        settings,
        drop(settings, "one_bad_row.csv", member_id="aca-13"),
        "aca-13",
        now=ARRIVED,
        raise_on_reject=False,
    )
    query = "SELECT member_id, position, reason FROM quarantine ORDER BY member_id, position"
    both = rows(settings, query)
    assert [(m, p) for m, p, _ in both] == [("aca-13", 1), ("ind-04", 1)]
    assert all("件名が空です" in reason for _, _, reason in both)

    corrected = drop(settings, "2026-12-report.csv", as_name="one_bad_row.csv")
    intake.ingest_submission(
        settings, corrected, "ind-04", now=ARRIVED, raise_on_reject=False
    )  # replaces ind-04's file
    assert [(m, p) for m, p, _ in rows(settings, query)] == [("aca-13", 1)]
