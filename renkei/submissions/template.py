"""`renkei template`: the spreadsheet members fill in (Japanese headers, one example row).

The .xlsx has the sheet 「提出用」 (what intake reads) and a sheet 「記入方法」 explaining
each column and the date forms accepted; each header cell carries the same explanation as
a comment. The .csv (UTF-8 with BOM, CRLF: Excel opens it as it is) comes with the same
explanation in ``<name>.記入方法.txt``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from renkei.core.errors import RenkeiError

SHEET = "提出用"
NOTES_SHEET = "記入方法"

# (header, what to write, example)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("件名（必須）", "イベント名・お知らせの題名", "産学連携セミナー ～共同研究の始め方～"),
    ("開催日", "開催日（お知らせは空欄可）。範囲は「12月5日～6日」でも可", "2026/12/5"),
    ("終了日", "複数日のときの最終日", ""),
    ("時間", "開始～終了の時刻", "13:30～16:00"),
    ("会場", "会場名（オンラインなら「オンライン」）", "岡山商工会議所 5階大会議室"),
    ("概要", "内容の説明（200字程度まで）", "共同研究の進め方と支援制度を紹介します。"),
    ("URL", "詳しい案内のページ（https:// から）", "https://www.example.jp/seminar.html"),
    ("区分", "セミナー・公募・成果・研修・イベント など", "セミナー"),
    ("申込締切", "申込の締切日", "2026/11/30"),
    ("問い合わせ先", "担当部署・電話・メール", "産学連携課 082-000-0000"),
    ("機関名", "共催の場合は共催機関の名称（空欄可）", ""),
)

DATE_FORMS = (
    "2026/12/5、2026-12-05、2026年12月5日、令和8年12月5日、R8.12.5、"
    "全角数字（２０２６年１２月５日）も読めます。年を省いた「12月5日」は、"
    "提出日から見て次に来る12月5日として読み、受付結果でお知らせします。"
)


def notes_text() -> str:
    lines = [
        "活動報告ひな形の記入方法",
        "",
        "・1行目は見出しです。2行目から1行に1件ずつ書いてください（例の行は消してください）。",
        "・受付結果（受付結果.txt とメール）の行番号は Excel の行番号です。",
        "・訂正するときは、すべての行を入れたファイルを同じ月分の報告として送り直してください。"
        "前のファイルは置き換わります。",
        "",
        "列の説明",
    ]
    lines += [f"・{header}：{what}" for header, what, _ in COLUMNS]
    lines += ["", "日付の書き方", DATE_FORMS]
    return "\n".join(lines) + "\n"


def _xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append([header for header, _, _ in COLUMNS])
    sheet.append([example for _, _, example in COLUMNS])
    for cell, (_, what, _) in zip(sheet[1], COLUMNS, strict=True):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.comment = Comment(what, "renkei")
        sheet.column_dimensions[cell.column_letter].width = 24
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(NOTES_SHEET)
    for line in notes_text().splitlines():
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    book.save(path)


def _csv(path: Path) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for header, _, _ in COLUMNS])
    writer.writerow([example for _, _, example in COLUMNS])
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    notes = path.with_name(path.name + "." + NOTES_SHEET + ".txt")
    notes.write_bytes(b"\xef\xbb\xbf" + notes_text().replace("\n", "\r\n").encode("utf-8"))
    return notes


def write_template(fmt: str, out: Path | None = None) -> list[Path]:
    """Write the template (``xlsx`` or ``csv``); return the files written."""
    if fmt not in ("xlsx", "csv"):
        raise RenkeiError(f"--format {fmt}: use xlsx or csv")
    path = Path(out) if out is not None else Path(f"活動報告ひな形.{fmt}")
    if path.exists():
        raise RenkeiError(f"{path}: already exists (choose another name with --out)")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        _xlsx(path)
        return [path]
    return [path, _csv(path)]
