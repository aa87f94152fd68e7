"""Executable data contracts: frames at the transforms boundary, table invariants after
normalise (normalize / rebuild refuse to commit a broken table), and `renkei doctor`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from renkei import pipeline
from renkei.core.settings import Settings
from renkei.core.staging import stage_rows, staged_frame
from renkei.doctor import diagnose
from renkei.feeds.parse import parse_feed
from renkei.normalize.invariants import InvariantError, invariant_failures
from renkei.normalize.rules import load_rules
from transforms.activities import build_activities
from transforms.contracts import ACTIVITIES, QUARANTINE, STAGED, ContractError, check
from warehouse.connection import open_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
CATEGORIES = "event, call, news, success_case, training, other"
REGISTRY = [
    "univ,国立大学法人テスト大学,academia,学,鳥取県,prefecture,,",
    "cci,テスト商工会議所,industry,産,岡山県,prefecture,,",
]


def _staged(*titles: str | None) -> pl.DataFrame:
    rows = [
        {"position": i, "title": title, "starts_text": "2026/12/10"}
        for i, title in enumerate(titles)
    ]
    return staged_frame(
        rows,
        raw_sha256="a" * 64,
        source_kind="csv",
        member_id="cci",
        source_ref="report.csv",
        staged_at=datetime(2026, 11, 12, tzinfo=UTC),
    )


def _built() -> tuple[pl.DataFrame, pl.DataFrame]:
    return build_activities(_staged("講座", "セミナー", None), load_rules(None))


def _message(exc: pytest.ExceptionInfo[ContractError]) -> str:
    return str(exc.value)


# --- frames at the boundary ------------------------------------------------------------


def test_frames_built_from_staged_rows_keep_all_three_contracts() -> None:
    staged = _staged("講座", "セミナー", None)
    activities, quarantine = build_activities(staged, load_rules(None))

    check(staged, STAGED)
    check(activities, ACTIVITIES)
    check(quarantine, QUARANTINE)
    assert (activities.height, quarantine.height) == (2, 1)


def test_empty_frames_with_the_right_columns_keep_their_contracts() -> None:
    activities, quarantine = build_activities(_staged(), load_rules(None))

    check(activities, ACTIVITIES)
    check(quarantine, QUARANTINE)


def test_staged_frame_with_an_unknown_source_kind_and_a_null_lineage_id_is_refused() -> None:
    staged = _staged("講座", "セミナー").with_columns(
        source_kind=pl.lit("rss"),
        stage_id=pl.when(pl.col("position") == 1).then(pl.col("stage_id")),
    )

    with pytest.raises(ContractError) as exc:
        check(staged, STAGED)

    assert _message(exc) == (
        "staged contract: column stage_id has 1 null value(s) (e.g. row 0); "
        "column source_kind has 2 value(s) outside feed, csv (e.g. row 0: 'rss')"
    )
    assert exc.value.contract == "staged"


def test_staged_frame_with_a_repeated_stage_id_is_refused() -> None:
    staged = _staged("講座", "セミナー")
    repeated = pl.concat([staged, staged.head(1)])

    with pytest.raises(ContractError) as exc:
        check(repeated, STAGED)

    first = staged.get_column("stage_id")[0]
    assert _message(exc) == (
        f"staged contract: key stage_id has 1 duplicate row(s) (e.g. row 0: '{first}')"
    )


def test_staged_frame_lacking_columns_names_them_all() -> None:
    with pytest.raises(ContractError) as exc:
        check(_staged("講座").drop("stage_id", "staged_at"), STAGED)

    assert _message(exc) == "staged contract: missing column(s) stage_id, staged_at"


def test_staged_text_columns_may_be_all_null_but_position_must_be_int64() -> None:
    staged = _staged("講座").with_columns(venue=pl.lit(None, pl.Null))
    check(staged, STAGED)

    with pytest.raises(ContractError) as exc:
        check(staged.with_columns(pl.col("position").cast(pl.String)), STAGED)

    assert _message(exc) == "staged contract: column position is String, expected Int64"


def test_activities_with_a_duplicate_id_a_blank_title_and_an_unknown_category_are_refused() -> None:
    activities, _ = _built()
    first_id = activities.get_column("activity_id")[0]
    broken = activities.with_columns(
        activity_id=pl.lit(first_id),
        title=pl.when(pl.col("title") == "セミナー").then(pl.lit("\u3000")).otherwise("title"),
        category=pl.lit("seminar"),
        guideline=pl.lit(4, pl.Int8),
    )

    with pytest.raises(ContractError) as exc:
        check(broken, ACTIVITIES)

    assert _message(exc) == (
        "activities contract: column title has 1 blank value(s) (e.g. row 1: '\\u3000'); "
        f"column category has 2 value(s) outside {CATEGORIES} (e.g. row 0: 'seminar'); "
        "column guideline has 2 value(s) outside 1, 2, 3 (e.g. row 0: 4); "
        f"key activity_id has 1 duplicate row(s) (e.g. row 0: '{first_id}')"
    )


def test_activities_with_a_null_title_or_an_unknown_source_are_refused() -> None:
    activities, _ = _built()
    broken = activities.with_columns(title=pl.lit(None, pl.String), source=pl.lit("mail"))

    with pytest.raises(ContractError) as exc:
        check(broken, ACTIVITIES)

    assert _message(exc) == (
        "activities contract: column title has 2 null value(s) (e.g. row 0); "
        "column source has 2 value(s) outside feed, csv (e.g. row 0: 'mail')"
    )


def test_activities_with_a_wrong_dtype_are_refused_before_any_row_is_read() -> None:
    activities, _ = _built()

    with pytest.raises(ContractError) as exc:
        check(activities.with_columns(pl.col("guideline").cast(pl.Int64)), ACTIVITIES)

    assert _message(exc) == "activities contract: column guideline is Int64, expected Int8"


def test_quarantine_rows_without_a_reason_or_member_are_refused() -> None:
    _, quarantine = _built()
    broken = pl.concat([quarantine, quarantine]).with_columns(
        reason=pl.Series([" ", None]), member_id=pl.lit(None, pl.String)
    )

    with pytest.raises(ContractError) as exc:
        check(broken, QUARANTINE)

    stage_id = quarantine.get_column("stage_id")[0]
    assert _message(exc) == (
        "quarantine contract: column member_id has 2 null value(s) (e.g. row 0); "
        "column reason has 1 null value(s) (e.g. row 1); "
        "column reason has 1 blank value(s) (e.g. row 0: ' '); "
        f"key stage_id has 1 duplicate row(s) (e.g. row 0: '{stage_id}')"
    )


def test_contract_error_is_a_value_error_listing_each_problem() -> None:
    with pytest.raises(ValueError) as exc:
        check(_staged("講座").with_columns(source_kind=pl.lit("x")), STAGED)

    assert isinstance(exc.value, ContractError)
    assert exc.value.problems == [
        "column source_kind has 1 value(s) outside feed, csv (e.g. row 0: 'x')"
    ]


# --- table invariants after normalise ----------------------------------------------------


def _stage_feed(settings: Settings) -> None:
    parsed = parse_feed((FIXTURES / "univ.rdf").read_bytes(), url="https://x.example.jp/univ.rdf")
    frame = staged_frame(
        parsed.rows,
        raw_sha256="b" * 64,
        source_kind="feed",
        member_id="univ",
        source_ref="univ.rdf",
        staged_at=datetime(2026, 11, 13, 1, tzinfo=UTC),
    )
    with open_warehouse(settings.warehouse) as con:
        stage_rows(con, frame)


@pytest.fixture
def normalised(settings_for) -> Settings:
    """A real warehouse file: a CSV report submitted and normalised."""
    settings = settings_for(REGISTRY)
    pipeline.ingest_submission(settings, FIXTURES / "cci-report.csv", "cci")
    pipeline.normalize(settings)
    return settings


def _invariants_check(settings: Settings):
    checks = diagnose(settings.source, api=None)
    return next(c for c in checks if c.name == "activities invariants")


def _count(settings: Settings) -> int:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute("SELECT count(*) FROM activities").fetchall()[0][0]


def test_a_real_normalise_and_rebuild_keep_every_invariant(normalised: Settings) -> None:
    _stage_feed(normalised)
    pipeline.normalize(normalised)
    pipeline.rebuild(normalised)

    with open_warehouse(normalised.warehouse, read_only=True) as con:
        assert invariant_failures(con) == []
        assert con.execute("SELECT count(*) FROM activity_organisers").fetchall()[0][0] > 0
    check_ = _invariants_check(normalised)
    assert (check_.mark, check_.detail) == ("ok", "8 kept")


def test_normalize_does_not_commit_a_table_that_breaks_an_invariant(normalised: Settings) -> None:
    before = _count(normalised)
    with open_warehouse(normalised.warehouse) as con:  # a stale row from a broken past write
        con.execute(
            "INSERT INTO activities BY NAME SELECT * REPLACE ('stale' AS activity_id, ' ' AS title)"
            " FROM activities LIMIT 1"
        )
    _stage_feed(normalised)  # new rows that this normalise would add

    with pytest.raises(InvariantError) as exc:
        pipeline.normalize(normalised)

    assert str(exc.value) == (
        "activities invariants broken: activities.title: 1 null or blank (e.g. stale)"
    )
    assert _count(normalised) == before + 1  # the feed's activities were rolled back


def test_normalize_does_not_commit_a_duplicated_activity_or_organiser(
    normalised: Settings,
) -> None:
    """The tables have no keys (migration 029): the invariants are what keeps them unique."""
    with open_warehouse(normalised.warehouse) as con:  # a broken past write, twice over
        first = con.execute("SELECT min(activity_id) FROM activities").fetchall()[0][0]
        con.execute(
            "INSERT INTO activities SELECT * FROM activities WHERE activity_id = ?", [first]
        )
        con.execute(
            "INSERT INTO activity_organisers SELECT * FROM activity_organisers"
            " WHERE activity_id = ?",
            [first],
        )
        member = con.execute(
            "SELECT min(member_id) FROM activity_organisers WHERE activity_id = ?", [first]
        ).fetchall()[0][0]
    with open_warehouse(normalised.warehouse, read_only=True) as con:
        assert invariant_failures(con) == [
            f"activities.activity_id: 1 duplicated or null (e.g. {first})",
            f"activity_organisers.(activity_id, member_id): 1 duplicated (e.g. {first} / {member})",
        ]
    before = _count(normalised)
    _stage_feed(normalised)

    with pytest.raises(InvariantError, match=r"activities.activity_id: 1 duplicated or null"):
        pipeline.normalize(normalised)

    assert _count(normalised) == before  # the feed's activities were rolled back


def test_doctor_names_a_null_title_and_an_unknown_category_in_the_warehouse(
    normalised: Settings,
) -> None:
    with open_warehouse(normalised.warehouse) as con:
        first, second = [
            r[0] for r in con.execute("SELECT activity_id FROM activities ORDER BY 1").fetchall()
        ]
        con.execute("ALTER TABLE activities ALTER COLUMN title DROP NOT NULL")
        con.execute("UPDATE activities SET title = NULL WHERE activity_id = ?", [first])
        con.execute("UPDATE activities SET category = 'seminar' WHERE activity_id = ?", [second])

    check_ = _invariants_check(normalised)

    assert check_.mark == "broken"
    assert check_.line() == (
        f"✗ activities invariants: activities.title: 1 null or blank (e.g. {first}); "
        f"activities.category: 1 not in {CATEGORIES} (e.g. {second} (seminar))\n"
        "    → run `renkei rebuild` (recomputes activities from staging); if that fails too, "
        "report it with this line"
    )


def test_doctor_invariants_check_is_fine_before_the_warehouse_exists(settings_for) -> None:
    settings = settings_for(REGISTRY)
    assert not settings.warehouse.exists()

    check_ = _invariants_check(settings)

    assert (check_.mark, check_.detail) == ("ok", "no warehouse yet (nothing to check)")
