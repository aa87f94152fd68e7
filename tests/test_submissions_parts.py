"""A big file is judged in parts, each staged while the next is judged
(renkei.submissions.write.SubmissionWriter): the warehouse and the receipt come out exactly
as if it had been judged whole, and a failure anywhere (a part that cannot be staged, a
warehouse another process holds) leaves nothing of the file but its kept bytes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conftest import write_registry
from intake_support import ARRIVED, REGISTRY, drop, receipt_of, rows

from renkei.core.errors import WarehouseBusy
from renkei.core.rawstore import RawStore
from renkei.core.registry import Member
from renkei.core.settings import Settings, load_settings
from renkei.scaffold import init_folder
from renkei.submissions import check as submission_check
from renkei.submissions import intake
from renkei.submissions import write as submission_write
from warehouse.connection import open_warehouse

TABLES = ("raw_payloads", "stg_items", "quarantine", "submissions", "submission_rows")


def written(settings: Settings) -> dict[str, list[tuple]]:
    """Every table a submission writes, without the columns that name the working folder."""
    return {
        "stg_items": rows(settings, "SELECT * EXCLUDE (source_ref) FROM stg_items ORDER BY ALL"),
        "quarantine": rows(settings, "SELECT * FROM quarantine ORDER BY ALL"),
        "submissions": rows(
            settings, "SELECT * EXCLUDE (path, receipt_path) FROM submissions ORDER BY ALL"
        ),
        "submission_rows": rows(settings, "SELECT * FROM submission_rows ORDER BY ALL"),
        "raw_payloads": rows(
            settings, "SELECT * EXCLUDE (stored_path) FROM raw_payloads ORDER BY ALL"
        ),
    }


def working_folder(tmp_path: Path, name: str) -> Settings:
    folder = tmp_path / name
    init_folder(folder)
    write_registry(folder, REGISTRY)
    return load_settings(folder / "renkei.toml")


def ingest(settings: Settings):
    return intake.ingest_submission(settings, drop(settings, "parts.csv"), "ind-04", now=ARRIVED)


def test_a_file_judged_in_parts_is_written_as_if_judged_whole(tmp_path, monkeypatch) -> None:
    whole = working_folder(tmp_path, "whole")
    one = ingest(whole)
    monkeypatch.setattr(submission_check, "PART_ROWS", 2)  # 7 rows: four parts
    parted = working_folder(tmp_path, "parted")
    four = ingest(parted)

    assert written(parted) == written(whole)
    assert four.summary() == one.summary() == "parts.csv: 7 rows read (cp932), 4 new, 3 rejected"
    receipt = receipt_of(parted.inbox / "ind-04" / "parts.csv")
    assert receipt == receipt_of(whole.inbox / "ind-04" / "parts.csv")
    # the one thing judged across parts: rows 2 and 5 share an identity (the later wins)
    assert "2行目" in receipt and "後の行の内容を使いました" in receipt
    assert rows(parted, "SELECT position, detail FROM quarantine ORDER BY position") == [
        (2, '{"starts_text": "2026/12/11", "venue": "岡山商工会議所", "extra": '
            '"{\\"備考\\": \\"件名を書き忘れ\\"}"}'),
        (4, '{"title": "交流会", "starts_text": "令和8年13月5日"}'),
        (5, '{"title": "成果報告会", "starts_text": "R8.1.20", "url": "javascript:void(0)"}'),
    ]  # fmt: skip


def test_a_part_that_fails_to_stage_leaves_nothing_of_the_file(tmp_path, monkeypatch) -> None:
    settings = working_folder(tmp_path, "work")
    monkeypatch.setattr(submission_check, "PART_ROWS", 2)
    staged = []
    real = submission_write.write_views  # how the parts' accepted rows are inserted

    def fail_on_third_part(con, statement, frame):
        if statement == "insert_submission_staged":
            staged.append(frame.height)
            if len(staged) == 3:
                raise OSError("disk full")
        return real(con, statement, frame)

    monkeypatch.setattr(submission_write, "write_views", fail_on_third_part)
    with pytest.raises(OSError, match="disk full"):
        ingest(settings)
    assert staged == [2, 1, 1]  # two parts staged, the third failed: all rolled back
    assert {t: rows(settings, f"SELECT count(*) FROM {t}") for t in TABLES} == {
        t: [(0,)] for t in TABLES
    }
    assert sorted(p.name for p in (settings.inbox / "ind-04").iterdir()) == ["parts.csv"]
    monkeypatch.setattr(submission_write, "write_views", real)
    again = ingest(settings)  # the warehouse was closed: the member's next try goes through
    assert again.summary() == "parts.csv: 7 rows read (cp932), 4 new, 3 rejected"


def test_a_busy_warehouse_fails_the_intake_cleanly_and_keeps_the_bytes(
    tmp_path, monkeypatch
) -> None:
    """Another process holds the warehouse: the intake says who, the raw bytes are kept,
    no receipt is written, and the same file goes through once the warehouse is free."""
    settings = working_folder(tmp_path, "work")
    member = Member("ind-04", "岡山県商工会議所連合会", "industry", "岡山県", "prefecture",
                    None, ())  # fmt: skip
    names = {"ind-04": member.name}
    with open_warehouse(settings.warehouse):
        pass
    monkeypatch.setattr(
        submission_write, "open_warehouse", partial(open_warehouse, wait_seconds=0.5)
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", (
            "import time; from warehouse.connection import open_warehouse\n"
            f"with open_warehouse({str(settings.warehouse)!r}, stage='normalize'):\n"
            "    print('held', flush=True); time.sleep(30)\n"
        )],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    path = drop(settings, "parts.csv")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy, match=r"warehouse busy: normalize since"):
            intake.stage_file(settings, path, member, names, now=ARRIVED)
    finally:
        holder.kill()
        holder.wait()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert RawStore(settings.raw_store).get(digest) == path.read_bytes()
    assert sorted(p.name for p in path.parent.iterdir()) == ["parts.csv"]
    again = intake.stage_file(settings, path, member, names, now=ARRIVED)
    assert again.summary() == "parts.csv: 7 rows read (cp932), 4 new, 3 rejected"


def test_staged_rows_handed_over_as_string_views_are_the_same_values(tmp_path) -> None:
    """write_views (Arrow string views) and write_batch (the Polars frame) stage the same
    values: Japanese text, empty texts, nulls, positions, the zoned time."""
    import polars as pl

    from renkei.core.staging import write_batch

    staged = pl.DataFrame(
        {"stage_id": ["a:0", "a:1", "a:2"], "raw_sha256": ["0" * 64] * 3,
         "position": [0, 1, 2], "source_kind": ["csv"] * 3, "member_id": ["ind-04"] * 3,
         "source_ref": ["報告.csv"] * 3, "item_key": [None, None, None],
         "title": ["産学連携セミナー ～第1回～", "", None], "summary": ["ｺﾗﾎﾞ" * 40, None, ""],
         "url": ["https://www.example.jp/a.html", None, None]},
    ).with_columns(staged_at=pl.lit(ARRIVED))  # fmt: skip
    with open_warehouse(tmp_path / "w.duckdb") as con:
        submission_write.write_views(con, "insert_submission_staged", staged.clear())  # empty
        write_batch(con, "insert_submission_staged", staged)
        submission_write.write_views(con, "insert_submission_staged", staged)
        both = con.execute("SELECT * FROM stg_items ORDER BY ALL").fetchall()
    assert len(both) == 6
    assert both[0::2] == both[1::2]


def test_the_intake_leaves_duckdbs_memory_limit_as_it_found_it(tmp_path) -> None:
    settings = working_folder(tmp_path, "work")
    with open_warehouse(settings.warehouse) as con:
        before = con.execute("SELECT current_setting('memory_limit')").fetchone()
    ingest(settings)
    with open_warehouse(settings.warehouse) as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone() == before


def test_identities_of_parts_are_those_of_the_whole_file() -> None:
    """The hashes (activity_id, content_sha256) of the combined parts — their content taken
    from the staged rows — are the whole file's, rejected rows between accepted ones
    included."""
    from intake_support import FIXTURES

    from renkei.submissions.read import read_submission

    data = (FIXTURES / "parts.csv").read_bytes()
    frame = read_submission(data, "parts.csv").frame
    context: dict[str, Any] = {"raw_sha256": "0" * 64, "member_id": "ind-04",
               "member_names": {"ind-04": "岡山県商工会議所連合会"}, "source_ref": "parts.csv",
               "received_at": ARRIVED}  # fmt: skip
    whole = submission_check.check_rows(frame, **context).verdicts_frame
    parts = list(submission_check.check_parts(frame, rows_per_part=2, **context))
    assert len(parts) == 4
    combined = submission_check.combined(parts).verdicts_frame
    assert combined.equals(whole)
    assert whole["content_sha256"].null_count() == 3  # the rejected rows have none


def test_the_receipt_file_written_in_pieces_is_receipt_bytes(tmp_path) -> None:
    """receipt_pending writes the receipt a piece at a time (no whole copies of a long
    receipt while the warehouse commits): the file is receipt_bytes(text), byte for byte."""
    from renkei.submissions.receipts import receipt_bytes, receipt_pending

    text = "受付結果\n" + "行\n" * 300_000 + "最後"  # longer than one piece
    path = tmp_path / "r.txt"
    with receipt_pending(path, text):
        pass
    assert path.read_bytes() == receipt_bytes(text)
