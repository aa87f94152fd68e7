"""The open dataset (水平展開): activities as CSV for Excel, Parquet and JSON for tools."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from renkei.newsletter.model import CATEGORY_JA, SECTOR_JA
from transforms.spreadsheet import spreadsheet_safe

# Column headers of the CSV, which people open in Excel; Parquet and JSON keep the ids.
CSV_HEADERS_JA = {
    "activity_id": "活動ID",
    "member_id": "機関ID",
    "member_name": "機関名",
    "sector": "区分(産学金官)",
    "prefecture": "都道府県",
    "category": "種別",
    "title": "件名",
    "summary": "概要",
    "url": "URL",
    "starts_at": "開始日時",
    "ends_at": "終了日時",
    "all_day": "終日",
    "venue": "会場",
    "deadline_at": "申込締切",
    "published_at": "公開日時",
    "contact": "問い合わせ先",
    "source": "取得元",
    "first_seen_at": "初回取得日時",
    "updated_at": "更新日時",
}


# Values of the CSV for people (産学金官, the bulletin's category names, はい/いいえ); JSON
# and Parquet keep the codes (academia, event, true) for tools.
ALL_DAY_JA = {True: "はい", False: "いいえ"}


def japanese_values(frame: pl.DataFrame) -> pl.DataFrame:
    """sector, category and all_day as people read them; an unknown code stays as it is."""
    labels = {"sector": SECTOR_JA, "category": CATEGORY_JA}
    exprs = [pl.col(c).replace(names) for c, names in labels.items() if c in frame.columns]
    if "all_day" in frame.columns:
        day = pl.col("all_day")
        exprs.append(
            pl.when(day).then(pl.lit(ALL_DAY_JA[True]))
            .when(~day).then(pl.lit(ALL_DAY_JA[False]))
            .alias("all_day")
        )  # fmt: skip
    return frame.with_columns(exprs)


def _iso(frame: pl.DataFrame) -> pl.DataFrame:
    """Datetimes as ISO 8601 with the +09:00 offset, for CSV and JSON readers."""
    return frame.with_columns(
        pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
        for c, t in frame.schema.items()
        if isinstance(t, pl.Datetime)
    )


def write_dataset(frame: pl.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path, json_path = (
        folder / "activities.csv",
        folder / "activities.parquet",
        folder / "activities.json",
    )
    frame = frame.select(list(CSV_HEADERS_JA))  # the published columns (events.csv reads more)
    text_frame = _iso(frame)
    # UTF-8 with BOM and CRLF: Japanese Excel opens it without garbling; no cell that Excel
    # would read as a formula (a leading ' is added); Japanese values (japanese_values).
    # JSON and Parquet keep the exact text and the codes.
    spreadsheet_safe(japanese_values(text_frame).rename(CSV_HEADERS_JA)).write_csv(
        csv_path, include_bom=True, line_terminator="\r\n"
    )
    frame.write_parquet(parquet_path)
    text_frame.write_json(json_path)  # one array of row objects, written by Polars
    return [csv_path, parquet_path, json_path]
