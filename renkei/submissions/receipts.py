"""The receipt (受付結果) a member gets for every submitted file, in plain Japanese.

It says how many rows were accepted (and, at the top, when no row has a readable start
date), lists each rejected row with the row number the member sees in Excel (the header is
row 1), the reason and what to fix, the dates that were read with a guess, the organiser
names kept as written, the columns it did not read (「読み取らなかった列」), and — for a
corrected resubmission — what changed, or why the earlier file stays in force. It is written
beside the submitted file as ``<file>.受付結果.txt`` (UTF-8 with BOM, CRLF, so Windows
Notepad opens it correctly) and e-mailed to the member's contact addresses.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from transforms.text import strip_invisible_text

RECEIPT_SUFFIX = ".受付結果.txt"
JST = ZoneInfo("Asia/Tokyo")


NAME_MAX = 255  # bytes in one file name (Linux, macOS)
PARTIAL = ".partial"  # receipt_pending's temporary suffix
# Line breaks and tabs: the invisible characters normalise removes (transforms.text) are
# never in a name either, and a name is one line in a mail header, a receipt or a log.
_LINE_BREAKS = re.compile("[\t\r\n]")


def is_receipt(path: Path) -> bool:
    return path.name.endswith(RECEIPT_SUFFIX)


def clean_name(name: str) -> str:
    """A submitted file's name as shown in receipts, mail headers and logs: bytes that were
    not UTF-8 read as CP932 (a Windows share) or replaced, controls and invisible format
    characters (CR, LF, bidi overrides…) removed."""
    if any("\udc80" <= ch <= "\udcff" for ch in name):  # undecodable bytes (surrogateescape)
        raw = name.encode("utf-8", "surrogateescape")
        try:
            name = raw.decode("cp932")
        except UnicodeDecodeError:
            name = raw.decode("utf-8", "replace")
    name = _LINE_BREAKS.sub("", strip_invisible_text(name))
    return name.strip() or "（名前のないファイル）"


def receipt_name(file_name: str) -> str:
    """``<file>.受付結果.txt``, shortened when it (with ``.partial``) would not fit in a file
    name: the name is cut at a character and a short hash of the whole name keeps two long
    names apart."""
    name = clean_name(file_name)
    room = NAME_MAX - len((RECEIPT_SUFFIX + PARTIAL).encode("utf-8"))
    if len(name.encode("utf-8")) <= room:
        return name + RECEIPT_SUFFIX
    tag = "…" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    cut = name.encode("utf-8")[: room - len(tag.encode("utf-8"))].decode("utf-8", "ignore")
    return cut + tag + RECEIPT_SUFFIX


def receipt_path(path: Path, inbox: Path, member_id: str) -> Path:
    """Beside the file when it is in the inbox; else in ``inbox/<member_id>/``."""
    path = path.resolve()
    try:
        path.relative_to(inbox.resolve())
        folder = path.parent
    except ValueError:
        folder = inbox / member_id
    return folder / receipt_name(path.name)


@dataclass
class RejectedRow:
    row_number: int
    title: str | None
    reasons: list[str]


@dataclass
class FlaggedRow:
    row_number: int
    title: str | None
    notes: list[str]


@dataclass
class ChangedRow:
    kind: str  # added | changed | withdrawn
    title: str | None
    starts_on: str | None


@dataclass
class ReceiptFacts:
    member_name: str
    file_name: str
    received_at: datetime
    period: str  # YYYY-MM
    accepted: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    flagged: list[FlaggedRow] = field(default_factory=list)
    error: str | None = None  # the whole file could not be read
    duplicate_of: datetime | None = None  # the same bytes were received then
    replaced: list[str] = field(default_factory=list)  # earlier files now replaced
    changes: list[ChangedRow] = field(default_factory=list)
    contact: str = ""
    unread_columns: list[str] = field(default_factory=list)  # headers that map to no field
    kept_names: list[FlaggedRow] = field(default_factory=list)  # notes: [the 機関名 as written]
    no_start_date: bool = False  # rows were read, and none has a readable start date
    kept_in_force: list[str] = field(default_factory=list)  # earlier files not replaced


_FIXES: tuple[tuple[str, str], ...] = (
    ("件名が空", "件名（イベント名やお知らせの題名）を書いてください。"),
    (
        "開催日「",
        "開催日を「2026/12/5」「2026年12月5日」「令和8年12月5日」「R8.12.5」のように、"
        "実在する日付で書いてください。",
    ),
    ("終了日「", "終了日を実在する日付で、開催日と同じ日かそれより後の日で書いてください。"),
    ("申込締切", "申込締切を「2026/12/1」のような実在する日付で書いてください。"),
    ("終了時刻", "時間を「13:30～16:00」のように、開始・終了の順で書いてください。"),
    (
        "URL",
        "URL は「https://」から始まる形で書いてください（例：https://www.example.jp/event.html）。",
    ),
)
_FILE_FIXES: tuple[tuple[str, str], ...] = (
    (
        "上限",
        "ファイルを月ごとなどに分けるか、不要な行・列や長すぎる文章を除いて保存し直してから、"
        "もう一度お送りください。",
    ),
    (
        "文字コード",
        "Excel で「名前を付けて保存」から「CSV UTF-8（コンマ区切り）」または"
        "「CSV（コンマ区切り）」を選んで保存し直すか、.xlsx のままお送りください。",
    ),
    ("ファイルが空", "記入したファイルを保存してから、もう一度お送りください。"),
    ("見出し行だけ", "2行目から、1行に1件ずつ記入してください。"),
    (
        "件名（タイトル）の列",
        "1行目に「件名」「開催日」などの見出しを入れてください。事務局配布のひな形を使うと確実です。",
    ),
    ("Excel ファイルとして開けません", "パスワードを外して保存し直してからお送りください。"),
    ("古い Excel 形式", ""),
    ("形式", "CSV（.csv / .tsv / .txt）か Excel（.xlsx）でお送りください。"),
)


def fix_for(reason: str, table: tuple[tuple[str, str], ...] = _FIXES) -> str:
    for marker, fix in table:
        if reason.startswith(marker) or (marker in reason and table is _FILE_FIXES):
            return fix
    return "内容をご確認のうえ、直したファイルをお送りください。"


def _when(at: datetime) -> str:
    local = at.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _period(period: str) -> str:
    year, month = period.split("-")
    return f"{int(year)}年{int(month)}月分"


def _title(title: str | None) -> str:
    return f"「{title}」" if title else "（件名なし）"


def _names(names: list[str]) -> str:
    return "「" + "」「".join(names) + "」"


_HEADINGS = (
    "「件名」「開催日」「終了日」「時間」「会場」「概要」「URL」「区分」「申込締切」"
    "「問い合わせ先」「機関名」"
)
_KIND = {"added": "追加", "changed": "変更", "withdrawn": "取り下げ"}


MAIL_LISTED = 50  # rows per list in a mailed receipt; longer lists go in the attachment


def render_receipt(facts: ReceiptFacts, *, listed: int | None = None) -> str:
    """The receipt text (LF line ends; the writer converts). ``listed``: at most this many
    rows in each list, then how many more there are and that the attached receipt has all
    (a mailed receipt of a file with thousands of rows to check stays readable)."""
    out = [f"【受付結果】{facts.file_name}", "", f"{facts.member_name} ご担当者様", ""]
    if facts.error:
        reason = re.sub(r"^[^:]*: ", "", facts.error, count=1)
        out += [
            "ご提出いただいたファイルは上限を超えているため、ファイル全体を受け付けられませんでした。"
            if "上限" in reason
            else "ご提出いただいたファイルを読み込めなかったため、受け付けられませんでした。",
            f"  ファイル名：{facts.file_name}",
            f"  受付日時：{_when(facts.received_at)}",
            f"  理由：{reason}",
        ]
        fix = fix_for(reason, _FILE_FIXES)
        if fix:
            out.append(f"  直し方：{fix}")
        if facts.kept_in_force:
            out += [
                "",
                f"以前の{_names(facts.kept_in_force)}は引き続き有効です（置き換えていません）。",
            ]
        out += ["", "お手数ですが、直したファイルをもう一度お送りください。"]
        return _footer(out, facts)
    total = facts.accepted + len(facts.rejected)
    if facts.no_start_date and facts.duplicate_of is None:
        see = "下の「読み取らなかった列」もご確認ください。" if facts.unread_columns else ""
        out += [
            "※ このファイルには、開催日を読み取れた行が1行もありません。イベントの報告でしたら、"
            f"「開催日」の列に日付を書いてください。{see}",
            "",
        ]
    if facts.duplicate_of is not None:
        out += [
            f"このファイルは {_when(facts.duplicate_of)} に受け付けたものと同じ内容です。"
            "今回のご提出で変わったことはありません。",
            "",
        ]
    elif not facts.rejected:
        out += [f"ご提出いただいた活動報告の {total}行すべてを受け付けました。", ""]
    else:
        out += [
            f"ご提出いただいた活動報告の {total}行のうち {facts.accepted}行を受け付けました。"
            f"{len(facts.rejected)}行は、下の理由で受け付けられませんでした。",
            "",
        ]
    out += [
        f"  ファイル名：{facts.file_name}",
        f"  受付日時：{_when(facts.received_at)}",
        f"  報告月：{_period(facts.period)}",
        f"  受け付けた行：{facts.accepted}行",
        f"  受け付けられなかった行：{len(facts.rejected)}行",
    ]
    if facts.rejected:
        out += ["", "■ 受け付けられなかった行（行番号は Excel の行番号です。1行目は見出しです）"]
        for row in facts.rejected[:listed]:
            out.append(f"{row.row_number}行目{_title(row.title)}")
            for reason in row.reasons:
                out.append(f"  理由：{reason}")
                out.append(f"  直し方：{fix_for(reason)}")
        out += _more(len(facts.rejected), listed, facts.file_name)
    if facts.flagged:
        out += ["", "■ ご確認ください（受け付けましたが、読み方を推測した日付があります）"]
        for flagged in facts.flagged[:listed]:
            head = f"{flagged.row_number}行目{_title(flagged.title)}："
            out += [f"{head}{note}。" for note in flagged.notes]
        out += _more(len(facts.flagged), listed, facts.file_name)
        out.append("  違う場合は、年を入れた日付に直したファイルをお送りください。")
    if facts.kept_names:
        out += [
            "",
            "■ 機関名（会員機関の名称と一致しないため、書かれたとおり主催者として載せます）",
        ]
        for kept in facts.kept_names[:listed]:
            out.append(
                f"{kept.row_number}行目{_title(kept.title)}：機関名「{'；'.join(kept.notes)}」"
            )
        out += _more(len(facts.kept_names), listed, facts.file_name)
        out.append(
            "  貴機関の活動として受け付けました。会員機関の名称の書き間違いでしたら、"
            "直したファイルをお送りください。"
        )
    if facts.unread_columns:
        out += ["", "■ 読み取らなかった列"]
        out += [f"  ・「{head}」" for head in facts.unread_columns]
        out.append(
            "  どの項目の見出しにも当てはまらないため、読み取っていません（内容は保存しています）。"
            f"掲載してほしい内容でしたら、見出しを{_HEADINGS}のどれかに直してください。"
        )
    if facts.kept_in_force:
        out += [
            "",
            "■ 以前のご提出は引き続き有効です",
            f"今回のファイルには受け付けられる行が1行もなかったため、以前の{_names(facts.kept_in_force)}"
            "を置き換えていません。以前のファイルの内容がそのまま掲載されます。",
        ]
    if facts.replaced:
        names = "」「".join(facts.replaced)
        out += ["", "■ 前回のご提出からの変更"]
        out.append(f"以前の「{names}」を今回のファイルで置き換えました。")
        if not facts.changes:
            out.append("  内容の変更はありませんでした。")
        for kind in ("added", "changed", "withdrawn"):
            rows = [c for c in facts.changes if c.kind == kind]
            if rows:
                out.append(f"  {_KIND[kind]}：{len(rows)}件")
                for c in rows:
                    day = f"（{c.starts_on}）" if c.starts_on else ""
                    out.append(f"    ・{_title(c.title)}{day}")
    if facts.rejected or facts.flagged or facts.kept_names:
        out += [
            "",
            "直したファイルは、同じ月分の報告としてもう一度お送りください。"
            "前回のファイルは自動で置き換わります（直した行だけでなく、すべての行を入れてください）。",
        ]
    return _footer(out, facts)


def _footer(out: list[str], facts: ReceiptFacts) -> str:
    out += ["", "――", "このお知らせは自動で作成しています。"]
    if facts.contact:
        out.append(f"ご不明な点は事務局までお問い合わせください：{facts.contact}")
    return "\n".join(out) + "\n"


def _more(total: int, listed: int | None, file_name: str) -> list[str]:
    if listed is None or total <= listed:
        return []
    attached = receipt_name(file_name)
    return [f"  …ほか {total - listed}行。すべての行は、添付の「{attached}」にあります。"]


_BOM = b"\xef\xbb\xbf"
_PIECE = 1 << 18  # characters


def _file_text(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def receipt_bytes(text: str) -> bytes:
    """The receipt as a file: UTF-8 with BOM and CRLF (Notepad and Excel users open it as
    it is)."""
    return _BOM + _file_text(text)


@contextmanager
def receipt_pending(path: Path, text: str) -> Iterator[None]:
    """Write the receipt (receipt_bytes) under a ``.partial`` name now; it takes its own
    name when the block ends (the warehouse has committed what it says), and is removed if
    the block fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + PARTIAL)
    with tmp.open("wb") as out:  # receipt_bytes(text) a piece at a time: a receipt listing
        out.write(_BOM)  # 30,000 rows is ~5 MB, and whole copies of it (CRLF, UTF-8, BOM)
        for start in range(0, len(text), _PIECE):  # would add ~15 MB while DuckDB commits
            out.write(_file_text(text[start : start + _PIECE]))
    try:
        yield
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)
