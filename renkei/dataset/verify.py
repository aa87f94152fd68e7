"""Every file of a release is read back by its own parser before it is published.

The release is written to a temporary folder (release.py); these checks run there, and a
file that fails keeps the whole release from replacing the previous one (the files of a
release describe each other: the data package, the CSVs, the feed). The error names each
failing file with its parser's message.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import icalendar
import polars as pl

from renkei.core.errors import RenkeiError

__all__ = ["PublishCheckError", "check_file", "check_files"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class PublishCheckError(RenkeiError):
    """One or more files of a release do not parse; nothing was published."""

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = failures
        listed = "\n".join(f"  {name}: {problem}" for name, problem in failures)
        super().__init__(
            f"公開ファイルの検査に失敗したため、前回の公開データをそのまま残しました。\n"
            f"release not published, {len(failures)} file(s) failed their parser "
            f"(the previous release is unchanged):\n{listed}"
        )


def _text(data: bytes) -> str:
    """Strict UTF-8 (a BOM allowed) with no NUL: what every text file must be."""
    text = data.decode("utf-8-sig")
    if "\x00" in text:
        raise ValueError(f"NUL character at offset {text.index(chr(0))}")
    return text


def _csv(path: Path) -> None:
    """Strict UTF-8, no NUL, every row as wide as the header; read a line at a time."""
    offset = 0
    with path.open(encoding="utf-8-sig", newline="") as handle:

        def lines() -> Iterator[str]:
            nonlocal offset
            for line in handle:
                if "\x00" in line:
                    raise ValueError(f"NUL character at offset {offset + line.index(chr(0))}")
                offset += len(line)
                yield line

        rows = csv.reader(lines(), strict=True)
        header = next(rows, None)
        if not header:
            raise ValueError("no header row")
        for number, row in enumerate(rows, start=2):
            if len(row) != len(header):
                raise ValueError(f"row {number} has {len(row)} fields, the header {len(header)}")


def _xml(path: Path) -> None:
    data = path.read_bytes()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # ours never declare any
        raise ValueError("a DOCTYPE or ENTITY declaration")
    ET.fromstring(data)


def _json(path: Path) -> None:
    json.loads(_text(path.read_bytes()))


def _html(path: Path) -> None:
    _text(path.read_bytes())


def _ics(path: Path) -> None:
    data = path.read_bytes()
    _text(data)
    if icalendar.Calendar.from_ical(data).name != "VCALENDAR":
        raise ValueError("not a VCALENDAR")


def _parquet(path: Path) -> None:
    pl.read_parquet(path)


def _png(path: Path) -> None:
    with path.open("rb") as handle:
        start = handle.read(len(PNG_SIGNATURE))
    if start != PNG_SIGNATURE:
        raise ValueError("not a PNG file")


CHECKS: dict[str, Callable[[Path], None]] = {
    ".csv": _csv,
    ".json": _json,
    ".atom": _xml,
    ".xml": _xml,
    ".ics": _ics,
    ".parquet": _parquet,
    ".html": _html,
    ".png": _png,
}


def check_file(path: Path) -> str | None:
    """None when ``path`` parses as its kind says, else the problem (one line)."""
    check = CHECKS.get(path.suffix.lower())
    if check is None:
        return f"no parser for {path.suffix or 'a file without an extension'}"
    try:
        check(path)
    except Exception as exc:  # every parser has its own errors: each means "does not parse"
        return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
    return None


def check_files(paths: Iterable[Path], root: Path) -> None:
    """Raise PublishCheckError naming every file under ``root`` that fails its check."""
    failures = []
    for path in paths:
        problem = check_file(path)
        if problem is not None:
            failures.append((path.relative_to(root).as_posix(), problem))
    if failures:
        raise PublishCheckError(failures)
