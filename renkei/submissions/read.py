"""Submitted CSV reports: decode what Japanese Excel writes and map headers to fields.

Headers are matched after NFKC, with whitespace and marks such as 「※必須」 removed, so
``件名（必須）``, ``ｲﾍﾞﾝﾄ名`` and ``Title`` all find their field (the common English headers
Title, Start date, End date, Time, Venue, Summary, Description, URL, Category, Deadline,
Contact and Organizer too). Unknown columns are kept as JSON in ``extra`` rather than
dropped, and named in the receipt under 「読み取らなかった列」 (``unread``).
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

import polars as pl

from renkei.core.charset import UndecodableError, utf8_bytes
from renkei.core.errors import SubmissionError
from renkei.core.row_json import row_json
from renkei.core.settings import IntakeSettings
from renkei.submissions.limits import (
    TextBudget,
    check_csv_lines,
    check_grid,
    check_xlsx_parts,
    file_too_big,
    scan_sheet,
    scan_sheets,
)

ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("件名", "タイトル", "イベント名", "名称", "行事名", "title", "event", "name",
              "event title", "event name"),
    "starts_text": ("開催日", "実施日", "日付", "開始日", "開催日時", "日時", "starts_on", "date",
                    "start date", "start", "start_date", "date from"),
    "ends_text": ("終了日", "ends_on", "end_date", "end date", "end", "date to"),
    "time_text": ("開始時間", "時間", "時刻", "time", "hours"),
    "venue": ("会場", "場所", "開催場所", "場所名称", "venue", "place", "location"),
    "summary": ("概要", "内容", "説明", "詳細", "summary", "description", "details"),
    "url": ("url", "リンク", "ホームページ", "link", "website", "web"),
    "category_text": ("区分", "種別", "カテゴリ", "カテゴリー", "分類", "category", "type"),
    "deadline_text": ("申込締切", "締切", "締切日", "申込期限", "deadline",
                      "application deadline", "registration deadline"),
    "contact": ("問い合わせ先", "問合せ先", "問い合せ先", "連絡先", "contact", "inquiries",
                "email"),
    "organiser": ("機関名", "主催者", "主催", "organiser", "organizer", "organisation",
                  "organization", "host"),
}  # fmt: skip
_MARKS = re.compile(r"[※*＊]?\(?(必須|任意|required|optional)\)?|[\s\u3000※*＊]")


def header_key(header: str) -> str:
    key = unicodedata.normalize("NFKC", header).lower()
    return _MARKS.sub("", key)


_LOOKUP = {header_key(alias): field for field, names in ALIASES.items() for alias in names}


FIELDS = tuple(ALIASES)  # canonical fields; "organiser" is also kept in ``extra``


@dataclass
class ReadSubmission:
    """The data rows as a frame: ``position`` (Excel row number - 2) and one text column per
    field in FIELDS, plus ``extra`` (JSON of unknown columns and 機関名, or null)."""

    frame: pl.DataFrame
    encoding: str | None
    delimiter: str | None
    columns: dict[str, str]  # original header -> field ("extra" for unknown)
    format: str = "csv"  # csv | tsv | xlsx

    @property
    def rows(self) -> list[dict[str, object]]:
        return self.frame.to_dicts()

    @property
    def unread(self) -> list[str]:
        """The headers that map to no field, as written (kept in ``extra`` only)."""
        return [h for h, f in self.columns.items() if f == "extra"]


XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls)


def _delimiter(data: bytes) -> str:
    """The commonest of , TAB ; in the first line of UTF-8 ``data`` (comma if none)."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]  # not split(): that copies the whole file
    counts = {d: first.count(d.encode()) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _fields(name: str, grid: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, str]]:
    """A grid of text cells (row 0 = the first line) → the field frame.

    The first non-blank row is the header; ``position`` counts from the header, so
    ``position + 2`` is the row number Excel shows. Blank rows are dropped.
    """
    cells = grid.with_columns(pl.all().cast(pl.String).str.strip_chars()).with_columns(
        pl.all().replace("", None)
    )
    filled = cells.select(pl.any_horizontal(pl.all().is_not_null())).to_series()
    header_at = filled.arg_true()
    if header_at.is_empty():
        raise SubmissionError(f"{name}: ファイルが空です")
    start = int(header_at[0])
    header = [str(v or "") for v in cells.row(start)]
    columns = {h: _LOOKUP.get(header_key(h), "extra") for h in header if h}
    if "title" not in columns.values():
        shown = ", ".join(h for h in header if h)
        raise SubmissionError(f"{name}: 件名（タイトル）の列が見つかりません。見出し行: {shown}")
    body = (
        cells.with_row_index("_row")
        .slice(start + 1)
        .filter(filled.slice(start + 1))
        .with_columns(position=pl.col("_row").cast(pl.Int64) - start - 1)
    )
    if body.is_empty():
        raise SubmissionError(f"{name}: 見出し行だけで、データの行がありません")
    by_field: dict[str, list[str]] = {}
    extra: list[tuple[str, str]] = []  # (header, grid column)
    for head, column in zip(header, cells.columns, strict=True):
        field = _LOOKUP.get(header_key(head), "extra") if head else "extra"
        if field != "extra":
            by_field.setdefault(field, []).append(column)
        if head and field in ("extra", "organiser"):
            extra.append((head, column))
    frame = body.select(
        "position",
        *[
            (pl.coalesce(by_field[f]) if f in by_field else pl.lit(None, pl.String)).alias(f)
            for f in FIELDS
        ],
    )
    if extra:
        cells = body.select([c for _, c in extra])
        objects = row_json(cells, {c: h for h, c in extra})
        frame = frame.with_columns(extra=pl.when(objects != "{}").then(objects))
    else:
        frame = frame.with_columns(extra=pl.lit(None, pl.String))
    return frame, columns


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes, name: str, sheet: str, limits: IntakeSettings) -> ReadSubmission:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_xlsx_parts(archive, name, limits)  # before openpyxl reads any part whole
            bounds = scan_sheets(archive, name, limits)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except SubmissionError:
        raise
    except Exception as exc:  # a damaged or password-protected workbook: one cause
        raise SubmissionError(f"{name}: Excel ファイルとして開けません（{exc}）") from None
    try:
        ws = book[sheet] if sheet in book.sheetnames else book.worksheets[0]
        part = ws._worksheet_path.lstrip("/")  # where openpyxl reads the sheet from
        if part not in bounds:  # outside xl/worksheets/ (and so under 8 MB): scan it now
            with ws._get_source() as source:
                bounds[part] = scan_sheet(source, name, limits)
        last_row, last_col = bounds[part]
        budget = TextBudget(name, limits)
        records = [
            [None if (t := _cell_text(v)) is None else budget.take(t, number) for v in row]
            for number, row in enumerate(
                ws.iter_rows(max_row=last_row, max_col=last_col, values_only=True), 1
            )
        ] if last_row else []  # fmt: skip
    finally:
        book.close()
    width = max((len(r) for r in records), default=0)
    if not width:
        raise SubmissionError(f"{name}: ファイルが空です")
    grid = pl.DataFrame(
        [r + [None] * (width - len(r)) for r in records],
        schema=[f"column_{i}" for i in range(width)],
        orient="row",
    )
    frame, columns = _fields(name, grid)
    return ReadSubmission(frame, None, None, columns, "xlsx")


def read_submission(
    data: bytes, name: str, sheet: str = "提出用", limits: IntakeSettings | None = None
) -> ReadSubmission:
    """Turn submitted bytes into the field frame; raise SubmissionError if unreadable or
    over one of ``limits`` (the file is then rejected whole; see submissions.limits)."""
    limits = limits or IntakeSettings()
    if len(data) > limits.max_file_bytes:
        raise file_too_big(name, limits)
    if not data or data.isspace():  # as ``not data.strip()``, without copying the bytes
        raise SubmissionError(f"{name}: ファイルが空です")
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, name, sheet, limits)
    if data.startswith(OLE_MAGIC):
        raise SubmissionError(
            f"{name}: 古い Excel 形式（.xls）は読めません。"
            "Excel で「.xlsx」か「CSV UTF-8」形式で保存し直してください"
        )
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        check_csv_lines(data, name, limits)  # as received: before a decoder copies a line
    try:
        utf8, encoding = utf8_bytes(data)
    except UndecodableError as exc:
        raise SubmissionError(f"{name}: {exc}") from None
    if not utf8 or utf8.isspace():
        raise SubmissionError(f"{name}: ファイルが空です")
    check_csv_lines(utf8, name, limits)  # the grid's width and each line, before parsing
    delimiter = _delimiter(utf8)
    try:  # Polars' reader keeps blank lines as empty rows, so positions stay Excel's rows
        grid = pl.read_csv(
            io.BytesIO(utf8),
            has_header=False,
            separator=delimiter,
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as exc:
        raise SubmissionError(f"{name}: CSV として読めません: {exc}") from None
    del utf8  # the grid holds the text now
    check_grid(grid, name, limits)
    frame, columns = _fields(name, grid)
    kind = "tsv" if delimiter == "\t" else "csv"
    return ReadSubmission(frame, encoding, delimiter, columns, kind)
