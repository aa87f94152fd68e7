"""Limits on one submitted file, checked before it is parsed (``[intake]`` in renkei.toml).

A small file can ask for a lot of memory: a 10 MB CSV with a million columns, a 50 KB
.xlsx whose shared-string table unzips to gigabytes, a sheet whose cells claim row
1,048,576. So before a parser sees the bytes:

- the file's size is taken from the file system (an oversized file is never read whole:
  its bytes are streamed into the raw store and it is rejected);
- a CSV's first line (the grid's width) and every line's length are checked on the bytes;
  rows and cell lengths on the parsed grid, which those checks keep small;
- an .xlsx's zip directory gives each part's unzipped size (zipfile enforces the declared
  size when it reads), and the sheet is scanned as a stream for its last used row and
  column, the cells per row and the inline text, before openpyxl reads it with those bounds.

Each limit exceeded raises SubmissionError with the limit named in Japanese, so the file is
rejected whole and the receipt says which limit (``limit_reason``).
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from typing import IO
from xml.parsers import expat

import polars as pl

from renkei.core.errors import SubmissionError
from renkei.core.settings import IntakeSettings

SHARED_STRINGS = "xl/sharedStrings.xml"
OTHER_PART_BYTES = 8 * 1024 * 1024  # styles, workbook, theme…: openpyxl parses them whole
EXCEL_MAX_CELLS_PER_ROW = 16384  # Excel's own column limit (XFD)


def size_text(n: int) -> str:
    """1048576 → "1MB", 65536 → "64KB", else the byte count."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n:,}バイト"


def file_too_big(name: str, limits: IntakeSettings) -> SubmissionError:
    return SubmissionError(
        f"{name}: ファイルが大きすぎます（上限{size_text(limits.max_file_bytes)}）"
    )


def _columns(name: str, limits: IntakeSettings) -> SubmissionError:
    return SubmissionError(f"{name}: 列が多すぎます（上限{limits.max_columns}列）")


def _rows(name: str, limits: IntakeSettings) -> SubmissionError:
    return SubmissionError(
        f"{name}: 行が多すぎます（上限{limits.max_rows:,}行。見出し行を除き、空行を含みます）"
    )


def _cell(name: str, row: int, limits: IntakeSettings) -> SubmissionError:
    return SubmissionError(
        f"{name}: {row}行目のセルの文字数が多すぎます"
        f"（1つのセルの上限{limits.max_cell_chars:,}文字）"
    )


# -- reading the file itself


def open_submitted(path: Path, *, follow: bool) -> IO[bytes]:
    """Open a submitted file for reading, refusing anything but a regular file. With
    ``follow=False`` (files in the inbox) a symbolic link is refused, never followed."""
    try:
        st = os.stat(path, follow_symlinks=follow)
    except FileNotFoundError:
        raise SubmissionError(f"{path}: file not found") from None
    if stat.S_ISLNK(st.st_mode):
        raise SubmissionError(f"{path}: a symbolic link: refused (never followed)")
    if not stat.S_ISREG(st.st_mode):
        raise SubmissionError(f"{path}: not a regular file: refused")
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:  # ELOOP: swapped for a link since the check
        raise SubmissionError(f"{path}: cannot be opened: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SubmissionError(f"{path}: not a regular file: refused")
    return os.fdopen(fd, "rb")


# -- CSV


def check_csv_lines(data: bytes, name: str, limits: IntakeSettings) -> None:
    """The first line's fields (the grid is as wide as it) and every line's length, on
    UTF-8 bytes, without copying a line: each step jumps to the last line end within
    ``max_line_bytes``, so a file of short lines takes a few steps."""
    longest = limits.max_line_bytes
    end = data.find(b"\n", 0, longest + 1)
    end = min(len(data), longest + 1) if end < 0 else end
    if max(data.count(d, 0, end) for d in (b",", b"\t", b";")) + 1 > limits.max_columns:
        raise _columns(name, limits)
    start = 0
    while len(data) - start > longest:
        end = data.rfind(b"\n", start, start + longest + 1)
        if end < 0:
            number = data.count(b"\n", 0, start) + 1
            raise SubmissionError(
                f"{name}: {number}行目が長すぎます（1行の上限{size_text(longest)}）"
            )
        start = end + 1


def check_grid(grid: pl.DataFrame, name: str, limits: IntakeSettings) -> None:
    """Rows (the header aside) and cell lengths of a parsed grid of text cells."""
    if grid.height - 1 > limits.max_rows:
        raise _rows(name, limits)
    if grid.is_empty():
        return
    # A cell has no more characters than bytes, and a string view knows its byte length:
    # counting characters is needed only when some cell has more bytes than the limit.
    widest = grid.select(pl.max_horizontal(pl.all().str.len_bytes().max())).item()
    if widest is None or widest <= limits.max_cell_chars:
        return
    longest = grid.select(pl.max_horizontal(pl.all().str.len_chars()).alias("n"))["n"]
    over = (longest > limits.max_cell_chars).arg_true()
    if not over.is_empty():
        raise _cell(name, int(over[0]) + 1, limits)


# -- xlsx


def check_xlsx_parts(archive: zipfile.ZipFile, name: str, limits: IntakeSettings) -> None:
    """Unzipped sizes from the zip directory: the whole, the shared strings, the other
    XML parts openpyxl parses whole."""
    parts = archive.infolist()
    if sum(p.file_size for p in parts) > limits.max_xlsx_uncompressed_bytes:
        cap = size_text(limits.max_xlsx_uncompressed_bytes)
        raise SubmissionError(f"{name}: Excel ファイルの中身が大きすぎます（展開後の上限{cap}）")
    for part in parts:
        if part.filename == SHARED_STRINGS:
            if part.file_size > limits.max_shared_strings_bytes:
                cap = size_text(limits.max_shared_strings_bytes)
                raise SubmissionError(
                    f"{name}: Excel ファイルの文字列の表が大きすぎます（上限{cap}）"
                )
        elif (
            part.filename.endswith((".xml", ".rels"))
            and not part.filename.startswith("xl/worksheets/")
            and part.file_size > OTHER_PART_BYTES
        ):
            raise SubmissionError(
                f"{name}: Excel ファイルの一部（{part.filename}）が大きすぎます"
                f"（上限{size_text(OTHER_PART_BYTES)}）"
            )


def _column_number(ref: str | None) -> int:
    n = 0
    for ch in ref or "":
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n


class _SheetScan:
    """expat handlers over a sheet's XML: no tree is built, text is only counted."""

    def __init__(self, name: str, limits: IntakeSettings) -> None:
        self.name, self.limits = name, limits
        self.last_row = self.last_col = self.row = self.col = self.cells = self.text = 0
        self.in_text = self.has_value = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition(":")[2]
        if local == "c":
            ref = attrs.get("r") or ""
            self.col = _column_number(ref) or self.col + 1
            digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            self.row = int(digits) if digits.isdigit() else self.row
            self.cells, self.has_value = self.cells + 1, False
            if self.cells > EXCEL_MAX_CELLS_PER_ROW:
                raise _columns(self.name, self.limits)
        elif local in ("v", "t"):
            self.in_text, self.text = True, 0
        elif local == "row":
            number = attrs.get("r") or ""
            self.row = int(number) if number.isdigit() else self.row + 1
            self.col = self.cells = 0

    def end(self, tag: str) -> None:
        local = tag.rpartition(":")[2]
        if local in ("v", "t"):
            self.in_text = False
            self.has_value = self.has_value or self.text > 0
        elif local == "c" and self.has_value:
            self.last_row, self.last_col = (
                max(self.last_row, self.row),
                max(self.last_col, self.col),
            )
            if self.col > self.limits.max_columns:
                raise _columns(self.name, self.limits)
            if self.row - 1 > self.limits.max_rows:
                raise _rows(self.name, self.limits)

    def chars(self, data: str) -> None:
        if self.in_text:
            self.text += len(data)
            if self.text > self.limits.max_cell_chars:  # before the whole text is held
                raise _cell(self.name, self.row, self.limits)

    def doctype(self, *args: object) -> None:
        raise SubmissionError(f"{self.name}: Excel ファイルとして開けません（DOCTYPE があります）")


def scan_sheet(source: IO[bytes], name: str, limits: IntakeSettings) -> tuple[int, int]:
    """(last row, last column) holding a value, from the sheet XML read as a stream with
    expat (no tree, constant memory); raises on too many rows, columns or cells in a row,
    or a cell text over the cell limit."""
    scan = _SheetScan(name, limits)
    parser = expat.ParserCreate()
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.CharacterDataHandler = scan.chars
    parser.StartDoctypeDeclHandler = scan.doctype
    try:
        while chunk := source.read(1 << 20):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise SubmissionError(f"{name}: Excel ファイルとして開けません（{exc}）") from None
    return scan.last_row, scan.last_col


def scan_sheets(
    archive: zipfile.ZipFile, name: str, limits: IntakeSettings
) -> dict[str, tuple[int, int]]:
    """scan_sheet of every worksheet part (before openpyxl, which reads a sheet without a
    ``<dimension>`` to its end just to size it): part name → (last row, last column)."""
    found = {}
    for part in archive.namelist():
        if part.startswith("xl/worksheets/") and part.endswith(".xml"):
            with archive.open(part) as source:
                found[part] = scan_sheet(source, name, limits)
    return found


class TextBudget:
    """The cells' text as read from an .xlsx, against the cell limit and, in total, the file
    size limit (a short shared string can be referenced by every cell)."""

    def __init__(self, name: str, limits: IntakeSettings) -> None:
        self.name, self.limits, self.total = name, limits, 0

    def take(self, text: str, row: int) -> str:
        if len(text) > self.limits.max_cell_chars:
            raise _cell(self.name, row, self.limits)
        self.total += len(text)
        if self.total > self.limits.max_file_bytes:
            cap = f"{self.limits.max_file_bytes:,}"
            raise SubmissionError(
                f"{self.name}: Excel ファイルのセルの文字が多すぎます（合計の上限{cap}文字）"
            )
        return text
