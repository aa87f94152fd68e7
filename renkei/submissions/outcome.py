"""What one intake of a submitted file found: rows read, judged, staged, the receipt.

Also the report month a file belongs to (``period_of``). Shared by the intake, the
warehouse writer and the receipts, so none of them imports another for it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from renkei.submissions.check import VERDICT_SCHEMA, CheckedRows, RowVerdict
from renkei.submissions.receipts import JST, ChangedRow, ReceiptFacts

_PERIOD_WESTERN = re.compile(r"(20\d{2})\s*[-_.年/]?\s*(1[0-2]|0?[1-9])(?!\d)")
_PERIOD_REIWA = re.compile(r"(?:令和|R)\s*(元|\d{1,2})\s*[-_.年]?\s*(1[0-2]|0?[1-9])\s*月")


def period_of(file_name: str, received_at: datetime) -> str:
    """The report month (YYYY-MM): from the file name if it names one, else arrival month."""
    name = unicodedata.normalize("NFKC", file_name)
    if m := _PERIOD_REIWA.search(name):
        year = 2018 + (1 if m[1] == "元" else int(m[1]))
        return f"{year}-{int(m[2]):02d}"
    if m := _PERIOD_WESTERN.search(name):
        return f"{m[1]}-{int(m[2]):02d}"
    return received_at.astimezone(JST).strftime("%Y-%m")


@dataclass
class IntakeOutcome:
    member_id: str
    file_name: str
    sha256: str
    path: Path
    period: str
    received_at: datetime
    format: str | None = None
    encoding: str | None = None
    checked: CheckedRows | None = None
    rows_staged: int = 0
    error: str | None = None
    duplicate_of: datetime | None = None
    replaced: list[str] = field(default_factory=list)
    changes: list[ChangedRow] = field(default_factory=list)
    kept_in_force: list[str] = field(default_factory=list)  # earlier files it did not replace
    unread_columns: list[str] = field(default_factory=list)  # headers that map to no field
    receipt_path: Path | None = None
    mailed_to: list[str] = field(default_factory=list)
    mail_error: str | None = None
    receipt_text: str = ""
    receipt_facts: ReceiptFacts | None = None  # what the text says (a mail lists less)

    @property
    def verdicts(self) -> list[RowVerdict]:
        return self.checked.verdicts if self.checked is not None else []

    @property
    def frame(self) -> pl.DataFrame:
        return self.checked.verdicts_frame if self.checked is not None else _NO_ROWS

    @property
    def judged(self) -> pl.DataFrame:
        """The verdicts without the two hashes (all that counts and receipts need)."""
        return self.checked.judged if self.checked is not None else _NO_JUDGED

    @property
    def decided(self) -> pl.DataFrame:
        """position, title, accepted, reason, starts_on: all the warehouse writes need."""
        return self.checked.decided if self.checked is not None else _NO_DECIDED

    @property
    def rows_read(self) -> int:
        return self.decided.height

    @property
    def accepted(self) -> int:
        return int(self.decided["accepted"].sum())

    @property
    def rejected(self) -> int:
        return self.rows_read - self.accepted

    def summary_ja(self) -> str:
        """The file in Japanese, for the console's dashboard."""
        if self.error:
            return f"{self.file_name}：受け付けられませんでした（{self.error}）"
        line = f"{self.file_name}：{self.rows_read} 行を読み込み、取り込んだ行 {self.rows_staged}"
        if self.rejected:
            line += f"、要修正 {self.rejected} 行"
        if self.duplicate_of is not None:
            line += "、前回と同じファイルのため変更なし"
        if self.replaced:
            line += f"、前の版（{'、'.join(self.replaced)}）を置き換え"
        return line

    def summary(self) -> str:
        if self.error:
            return f"{self.file_name}: rejected: {self.error}"
        read = f"{self.rows_read} rows read ({self.encoding or self.format})"
        line = f"{self.file_name}: {read}, {self.rows_staged} new"
        if self.rejected:
            line += f", {self.rejected} rejected"
        if self.duplicate_of is not None:
            line += ", same file as before: nothing changed"
        if self.replaced:
            counts = {k: sum(c.kind == k for c in self.changes) for k in _KINDS}
            line += (
                f", replaces {', '.join(self.replaced)} ({counts['added']} added, "
                f"{counts['changed']} changed, {counts['withdrawn']} withdrawn)"
            )
        if self.kept_in_force:
            line += f", no acceptable row: {', '.join(self.kept_in_force)} stays in force"
        return line


_KINDS = ("added", "changed", "withdrawn")
_NO_ROWS = pl.DataFrame(schema=VERDICT_SCHEMA)
_NO_JUDGED = _NO_ROWS.drop("activity_id", "content_sha256")
_NO_DECIDED = _NO_JUDGED.drop("note")
