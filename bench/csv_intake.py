"""CSV intake throughput: a 100,000-row CP932 report through renkei's intake vs a row loop.

    python bench/csv_intake.py            # 100,000 rows, median of 3 rounds per side
    python bench/csv_intake.py 20000 --rounds 5
    BENCH_UNMIGRATED=1 python bench/csv_intake.py   # the warehouse created inside the clock

The file is what Excel writes (CP932, CRLF, Japanese headers) with mixed date forms (2026/12/5,
令和8年12月5日, R8.12.12, full-width digits, year-less 12月5日, ranges 12月5日～6日), times,
half-width katakana, and 3% bad rows (unreadable date, empty title, javascript: URL). Its
問い合わせ先 is a real-looking number: until 2026-12-05 it was the template's example number
082-000-0000, which renkei refuses since the template-row check (issue 17), so every row was
rejected and nothing was staged.

- renkei: `renkei.submissions.intake.stage_file`, alone in its process (its peak RSS is the
  intake's), into an empty warehouse created and migrated before the clock (as any command
  leaves it) after an untimed warm-up intake of the first 1,000 rows in another folder
  (first-use costs: lazy imports, compiled regexes) — decode, read, complete dates, judge
  every row, stage the accepted rows into a real DuckDB file, record verdicts and
  quarantine, write the receipt. The rows are judged in parts of 34,000, each staged on a
  helper thread while the next is judged; the raw bytes are kept, the warehouse opened and
  the transaction committed on that thread too (all inside the timed call).
- judge: read_submission + check_rows only (the whole file in one go), in its own process
  after the same warm-up, with every verdict and note worked out, duplicates included (the
  activity_id/content hashes are not: a new file needs them only when it replaces an
  earlier one).
- baseline: Python's csv module row by row with the same validation per row — header
  aliases, year completion and ranges (with their notes), the same date and time parsers,
  the display title (widths, markup, entities, whitespace: what "件名が空です" is judged on),
  URL and end-before-start checks, the template's example row and placeholder URL / phone
  number (renkei.submissions.placeholders; in the loop since 2026-12-05), and the identity
  (match key + start date) that notes two rows with one identity — keeping the verdicts in a
  list: no warehouse at all.
- lighter: the loop without the display title, the placeholders and the identities (what
  this bench compared against until 2026-11-23; printed so the figures can be told apart).

Each side runs in its own process, so peak RSS (getrusage) is per side. Prints rows/s, peak
memory, the ratio and the targets (issue 22: >= 5x, < 350 MB); asserts nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = [
    "件名",
    "開催日",
    "終了日",
    "時間",
    "会場",
    "概要",
    "URL",
    "区分",
    "申込締切",
    "問い合わせ先",
]
TOPICS = ["産学連携セミナー", "共同研究の成果発表会", "補助金公募説明会", "ｾﾐﾅｰ開催のお知らせ",
          "人材育成講座①", "ビジネスフェア出展者募集", "技術シーズ交流会",
          "成功事例シンポジウム"]  # fmt: skip
DATES = ["2026/12/{d}", "令和8年12月{d}日", "R8.12.{d}", "２０２６年１２月{d}日", "12月{d}日",
         "12月{d}日～{e}日", "2027-01-{d:02d}"]  # fmt: skip
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
ROUNDS = 3  # each side reports its median round (--rounds N)


def make_file(path: Path, n: int) -> None:
    rng = random.Random(4)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for i in range(n):
        d = rng.randint(1, 27)
        start = rng.choice(DATES).format(d=d, e=d + 1)
        title = f"{rng.choice(TOPICS)} 第{i}回"
        url = f"https://www.example.jp/event/{i}.html"
        bad = i % 100
        if bad == 1:
            start = "令和8年13月5日"
        elif bad == 2:
            title = ""
        elif bad == 3:
            url = "javascript:void(0)"
        writer.writerow([
            title, start, "", "13:30～16:00", f"会場{i % 50}",
            f"{title}のご案内です。ｺﾗﾎﾞﾚｰｼｮﾝの事例を紹介します。", url,
            rng.choice(["セミナー", "公募", "イベント", ""]), "", "事業推進課 082-223-4567",
        ])  # fmt: skip
    path.write_bytes(out.getvalue().encode("cp932"))


# ------------------------------------------------------------------ the two sides


def _member():
    from renkei.core.registry import Member

    member = Member(
        "ind-04", "岡山県商工会議所連合会", "industry", "岡山県", "prefecture", None, ()
    )
    return member, {"ind-04": member.name}


def run_renkei(path: Path) -> dict[str, float]:
    """The whole intake, alone in its process (its peak RSS is the intake's)."""
    # No pyarrow: renkei hands frames to DuckDB and reads results back through the Arrow C
    # stream interface (warehouse.queries.FrameStream); until 2026-12-05 this side imported
    # it before the clock, as DuckDB's .pl() did on first use (37 MB of its peak RSS).
    from renkei.core.settings import load_settings
    from renkei.scaffold import init_folder
    from renkei.submissions.intake import stage_file
    from warehouse.connection import open_warehouse

    member, names = _member()
    # Warm-up (not timed): the first 1,000 rows through a throw-away folder, so the figure
    # is the intake's and not the process's first-use costs (lazy imports, compiled
    # regexes, DuckDB's first connection), which do not grow with the file.
    small = _first_rows(path)
    warm = Path(tempfile.mkdtemp(prefix="bench-intake-")) / "work"
    init_folder(warm)
    stage_file(load_settings(warm / "renkei.toml"), small, member, names, now=NOW)
    whole = []
    for _ in range(ROUNDS):
        work = Path(tempfile.mkdtemp(prefix="bench-intake-")) / "work"
        init_folder(work)
        settings = load_settings(work / "renkei.toml")
        if not os.environ.get("BENCH_UNMIGRATED"):  # created and migrated, as any command leaves it
            with open_warehouse(settings.warehouse):
                pass
        start = time.perf_counter()  # the whole intake, into an empty warehouse
        outcome = stage_file(settings, path, member, names, now=NOW)
        whole.append(time.perf_counter() - start)
    return {
        "seconds": statistics.median(whole),
        "accepted": outcome.accepted,
        "rejected": outcome.rejected,
    }


def _first_rows(path: Path, rows: int = 1000) -> Path:
    """A file of the header and the first ``rows`` rows of ``path`` (for warming up)."""
    small = path.with_name("warm-up.csv")
    with path.open("rb") as source:
        small.write_bytes(b"".join(line for _, line in zip(range(rows + 1), source, strict=False)))
    return small


def run_judge(path: Path) -> dict[str, float]:
    """read_submission + check_rows only (no warehouse): the same work as the baseline."""
    from renkei.submissions.check import check_rows
    from renkei.submissions.read import read_submission

    _, names = _member()
    small = _first_rows(path)  # warm-up, as for the intake
    warm = check_rows(read_submission(small.read_bytes(), small.name).frame,
                      raw_sha256="0" * 64, member_id="ind-04", member_names=names,
                      source_ref=small.name, received_at=NOW)  # fmt: skip
    warm.judged  # noqa: B018
    judged = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        read = read_submission(path.read_bytes(), path.name)
        checked = check_rows(
            read.frame,
            raw_sha256="0" * 64,
            member_id="ind-04",
            member_names=names,
            source_ref=path.name,
            received_at=NOW,
        )
        judge = checked.judged  # every verdict with its notes, duplicates included
        judged.append(time.perf_counter() - start)
        accepted, rows = int(judge["accepted"].sum()), judge.height
        del read, checked, judge
    return {"seconds": statistics.median(judged), "accepted": accepted, "rejected": rows - accepted}


def _baseline_text():
    """Per-row Python forms of the text checks renkei applies column-wise: the display title
    (transforms.text.display_text: widths, markup, entities, whitespace) and the match key
    that finds two rows with one identity (transforms.text.match_key)."""
    from transforms.text import _RANGE_MARKS, _decode, _strip_markup_py, _tidy_chars_py

    spaces = re.compile(r"\s+")
    # re has no \p{P}: a translate table from the Unicode tables (built before the clock)
    drop = str.maketrans(
        dict.fromkeys(
            c for c in range(sys.maxunicode + 1)
            if chr(c).isspace() or unicodedata.category(chr(c))[0] == "P"
            or unicodedata.category(chr(c)) == "So"
        )
    )  # fmt: skip
    marks = str.maketrans(dict.fromkeys(_RANGE_MARKS, "~"))

    def display(text: str | None) -> str:
        if not text:
            return ""
        cleaned = _decode(_strip_markup_py(_tidy_chars_py(text)))
        return spaces.sub(" ", cleaned).strip(" ")

    def key(text: str) -> str:
        nfkc = unicodedata.normalize("NFKC", text).lower().translate(marks)
        return unicodedata.normalize("NFKC", nfkc.translate(drop))

    return display, key


def _baseline_placeholders(key):
    """Per-row Python form of renkei.submissions.placeholders (the template's example row, a
    placeholder URL, a placeholder phone number in 問い合わせ先), built before the clock."""
    from renkei.submissions import placeholders as ph

    example_title = key(ph._EXAMPLE["件名"])
    examples = {f: key(v) for f, v in ph._EXAMPLE_FIELDS.items()}
    example_url = key(ph._EXAMPLE["URL"])
    url_re = re.compile(ph._PLACEHOLDER_URL.removeprefix("(?i)"), re.IGNORECASE)
    phone_re = re.compile(ph._PLACEHOLDER_PHONE)
    dashes = str.maketrans(ph._DASHES)

    def reasons(row: dict) -> list[str]:
        title, url, contact = row.get("title"), row.get("url"), row.get("contact")
        if (
            title is not None
            and key(title) == example_title
            and any(row.get(f) is not None and key(row[f]) == k for f, k in examples.items())
        ):
            return [ph.EXAMPLE_ROW_REASON]
        found = []
        if url is not None and (
            url_re.search(unicodedata.normalize("NFKC", url)) or key(url) == example_url
        ):
            found.append(ph.URL_REASON.format(url))
        if contact is not None:
            phone = phone_re.search(unicodedata.normalize("NFKC", contact).translate(dashes))
            if phone:
                found.append(ph.PHONE_REASON.format(phone[1]))
        return found

    return reasons


def run_baseline(path: Path, *, full: bool = True) -> dict[str, float]:
    runs = [_baseline_once(path, full=full) for _ in range(ROUNDS)]
    return {**runs[0], "seconds": statistics.median(r["seconds"] for r in runs)}


def _baseline_once(path: Path, *, full: bool) -> dict[str, float]:
    """``full``: the same validation as renkei's (display title, duplicate identities);
    without it, the lighter loop earlier versions of this bench compared against."""
    from renkei.submissions.read import _LOOKUP, header_key
    from transforms.dates import DateParseError, parse_datetime_text, parse_time_range
    from transforms.submission_dates import complete_one

    url_ok = re.compile(r"^https?://[^\s/]+\.[^\s]*$", re.IGNORECASE)
    display, key = _baseline_text()
    placeholders = _baseline_placeholders(key)
    received = NOW.date()
    start = time.perf_counter()
    text = path.read_bytes().decode("cp932")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    fields = [_LOOKUP.get(header_key(h), "extra") for h in header]
    verdicts: list[tuple[int, dict, list[str], list[str]]] = []
    latest: dict[str, int] = {}  # identity -> index of the row that carries it
    for position, values in enumerate(reader):
        row = {f: v.strip() or None for f, v in zip(fields, values, strict=False)}
        reasons: list[str] = placeholders(row) if full else []
        notes: list[str] = []
        starts, range_end, flag = complete_one(row.get("starts_text"), received)
        if flag:
            notes.append(flag)
        ends = row.get("ends_text") or range_end
        s = None
        try:
            s = parse_datetime_text(starts)
            e = parse_datetime_text(ends)
            parse_datetime_text(row.get("deadline_text"))
            parse_time_range(row.get("time_text"))
            if s and e and e.value < s.value:
                reasons.append("終了日が開催日より前です")
        except DateParseError as exc:
            reasons.append(str(exc))
        title = display(row.get("title")) if full else (row.get("title") or "")
        if not title:
            reasons.append("件名が空です")
        if (url := row.get("url")) and not url_ok.match(url):
            reasons.append("URL が正しくありません")
        if full and not reasons:  # a later row with the same identity wins
            identity = f"{key(title)}|{s.value.date().isoformat() if s else ''}"
            if identity in latest:
                verdicts[latest[identity]][3].append("同じ件名・開催日の行がほかにもあります")
            latest[identity] = len(verdicts)
        verdicts.append((position, row, reasons, notes))
    elapsed = time.perf_counter() - start
    rejected = sum(1 for v in verdicts if v[2])
    return {"seconds": elapsed, "accepted": len(verdicts) - rejected, "rejected": rejected}


SIDES = {
    "renkei": run_renkei,
    "judge": run_judge,
    "baseline": run_baseline,
    "lighter": lambda path: run_baseline(path, full=False),
}


def side(name: str, path: Path) -> None:
    result = SIDES[name](path)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    median = statistics.median(r["seconds"] for r in runs)
    return {**runs[0], "seconds": median, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inbox-report.csv"
        make_file(path, n)
        size = path.stat().st_size / 1e6
        print(f"{n:,} rows, CP932, {size:.1f} MB; each side's median of {ROUNDS} rounds")
        # Rounds interleave the sides, each round a fresh process per side (as `renkei
        # submit` is): a machine whose speed drifts slows all three alike.
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in SIDES}
        for _ in range(ROUNDS):
            for name in SIDES:
                done = subprocess.run(
                    [sys.executable, __file__, "--side", name, str(path), "--rounds", "1"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
        results = {name: _median_run(found) for name, found in runs.items()}
    for name, r in results.items():
        print(
            f"{name:<9} {r['seconds']:7.2f} s  {n / r['seconds']:>9,.0f} rows/s  "
            f"peak RSS {r['peak_rss_mb']:6.0f} MB  accepted {r['accepted']:,} "
            f"rejected {r['rejected']:,}"
        )
    base, light, ours = (
        results["baseline"]["seconds"],
        results["lighter"]["seconds"],
        results["renkei"],
    )
    judge = results["judge"]["seconds"]
    print(
        f"renkei read + judge only (no warehouse): {judge:.2f} s, {n / judge:,.0f} rows/s, "
        f"{base / judge:.1f}x the baseline"
    )
    print(
        f"speed-up of the whole intake (incl. DuckDB staging): {base / ours['seconds']:.1f}x "
        f"the csv-module row loop with the same validation (target >= 5x); "
        f"{light / ours['seconds']:.1f}x the lighter loop"
    )
    print(
        f"peak RSS of the whole intake: {ours['peak_rss_mb']:.0f} MB (target < 350 MB); "
        f"the baseline {results['baseline']['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    if "--rounds" in sys.argv:
        at = sys.argv.index("--rounds")
        ROUNDS = int(sys.argv[at + 1])
        del sys.argv[at : at + 2]
    if len(sys.argv) == 4 and sys.argv[1] == "--side":
        side(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
