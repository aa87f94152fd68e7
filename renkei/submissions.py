"""Submitted CSV reports: decode what Japanese Excel writes and map headers to fields.

Headers are matched after NFKC, with whitespace and marks such as 「※必須」 removed, so
``件名（必須）``, ``ｲﾍﾞﾝﾄ名`` and ``Title`` all find their field. Unknown columns are kept
as JSON in ``extra`` rather than dropped.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass

from renkei.charset import UndecodableError, decode_bytes
from renkei.errors import SubmissionError

ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("件名", "タイトル", "イベント名", "名称", "行事名", "title", "event", "name"),
    "starts_text": ("開催日", "実施日", "日付", "開始日", "開催日時", "日時", "starts_on", "date"),
    "ends_text": ("終了日", "ends_on", "end_date"),
    "time_text": ("開始時間", "時間", "時刻", "time"),
    "venue": ("会場", "場所", "開催場所", "場所名称", "venue", "place"),
    "summary": ("概要", "内容", "説明", "詳細", "summary", "description"),
    "url": ("url", "リンク", "ホームページ", "link"),
    "category_text": ("区分", "種別", "カテゴリ", "カテゴリー", "分類", "category"),
    "deadline_text": ("申込締切", "締切", "締切日", "申込期限", "deadline"),
    "contact": ("問い合わせ先", "問合せ先", "問い合せ先", "連絡先", "contact"),
    "organiser": ("機関名", "主催者", "主催", "organiser", "organizer"),
}
_MARKS = re.compile(r"[※*＊]?\(?(必須|任意|required|optional)\)?|[\s\u3000※*＊]")


def header_key(header: str) -> str:
    key = unicodedata.normalize("NFKC", header).lower()
    return _MARKS.sub("", key)


_LOOKUP = {header_key(alias): field for field, names in ALIASES.items() for alias in names}


@dataclass
class ReadSubmission:
    rows: list[dict[str, object]]
    encoding: str
    delimiter: str
    columns: dict[str, str]  # original header -> field ("extra" for unknown)


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_submission(data: bytes, name: str) -> ReadSubmission:
    """Turn submitted bytes into staged-row dicts; raise SubmissionError if unreadable."""
    try:
        decoded = decode_bytes(data)
    except UndecodableError as exc:
        raise SubmissionError(f"{name}: {exc}") from None
    text = decoded.text.lstrip("\ufeff")
    if not text.strip():
        raise SubmissionError(f"{name}: ファイルが空です")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise SubmissionError(f"{name}: CSV として読めません: {exc}") from None
    columns = {h: _LOOKUP.get(header_key(h), "extra") for h in header}
    if "title" not in columns.values():
        raise SubmissionError(
            f"{name}: 件名（タイトル）の列が見つかりません。見出し行: {', '.join(header)}"
        )
    rows: list[dict[str, object]] = []
    try:
        for position, values in enumerate(reader):
            if not any(v.strip() for v in values):
                continue  # Excel leaves blank lines at the end
            row: dict[str, object] = {"position": position}
            extra: dict[str, str] = {}
            for head, value in zip(header, values, strict=False):
                field = columns[head]
                value = value.strip()
                if field in ("extra", "organiser"):  # organiser matching: issue 4
                    if value:
                        extra[head] = value
                elif field not in row or not row[field]:
                    row[field] = value or None
            row["extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
            rows.append(row)
    except csv.Error as exc:
        raise SubmissionError(
            f"{name}: CSV として読めません（{reader.line_num} 行目）: {exc}"
        ) from None
    return ReadSubmission(rows, decoded.encoding, delimiter, columns)
