"""Hostile submitted files at full size: peak RSS and outcome of one intake each (issue 16).

    python bench/hostile.py                 # every input at the issue's sizes
    python bench/hostile.py wide bomb       # some of them (names below)

Each input goes through `renkei.submissions.intake.ingest_submission` in its own process on
a fresh working folder (`renkei init`, default limits), so the peak RSS printed
(getrusage, ru_maxrss) is that intake's alone. A good file from the same member follows in
the same folder, to show the rest is still processed. `tests/test_hostile_input.py` runs the
same generators at scaled-down sizes in CI; this script asserts nothing.

Inputs (the issue's figures before the limits): a CSV of 1,000,000 columns (9.9 MB, past
8 GB), a 200 MB line, a 200 MB cell (staged whole), an .xlsx whose shared-string table
is one 50 MB string used by many cells (53 KB zipped, past 8 GB), an .xlsx of 1.5 M rows
(accepted whole: 82 s, 2 GB), an .xlsx whose sheet claims A1:XFD1048576, and a 40 MB
CSV over the size limit. ``--raise-file-limit`` also runs the 200 MB ones with
``max_file_bytes`` raised to 512 MB, so the line and cell checks, not the size, stop them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024

# -- generators (sizes are arguments: the tests use small ones)

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
        'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
        f'"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.'
        f'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.'
        f'worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.'
        f'sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="{_CT}.'
        'styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}"><Relationship '
        'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        '<sheets><sheet name="提出用" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{_NS}"><fonts count="1">'
        '<font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="1"><xf xfId="0"/></cellXfs><cellStyles count="1">'
        '<cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
    ),
}
_HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>件名</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>開催日</t></is></c></row>'
)


def _xlsx(path: Path, shared: list[str], rows: Callable[[], object], dimension: str = "") -> None:
    """A minimal workbook: sheet 提出用 whose row XML ``rows()`` yields (strings)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as out:
            out.write(f'<sst xmlns="{_NS}" count="{len(shared)}">'.encode())
            for text in shared:
                out.write(b"<si><t>")
                for i in range(0, len(text), MB):
                    out.write(text[i : i + MB].encode())
                out.write(b"</t></si>")
            out.write(b"</sst>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            out.write(f'<worksheet xmlns="{_NS}">{dim}<sheetData>'.encode())
            out.write(_HEADER_ROW.encode())
            chunk: list[str] = []
            for row in rows():  # type: ignore[attr-defined]
                chunk.append(row)
                if len(chunk) >= 10_000:
                    out.write("".join(chunk).encode())
                    chunk = []
            out.write("".join(chunk).encode())
            out.write(b"</sheetData></worksheet>")


def shared_string_bomb(path: Path, string_chars: int, cells: int) -> None:
    """sharedStrings.xml: one string of ``string_chars`` repeated letters, used by
    ``cells`` rows (a few KB zipped)."""

    def rows():
        for r in range(2, cells + 2):
            yield f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>'

    _xlsx(path, ["A" * string_chars], rows)


def many_rows_xlsx(path: Path, rows_n: int) -> None:
    """``rows_n`` data rows, each a shared title and a date (about 0.7 bytes zipped a row)."""

    def rows():
        for r in range(2, rows_n + 2):
            yield f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c><c r="B{r}"><v>46000</v></c></row>'

    _xlsx(path, ["技術セミナー"], rows)


def dimension_bomb(path: Path) -> None:
    """One data row, but the sheet claims A1:XFD1048576 and has a styled empty cell there
    (a reader that trusts the dimension pads 17 billion cells)."""

    def rows():
        yield '<row r="2"><c r="A2" t="inlineStr"><is><t>技術セミナー</t></is></c>'
        yield '<c r="B2" t="inlineStr"><is><t>2026/12/5</t></is></c></row>'
        yield '<row r="1048576"><c r="XFD1048576" s="0"/></row>'

    _xlsx(path, [], rows, dimension="A1:XFD1048576")


def _write_chunks(path: Path, head: bytes, unit: bytes, total: int, tail: bytes) -> None:
    total -= total % len(unit)  # whole units: a cut character would make it undecodable
    with path.open("wb") as out:
        out.write(head)
        block = unit * max(1, MB // len(unit))
        written = 0
        while written < total:
            piece = block[: total - written]
            out.write(piece)
            written += len(piece)
        out.write(tail)


def wide_csv(path: Path, columns: int) -> None:
    """A header of ``columns`` short names (1,000,000: 8.9 MB)."""
    with path.open("w", encoding="utf-8") as out:
        out.write("件名")
        for start in range(1, columns, 100_000):
            out.write("".join(f",c{i}" for i in range(start, min(columns, start + 100_000))))
        out.write("\n技術セミナー\n")


def long_line_csv(path: Path, nbytes: int) -> None:
    """A second line of ``nbytes`` without a line end or a comma."""
    _write_chunks(path, "件名,概要\n技術セミナー,".encode(), b"x", nbytes, b"\n")


def huge_cell_csv(path: Path, nbytes: int) -> None:
    """One quoted cell of ``nbytes`` in short lines (so only the cell is long)."""
    unit = "長い概要です。\n".encode()
    _write_chunks(path, '件名,概要\n技術セミナー,"'.encode(), unit, nbytes, b'"\n')


def oversize_csv(path: Path, nbytes: int) -> None:
    """An ordinary-looking report bigger than the file size limit."""
    row = "技術セミナー,2026/12/5\n".encode()
    _write_chunks(path, "件名,開催日\n".encode(), row, nbytes, b"")


def good_csv(path: Path) -> None:
    path.write_text("件名,開催日\n技術セミナー,2026/12/5\n産学連携フォーラム,2026/12/12\n", "utf-8")


# -- one intake in its own process

CHILD = """
import json, resource, sys, time
from pathlib import Path
from renkei.core.settings import load_settings
from renkei.submissions.intake import ingest_submission
settings = load_settings(sys.argv[1])
for path in sys.argv[3:]:
    started = time.perf_counter()
    out = ingest_submission(settings, Path(path), sys.argv[2], raise_on_reject=False)
    print(json.dumps({
        "error": out.error, "accepted": out.accepted, "rejected": out.rejected,
        "sha256": out.sha256, "receipt": str(out.receipt_path),
        "seconds": round(time.perf_counter() - started, 2),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }), flush=True)
"""


def run_intakes(
    config: Path, member: str, paths: list[Path], env: dict[str, str] | None = None
) -> list[dict]:
    """Ingest ``paths`` in order for ``member`` in one fresh process: each outcome, with the
    process's peak RSS (MB) so far (the first file's figure is that file's alone)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("RENKEI_", "PREFECT_"))}
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(config), member, *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"intake failed:\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in done.stdout.strip().splitlines()]


# -- the full-size run

FULL: dict[str, tuple[str, Callable[[Path], None]]] = {
    "wide": ("wide.csv", lambda p: wide_csv(p, 1_000_000)),
    "line": ("long-line.csv", lambda p: long_line_csv(p, 200 * MB)),
    "cell": ("huge-cell.csv", lambda p: huge_cell_csv(p, 200 * MB)),
    "bomb": ("shared-string-bomb.xlsx", lambda p: shared_string_bomb(p, 50 * MB, 2_000)),
    "rows": ("many-rows.xlsx", lambda p: many_rows_xlsx(p, 1_500_000)),
    "dimension": ("dimension.xlsx", dimension_bomb),
    "oversize": ("oversize.csv", lambda p: oversize_csv(p, 40 * MB)),
}
RAISED = {"RENKEI_INTAKE__MAX_FILE_BYTES": str(512 * MB)}


def _line(label: str, path: Path, result: dict) -> str:
    outcome = result["error"] or f"accepted {result['accepted']}, rejected {result['rejected']}"
    size = path.stat().st_size
    shown = f"{size / MB:.1f} MB" if size >= MB else f"{size / 1024:.1f} KB"
    return (
        f"{label:<28} {shown:>10}  peak RSS {result['rss_mb']:>6.0f} MB  "
        f"{result['seconds']:>6.2f} s  {outcome}"
    )


def _registry(folder: Path) -> None:
    header = "member_id,name,sector,sector_ja,prefecture,scope,feed_url,contact_email\n"
    row = "ind-04,岡山県商工会議所連合会,industry,産,岡山県,prefecture,,\n"
    (folder / "members.csv").write_text(header + row, encoding="utf-8")


def run(names: list[str], raise_limit: bool) -> None:
    sys.path.insert(0, str(ROOT))
    from renkei.scaffold import init_folder

    cases = [(n, *FULL[n], None) for n in names]
    if raise_limit:
        cases += [(f"{n} (file limit 512 MB)", *FULL[n], RAISED) for n in ("line", "cell")]
    with tempfile.TemporaryDirectory(prefix="renkei-hostile-") as tmp:
        for label, file_name, make, env in cases:
            work = Path(tmp) / label.split()[0] / ("raised" if env else "default")
            init_folder(work)
            _registry(work)
            inbox = work / "inbox" / "ind-04"
            inbox.mkdir(parents=True, exist_ok=True)
            path = inbox / file_name
            make(path)
            good = inbox / "good.csv"
            good_csv(good)
            result, after = run_intakes(work / "renkei.toml", "ind-04", [path, good], env)
            print(_line(label, path, result), flush=True)
            print(_line("  then a good file", good, after), flush=True)
            good.unlink()
            path.unlink()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    run(args or list(FULL), "--raise-file-limit" in sys.argv)
