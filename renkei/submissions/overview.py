"""The secretariat's view of a report month: who sent a file, what became of it, and which
members without a feed have sent nothing yet (``renkei submissions``)."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb
import polars as pl

from renkei.core import text_table
from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from renkei.submissions.receipts import JST
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

# What needs the secretariat first comes first.
STATES = ("受付不可", "一部要修正", "未提出", "受付")
LEGEND = (
    "状態: 受付不可＝ファイルを読めず全体を受け付けず / 一部要修正＝受け付けられない行あり / "
    "未提出＝フィードのない会員で、この月分の提出なし / 受付＝全行受付"
)
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(text: str | None, now: datetime | None = None) -> str:
    """YYYY-MM as given, or this month in Japan time."""
    if text is None:
        return (now or datetime.now(JST)).astimezone(JST).strftime("%Y-%m")
    if not _PERIOD.match(text):
        raise RenkeiError(f"--period {text}: give the report month as YYYY-MM, e.g. 2026-11")
    return text


def read_overview(settings: Settings, period: str) -> pl.DataFrame:
    """One row per current file of the period, and one per silent member without a feed,
    with its state (STATES), the attention-first order."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return overview_from(con, period)


def overview_from(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """``read_overview`` on an open connection."""
    frame = run_query(con, "submissions_overview", {"period": period})
    state = (
        pl.when(pl.col("status").is_null())
        .then(pl.lit("未提出"))
        .when(pl.col("status") == "rejected")
        .then(pl.lit("受付不可"))
        .when(pl.col("rows_rejected") > 0)
        .then(pl.lit("一部要修正"))
        .otherwise(pl.lit("受付"))
    )
    rank = pl.col("state").replace_strict(
        {s: i for i, s in enumerate(STATES)}, return_dtype=pl.Int8
    )
    return frame.with_columns(state=state).sort([rank, "member_id", "received_at"])


def _note(row: dict) -> str:
    if row["error"]:
        return re.sub(r"^[^:]*: ", "", row["error"], count=1)
    return f"以前の {row['replaced']} ファイルを置き換え" if row["replaced"] else ""


def table_rows(frame: pl.DataFrame) -> list[dict[str, object]]:
    return [
        {
            "状態": row["state"],
            "会員ID": row["member_id"],
            "機関名": row["name"],
            "ファイル": row["file_name"] or "-",
            "受付日時": f"{row['received_at'].astimezone(JST):%Y-%m-%d %H:%M}"
            if row["received_at"]
            else "-",
            "受付行": "-" if row["status"] is None else row["rows_accepted"],
            "要修正行": "-" if row["status"] is None else row["rows_rejected"],
            "備考": _note(row),
        }
        for row in frame.iter_rows(named=True)
    ]


def format_overview(frame: pl.DataFrame) -> str:
    return text_table.format_table(
        table_rows(frame), numeric={"受付行", "要修正行"}, cut={"備考": 60}
    )


def counts_line(frame: pl.DataFrame, period: str) -> str:
    year, month = period.split("-")
    sent = frame.filter(pl.col("status").is_not_null())
    members = sent["member_id"].n_unique()
    counts = dict(sent.group_by("state").len().iter_rows())
    detail = "、".join(f"{s} {counts[s]}" for s in STATES if counts.get(s))
    silent = frame.height - sent.height
    head = f"{year}年{int(month)}月分: {members} 機関から {sent.height} ファイル"
    head += f"（{detail}）" if detail else ""
    return f"{head}、未提出 {silent} 機関（フィードのない会員）"
