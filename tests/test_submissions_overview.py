"""`renkei submissions`: a report month at a glance — who sent what, what became of it, and
which members without a feed have sent nothing yet."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from intake_support import ARRIVED, REGISTRY, drop

from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from renkei.submissions import intake
from renkei.submissions.overview import (
    counts_line,
    format_overview,
    parse_period,
    read_overview,
)

WITH_FEED = "uni-01,岡山大学,academia,学,岡山県,prefecture,https://www.example.ac.jp/feed.xml,"


@pytest.fixture
def settings(settings_for) -> Settings:
    return settings_for([*REGISTRY, WITH_FEED])


def test_the_month_lists_each_file_and_the_silent_members_without_a_feed(settings) -> None:
    intake.ingest_submission(
        settings, drop(settings, "one_bad_row.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    intake.ingest_submission(
        settings, drop(settings, "undecodable.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    frame = read_overview(settings, "2026-11")
    reason = "文字コードを判別できません（UTF-8・Shift_JIS(CP932)・UTF-16 のいずれでもありません）"
    assert format_overview(frame).splitlines() == [
        "状態        会員ID  機関名                  ファイル         受付日時          受付行  要修正行  備考",  # noqa: E501
        "受付不可    ind-04  岡山県商工会議所連合会  undecodable.csv  2026-11-20 10:00       0         0  " + reason,  # noqa: E501
        "一部要修正  ind-04  岡山県商工会議所連合会  one_bad_row.csv  2026-11-20 10:00       3         1",  # noqa: E501
        "未提出      aca-13  国立大学法人広島大学    -                -                      -         -",  # noqa: E501
    ]  # fmt: skip
    assert counts_line(frame, "2026-11") == (
        "2026年11月分: 1 機関から 2 ファイル（受付不可 1、一部要修正 1）、"
        "未提出 1 機関（フィードのない会員）"
    )


def test_a_correction_shows_once_with_what_it_replaced(settings) -> None:
    intake.ingest_submission(
        settings, drop(settings, "2026-12-report.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    corrected = drop(settings, "2026-12-report-corrected.csv")
    intake.ingest_submission(settings, corrected, "ind-04", now=ARRIVED, raise_on_reject=False)
    rows = read_overview(settings, "2026-12").select("state", "member_id", "file_name")
    assert rows.rows() == [  # what needs attention first: the silent member
        ("未提出", "aca-13", None),
        ("受付", "ind-04", "2026-12-report-corrected.csv"),
    ]
    assert "以前の 1 ファイルを置き換え" in format_overview(read_overview(settings, "2026-12"))


def test_the_report_month_is_checked_and_defaults_to_this_month_in_japan() -> None:
    assert parse_period(None, datetime(2026, 11, 30, 15, 30, tzinfo=UTC)) == "2026-12"
    assert parse_period("2026-11") == "2026-11"
    with pytest.raises(RenkeiError, match="--period 2026-13: give the report month as YYYY-MM"):
        parse_period("2026-13")


def test_the_command_prints_the_table_the_counts_and_the_legend(settings) -> None:
    intake.ingest_submission(
        settings, drop(settings, "one_bad_row.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    shown = subprocess.run(
        [sys.executable, "-m", "renkei", "submissions", "--period", "2026-11",
         "--config", str(settings.registry.parent / "renkei.toml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-2:] == [
        "2026年11月分: 1 機関から 1 ファイル（一部要修正 1）、未提出 1 機関（フィードのない会員）",
        "状態: 受付不可＝ファイルを読めず全体を受け付けず / 一部要修正＝受け付けられない行あり / "
        "未提出＝フィードのない会員で、この月分の提出なし / 受付＝全行受付",
    ]
