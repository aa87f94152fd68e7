"""normalize / rebuild / classify on a real DuckDB file: merges, overrides, reproducibility."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest
from conftest import Ran, renkei_cli

from renkei import pipeline
from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from renkei.core.staging import stage_rows, staged_frame
from renkei.feeds.parse import parse_feed
from warehouse.connection import open_warehouse
from warehouse.migrations import available, migrate

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
FORUM = "やまなみ産学金連携フォーラム2026 ～新事業の芽～"
JST = ZoneInfo("Asia/Tokyo")


def _stage_feed(settings: Settings, name: str, member_id: str, at: datetime) -> None:
    parsed = parse_feed((FIXTURES / name).read_bytes(), url=f"https://x.example.jp/{name}")
    frame = staged_frame(
        parsed.rows,
        raw_sha256=name.ljust(64, "0"),
        source_kind="feed",
        member_id=member_id,
        source_ref=name,
        staged_at=at,
    )
    with open_warehouse(settings.warehouse) as con:
        stage_rows(con, frame)


@pytest.fixture
def staged(settings_for) -> Settings:
    settings = settings_for(
        [
            "univ,国立大学法人テスト大学,academia,学,鳥取県,prefecture,,",
            "bank,株式会社やまなみ銀行,finance,金,島根県,region,,",
            "cci,テスト商工会議所,industry,産,岡山県,prefecture,,",
        ]
    )
    receipt = pipeline.ingest_submission(settings, FIXTURES / "cci-report.csv", "cci")
    assert "2 rows read" in receipt.summary()
    _stage_feed(settings, "univ.rdf", "univ", datetime(2026, 11, 13, 1, tzinfo=UTC))
    _stage_feed(settings, "bank.rss", "bank", datetime(2026, 11, 12, 6, tzinfo=UTC))
    return settings


def frame(settings: Settings, query: str) -> pl.DataFrame:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.sql(query).pl()


def snapshot(settings: Settings) -> dict[str, list[tuple]]:
    return {
        "activities": frame(
            settings, "SELECT * EXCLUDE (updated_at), updated_at FROM activities ORDER BY 1"
        ).rows(),
        "organisers": frame(
            settings, "SELECT * FROM activity_organisers ORDER BY activity_id, member_id"
        ).rows(),
        "merges": frame(settings, "SELECT * FROM activity_merges ORDER BY 1").rows(),
        "quarantine": frame(
            settings,
            "SELECT * EXCLUDE (quarantined_at) FROM quarantine WHERE stage = 'normalize'"
            " ORDER BY raw_sha256, position",
        ).rows(),
    }


def forum_id(settings: Settings) -> str:
    found = frame(
        settings,
        "SELECT activity_id FROM activities WHERE title LIKE 'やまなみ%'"
        " AND starts_at::DATE = DATE '2026-12-10'",
    )
    assert found.height == 1
    return found.item()


def test_cohosted_forum_from_three_sources_is_one_activity_with_three_organisers(
    staged: Settings,
) -> None:
    report = pipeline.normalize(staged)
    assert report.summary() == "7 staged rows -> 5 activities, 0 quarantined, 2 merged"
    fid = forum_id(staged)
    organisers = frame(
        staged,
        "SELECT member_id, role, rule FROM activity_organisers WHERE activity_id = "
        f"'{fid}' ORDER BY role DESC, member_id",
    )
    host = frame(staged, f"SELECT member_id FROM activities WHERE activity_id = '{fid}'").item()
    assert organisers.filter(pl.col("role") == "host").rows() == [(host, "host", "publisher")]
    assert sorted(organisers["member_id"]) == ["bank", "cci", "univ"]
    merges = frame(staged, "SELECT activity_id, rule, score FROM activity_merges")
    assert merges.rows() == [(fid, "same_title_date", 1.0)] * 2
    # The same title two months later is the second forum, not a duplicate.
    later = frame(staged, "SELECT starts_at FROM activities WHERE title LIKE 'やまなみ%'")
    assert sorted(t.date() for t in later["starts_at"]) == [date(2026, 12, 10), date(2027, 2, 4)]
    # first_seen_at: the earliest staging of any of the merged rows (the bank feed).
    first_seen = frame(staged, f"SELECT first_seen_at FROM activities WHERE activity_id='{fid}'")
    assert first_seen.item() == datetime(2026, 11, 12, 6, tzinfo=UTC)


def test_member_stats_count_hosting_and_co_hosting(staged: Settings) -> None:
    pipeline.normalize(staged)
    stats = frame(
        staged,
        "SELECT member_id, hosted + co_hosted AS total, co_hosted > 0 AS cohosts"
        " FROM member_activity_stats ORDER BY member_id",
    )
    fid = forum_id(staged)
    host = frame(staged, f"SELECT member_id FROM activities WHERE activity_id = '{fid}'").item()
    # bank: forum + 商談会; cci: 講座 + forum; univ: forum, the 2027 forum, 公募.
    assert stats.rows() == [
        ("bank", 2, host != "bank"),
        ("cci", 2, host != "cci"),
        ("univ", 3, host != "univ"),
    ]
    assert frame(staged, "SELECT sum(hosted) FROM member_activity_stats").item() == 5


def test_classify_override_wins_over_rules_and_survives_normalize(staged: Settings) -> None:
    pipeline.normalize(staged)
    fid = forum_id(staged)
    said = pipeline.classify(staged, fid, "training", "山田")
    assert said == f"{fid} {FORUM}: event -> training (by 山田)"
    pipeline.normalize(staged)
    row = frame(staged, f"SELECT category, category_rule FROM activities WHERE activity_id='{fid}'")
    assert row.rows() == [("training", "override:山田")]
    audit = frame(staged, "SELECT actor, action, subject FROM audit_log WHERE action='classify'")
    assert audit.rows() == [("山田", "classify", fid)]


def test_classify_refuses_unknown_category_and_activity(staged: Settings) -> None:
    pipeline.normalize(staged)
    with pytest.raises(RenkeiError, match="分類「seminar」は使えません"):
        pipeline.classify(staged, forum_id(staged), "seminar", "山田")
    with pytest.raises(RenkeiError, match="活動 nope は activities にありません"):
        pipeline.classify(staged, "nope", "event", "山田")


def test_rebuild_reproduces_activities_exactly_overrides_included(staged: Settings) -> None:
    pipeline.normalize(staged)
    pipeline.classify(staged, forum_id(staged), "call", "事務局")
    before = snapshot(staged)
    report = pipeline.rebuild(staged)
    assert report.summary() == "7 staged rows -> 5 activities, 0 quarantined, 2 merged"
    assert snapshot(staged) == before
    assert ("call", "override:事務局") in [(r[9], r[10]) for r in before["activities"]]


def test_rebuild_after_dropping_the_table_gives_the_same_rows(staged: Settings) -> None:
    pipeline.normalize(staged)
    before = snapshot(staged)
    with open_warehouse(staged.warehouse) as con:
        con.execute("DELETE FROM activities")
    pipeline.rebuild(staged)
    after = snapshot(staged)
    # Without the old rows only updated_at (when the content last changed) can differ.
    drop_updated = [r[:-1] for r in before["activities"]]
    assert [r[:-1] for r in after["activities"]] == drop_updated
    assert {k: v for k, v in after.items() if k != "activities"} == {
        k: v for k, v in before.items() if k != "activities"
    }


def test_migration_002_upgrades_a_001_warehouse_and_keeps_its_rows(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    version, name, text = available()[0]
    assert (version, name) == (1, "init")
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL)"
    )
    con.execute(text)
    con.execute("INSERT INTO schema_version VALUES (1, 'init', now())")
    con.execute(
        "INSERT INTO activities (activity_id, member_id, source, title, title_key, category,"
        " category_rule, all_day, content_sha256, first_seen_at, updated_at) VALUES"
        " ('a1', 'univ', 'feed', 'セミナー', 'セミナー', 'event', 'keyword:セミナー', true,"
        " 'x', TIMESTAMPTZ '2026-11-01 00:00:00+09', TIMESTAMPTZ '2026-11-01 00:00:00+09')"
    )
    applied = migrate(con)
    assert applied[0] == 2 and applied == sorted(applied)
    assert con.execute("SELECT activity_id, title FROM activities").fetchall() == [
        ("a1", "セミナー")
    ]
    assert con.execute("SELECT count(*) FROM activity_overrides").fetchall() == [(0,)]
    assert migrate(con) == []
    con.close()


def test_cli_classify_and_rebuild(staged: Settings) -> None:
    pipeline.normalize(staged)
    fid = forum_id(staged)

    def renkei(*args: str) -> Ran:
        return renkei_cli(*args, "-c", str(staged.source))

    done = renkei("classify", fid, "news", "--by", "佐藤")
    assert (done.returncode, done.stdout) == (0, f"{fid} {FORUM}: event -> news (by 佐藤)\n")
    missing = renkei("classify", "nope", "news")
    assert missing.returncode == 1
    assert missing.stderr == "error: classify: 活動 nope は activities にありません\n"
    rebuilt = renkei("rebuild")
    assert rebuilt.stdout == "7 staged rows -> 5 activities, 0 quarantined, 2 merged\n"
    row = frame(staged, f"SELECT category, category_rule FROM activities WHERE activity_id='{fid}'")
    assert row.rows() == [("news", "override:佐藤")]


def test_marts_select_upcoming_events_open_calls_and_period_news(staged: Settings) -> None:
    pipeline.normalize(staged)
    today = datetime.now(JST).date()
    every = frame(staged, "SELECT * FROM activities ORDER BY activity_id")
    upcoming = [
        r["activity_id"]
        for r in every.sort("starts_at", "activity_id").iter_rows(named=True)
        if r["category"] == "event"
        and r["starts_at"] is not None
        and (r["ends_at"] or r["starts_at"]).astimezone(JST).date() >= today
    ]
    assert frame(staged, "SELECT activity_id FROM upcoming_events")["activity_id"].to_list() == (
        upcoming
    )
    # The calls have no deadline field; the 公募 has 申込締切：2026年12月25日 in its text
    # (read into deadline_at): it is open until that day has passed.
    calls = frame(staged, "SELECT title, deadline_at FROM open_calls ORDER BY title")
    deadline = datetime(2026, 12, 25, tzinfo=JST)
    assert calls.rows() == [
        ("ビジネスマッチング商談会 参加企業募集", None),
        *([("共同研究テーマ公募のお知らせ", deadline)] if today <= deadline.date() else []),
    ]
    assert (
        frame(staged, "SELECT count(*) FROM period_news").item()
        == every.filter(pl.col("category").is_in(["news", "success_case"])).height
    )


def test_report_organisers_follow_a_merge_and_a_rebuild_gives_them_back(
    staged: Settings, tmp_path: Path
) -> None:
    # cci reports the forum (the bank's activity on 12/10, merged) naming the bank, a 商談会
    # naming univ's centre and a 交流会 naming an outside committee.
    report = tmp_path / "cci-organisers.csv"
    report.write_text(
        f"件名,開催日,機関名\n{FORUM},2026/12/10,株式会社やまなみ銀行 地域振興部\n"
        "商談会,2026/12/11,テスト大学 産学連携センター\n"
        "交流会,2026/12/12,やまなみ交流会実行委員会\n",
        encoding="utf-8",
    )
    pipeline.ingest_submission(staged, report, "cci")
    pipeline.normalize(staged)
    organisers = (
        "SELECT a.title, strftime(a.starts_at AT TIME ZONE 'Asia/Tokyo', '%Y-%m-%d'), "
        "o.member_id, o.role, o.rule FROM activity_organisers o JOIN activities a "
        "USING (activity_id) WHERE activity_id IN "
        "(SELECT activity_id FROM activity_organisers WHERE member_id = 'cci') ORDER BY ALL"
    )
    names = (
        "SELECT a.title, n.name, n.rule FROM activity_organiser_names n "
        "JOIN activities a USING (activity_id) ORDER BY ALL"
    )
    before = (frame(staged, organisers).rows(), frame(staged, names).rows())
    assert before == (
        [
            (FORUM, "2026-12-10", "bank", "host", "publisher"),  # named: already its host
            (FORUM, "2026-12-10", "cci", "co_host", "merge:same_title_date"),
            (FORUM, "2026-12-10", "univ", "co_host", "merge:same_title_date"),
            ("交流会", "2026-12-12", "cci", "host", "publisher"),
            ("商談会", "2026-12-11", "cci", "host", "publisher"),
            ("商談会", "2026-12-11", "univ", "co_host", "report:機関名"),
        ],
        [("交流会", "やまなみ交流会実行委員会", "report:機関名")],
    )

    pipeline.rebuild(staged)
    assert (frame(staged, organisers).rows(), frame(staged, names).rows()) == before


def test_a_full_normalise_that_runs_out_of_duckdb_memory_runs_again_without_the_limit(
    staged: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from renkei.normalize import activities as normalize_module

    pipeline.normalize(staged)
    expected = snapshot(staged)
    compute = normalize_module._compute
    limits: list[str] = []

    def once_out_of_memory(con, *args, **kwargs):
        limits.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        if len(limits) == 1:
            raise duckdb.OutOfMemoryException("failed to pin block (test)")
        return compute(con, *args, **kwargs)

    write = normalize_module._write
    write_limits: list[str] = []

    def recording_write(con, *args, **kwargs):
        write_limits.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        return write(con, *args, **kwargs)

    monkeypatch.setattr(normalize_module, "_compute", once_out_of_memory)
    monkeypatch.setattr(normalize_module, "_write", recording_write)
    report = normalize_module.normalize(staged, full=True)
    assert report.activities == len(expected["activities"])
    assert snapshot(staged) == expected
    assert limits[0] != limits[1]  # the second run has DuckDB's own (larger) limit
    assert limits[0] == "183.1 MiB"  # 192 MB while staging is read
    assert write_limits == [limits[1]]  # the second run writes without a limit of ours too
    assert list(staged.warehouse.parent.glob("*.normalize-*")) == []  # both payloads removed

    monkeypatch.setattr(normalize_module, "_compute", compute)
    normalize_module.normalize(staged, full=True)
    assert write_limits[1] == "488.2 MiB"  # 512 MB for the writes when nothing ran out


def test_a_full_normalise_keeps_the_built_text_in_files_only_until_it_ends(
    staged: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The built activities' text waits in Parquet parts beside the warehouse (only the
    columns merging needs stay in memory) when staging is more than one part (here: made
    so); the folder goes when the run ends, also when the run fails."""
    from renkei.normalize import activities as normalize_module

    monkeypatch.setattr(normalize_module, "SPILL_FROM_ROWS", 0)
    spilled: list[list[str]] = []
    held: list[tuple[int, int]] = []
    write = normalize_module._write

    def looking_write(con, result, now):
        spilled.append(sorted(p.name for p in result.payload.folder.iterdir()))
        kept_text = result.activities.get_column("summary").drop_nulls().to_list()
        held.append((result.activities.height, len(kept_text)))
        assert all("共催" in text or "主催" in text for text in kept_text)  # organisers named
        return write(con, result, now)

    monkeypatch.setattr(normalize_module, "_write", looking_write)
    pipeline.normalize(staged)  # the first normalise of a warehouse is a full one
    assert spilled == [["0.parquet"]]  # one part: fewer than PART_ROWS staged rows
    assert held == [(7, 2)]  # 7 activities in memory, the text of the 2 naming organisers
    assert list(staged.warehouse.parent.glob("*.normalize-*")) == []

    def failing_write(con, result, now):
        raise RuntimeError("disk full (test)")

    monkeypatch.setattr(normalize_module, "_write", failing_write)
    with pytest.raises(RuntimeError, match="disk full"):
        normalize_module.normalize(staged, full=True)
    assert list(staged.warehouse.parent.glob("*.normalize-*")) == []

    folder = staged.warehouse.parent
    killed = folder / f".{staged.warehouse.name}.normalize-killed"  # a killed run left it
    other = folder / ".other.duckdb.normalize-running"  # another warehouse's, in this folder
    other.mkdir()
    (killed / "0.parquet").parent.mkdir()
    (killed / "0.parquet").write_bytes(b"PAR1")
    monkeypatch.setattr(normalize_module, "_write", write)
    normalize_module.normalize(staged, full=True)
    assert list(folder.glob("*.normalize-*")) == [other]


def test_a_spilled_full_normalise_writes_what_one_held_in_memory_writes(
    staged: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spilled (more staged rows than SPILL_FROM_ROWS) or held in memory (fewer): the same
    tables, row for row; a small normalise makes no folder at all."""
    from renkei.normalize import activities as normalize_module

    folders: list[bool] = []
    write = normalize_module._write

    def noting_write(con, result, now):
        folders.append(result.payload is not None)
        return write(con, result, now)

    monkeypatch.setattr(normalize_module, "_write", noting_write)
    normalize_module.normalize(staged, full=True)
    held = snapshot(staged)
    monkeypatch.setattr(normalize_module, "SPILL_FROM_ROWS", 0)
    normalize_module.rebuild(staged)
    assert snapshot(staged) == held
    assert folders == [False, True]
