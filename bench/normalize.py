"""Normalise + dedup throughput on synthetic staged rows. Prints figures; asserts nothing.

    python bench/normalize.py                 # 1,000,000 rows, baselines on 20,000 rows
    python bench/normalize.py 100000 5000     # rows, baseline sample rows
    python bench/normalize.py --incremental [1000000 [1000]]   # rows normalised, new rows

Rows: Japanese titles, summaries with markup and entities, mixed date forms (ISO, 2026/12/5,
令和8年12月5日, R8.12.12, full-width digits, 平成31年5月1日), 5% near-duplicates (the same
event re-announced by another member with full-width digits and an ideographic space, i.e.
co-hosted events that must merge). The summaries repeat (300 distinct texts), which lets
the per-distinct-text work (facts, dates) of the vectorised path do little.

Printed, all from the same run:
- normalise + dedup in this process: build_activities + merge_cohosted on the frame;
- the full normalise as ``renkei normalize`` runs it, in a fresh process on a warehouse
  holding the rows: staging read from DuckDB in parts, activities, quarantine,
  organisers, merges and the incremental state written in one transaction (related
  activities left out: TF-IDF over a million activities is bench/related.py's); its wall
  time and peak RSS are the issue's "full" targets;
- the baseline: bench/normalize_loop.py, a plain-Python loop doing the same work row by
  row, on a sample, extrapolated linearly; and the lighter loop this bench used until
  2026-12-05 (text cleaning of title and summary, one date, category keywords), so the two
  ratios can be told apart; one INSERT … ON CONFLICT per row for the total.
"""

from __future__ import annotations

import renkei  # noqa: F401  (first: it sets Polars' allocator before Polars loads)

# isort: split
import hashlib
import html
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
from normalize_loop import Loop

from renkei.core.settings import load_settings
from renkei.core.staging import STAGED_SCHEMA
from renkei.normalize import activities as full
from renkei.normalize.activities import NormalizeReport
from renkei.normalize.rules import load_rules
from renkei.scaffold import init_folder
from transforms.activities import build_activities
from transforms.classify import Rules
from transforms.dates import DateParseError, parse_datetime_text
from transforms.organisers import merge_cohosted
from warehouse.connection import open_warehouse
from warehouse.migrations import migrate

DATES = [
    "令和8年12月5日",
    "R8.12.12",
    "2026/12/20",
    "２０２６年１２月２５日",
    "2026-12-08",
    "平成31年5月1日",
]
TOPICS = ["産学連携セミナー", "共同研究の成果発表会", "補助金公募説明会",
          "ｾﾐﾅｰ開催のお知らせ", "人材育成講座", "ビジネスフェア出展者募集",
          "技術シーズ交流会", "成功事例シンポジウム"]  # fmt: skip
MEMBERS = pl.DataFrame(
    {
        "member_id": [f"aca-{i:02d}" for i in range(40)],
        "name": [f"国立大学法人テスト大学{i:02d}" for i in range(40)],
    }
)
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def staged(n: int) -> pl.DataFrame:
    """n staged rows; every 20th row re-announces row i-1's event from another member."""
    i = pl.int_range(n, dtype=pl.Int64, eager=True).alias("i")
    base = pl.DataFrame(i)
    dup = (pl.col("i") % 20) == 19
    src = pl.when(dup).then(pl.col("i") - 1).otherwise(pl.col("i"))  # the event described
    topic = pl.lit(pl.Series(TOPICS)).get(src % len(TOPICS))
    date = pl.lit(pl.Series(DATES)).get(src % len(DATES))
    title = pl.concat_str(topic, pl.lit(" 第"), src.cast(pl.String), pl.lit("回"))
    near_dup_title = title.str.replace_many(
        {str(d): chr(0xFF10 + d) for d in range(10)} | {" ": "\u3000"}
    )
    frame = base.select(
        stage_id=pl.concat_str(pl.lit("s"), pl.col("i").cast(pl.String)),
        raw_sha256=pl.concat_str(pl.lit("r"), (pl.col("i") // 100).cast(pl.String)),
        position=pl.col("i") % 100,
        source_kind=pl.when(pl.col("i") % 3 == 0).then(pl.lit("feed")).otherwise(pl.lit("csv")),
        member_id=pl.format(
            "aca-{}", ((pl.col("i") + dup.cast(pl.Int64)) % 40).cast(pl.String)
        ).str.replace(r"^aca-(\d)$", "aca-0$1"),
        source_ref=pl.lit("bench"),
        item_key=pl.concat_str(pl.lit("k"), pl.col("i").cast(pl.String)),
        title=pl.when(dup).then(near_dup_title).otherwise(title),
        summary=pl.concat_str(
            pl.lit("<p>開催日："),
            date,
            pl.lit(" 13:30～16:00　会場：会議室"),
            (src % 50).cast(pl.String),
            pl.lit("。詳細は<b>こちら</b> &amp; お問い合わせ&#12290;</p><script>x()</script>"),
        ),
        url=pl.concat_str(pl.lit("https://example.jp/e/"), src.cast(pl.String)),
        published_text=pl.lit("2026-11-10T10:00:00"),
        starts_text=pl.when(pl.col("i") % 3 == 0).then(None).otherwise(date),
        ends_text=pl.lit(None, pl.String),
        time_text=pl.lit("13:30～16:00"),
        venue=pl.lit("会議室"),
        category_text=pl.lit(None, pl.String),
        deadline_text=pl.lit(None, pl.String),
        contact=pl.lit(None, pl.String),
        extra=pl.lit(None, pl.String),
        staged_at=pl.lit(NOW).dt.convert_time_zone("Asia/Tokyo"),
    )
    return frame.cast(dict(STAGED_SCHEMA))


def _peak_mb() -> float:
    """Peak RSS of this process (VmHWM: ru_maxrss of a child counts its parent's at fork)."""
    hwm = [x for x in Path("/proc/self/status").read_text().splitlines() if x[:6] == "VmHWM:"]
    return int(hwm[0].split()[1]) / 1024


def _warehouse(folder: Path, name: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(folder / name))
    migrate(con)
    return con


def vectorised(frame: pl.DataFrame, rules: Rules) -> dict[str, float]:
    started = time.perf_counter()
    activities, quarantine = build_activities(frame, rules)
    normalised = time.perf_counter() - started
    mark = time.perf_counter()
    activities, _, merges = merge_cohosted(activities, MEMBERS)
    dedup = time.perf_counter() - mark
    return {"normalise": normalised, "dedup": dedup, "activities": activities.height,
            "merged": merges.height, "quarantined": quarantine.height}  # fmt: skip


# --- the plain-Python baseline: the same steps, one row at a time --------------------

_TAGS = [
    (re.compile(r"(?is)<!--.*?-->"), ""),
    (re.compile(r"(?is)<script\b[^>]*>.*?</script\s*>"), ""),
    (re.compile(r"(?is)<style\b[^>]*>.*?</style\s*>"), ""),
    (re.compile(r"(?i)</?\s*(?:br|p|div|li|td|h[1-6])\b[^>]*>"), " "),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
]
_WIDTH = str.maketrans(
    {chr(c): unicodedata.normalize("NFKC", chr(c)) for c in range(0xFF61, 0xFFA0)}
    | {chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF5B)}
)
_PUNCT = re.compile(r"[\s!-/:-@\[-`{-~、。・「」（）【】～〜★※■]")
_MARKER = re.compile(r"(?:開催日時|開催日|開催期間|日時|日程)\s*[:：]\s*(\S+)")


def _text(value: str | None) -> str:
    if not value:
        return ""
    for pattern, repl in _TAGS:
        value = pattern.sub(repl, value)
    value = html.unescape(value).translate(_WIDTH)
    return " ".join(value.split())


def _key(value: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", value).lower())


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime_text(value)
    except DateParseError:
        return None
    return None if parsed is None else parsed.value


def baseline(rows: list[dict], rules: Rules, folder: Path, inserts: int) -> tuple[float, float]:
    """(seconds for normalise + dedup of ``rows``, seconds per row for the upsert)."""
    words = [(category, _key(w)) for category, w in rules.categories]
    started = time.perf_counter()
    kept: dict[str, dict] = {}
    for row in rows:
        title, summary = _text(row["title"]), _text(row["summary"])
        title_key = _key(title)
        starts = _date(row["starts_text"])
        if starts is None and row["source_kind"] == "feed":
            found = _MARKER.search(unicodedata.normalize("NFKC", summary))
            starts = _date(found.group(1)) if found else None
        category = next((c for c, w in words if w in title_key), None) or next(
            (c for c, w in words if w in _key(summary)), "other"
        )
        natural = f"{row['member_id']}|{row['item_key']}|{title_key}"
        activity_id = hashlib.sha256(natural.encode()).hexdigest()[:20]
        content = "\x1f".join([title, summary, row["url"] or "", category, str(starts)])
        kept[activity_id] = {
            "activity_id": activity_id,
            "member_id": row["member_id"],
            "title": title,
            "title_key": title_key,
            "summary": summary[:200],
            "category": category,
            "starts_at": starts,
            "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
        }
    events: dict[tuple[str, object], str] = {}
    merged = 0
    for activity_id in sorted(kept):
        row = kept[activity_id]
        day = row["starts_at"].date() if row["starts_at"] else None
        if (row["title_key"], day) in events:
            merged += 1
            del kept[activity_id]
        else:
            events[(row["title_key"], day)] = activity_id
    normalised = time.perf_counter() - started
    con = _warehouse(folder, "baseline.duckdb")
    # A row-at-a-time upsert needs a key to conflict on; renkei's table has none since
    # migration 029 (normalise writes in bulk and checks uniqueness itself), so the loop's
    # table gets the index its upserts need, as the table had before (same work as then).
    con.execute("CREATE UNIQUE INDEX baseline_activity_id ON activities (activity_id)")
    started = time.perf_counter()
    for row in list(kept.values())[:inserts]:
        con.execute(
            "INSERT INTO activities (activity_id, member_id, source, title, title_key, summary,"
            " category, category_rule, all_day, starts_at, content_sha256, first_seen_at,"
            " updated_at) VALUES ($1, $2, 'csv', $3, $4, $5, $6, 'keyword', false, $7, $8, $9,"
            " $9) ON CONFLICT (activity_id) DO UPDATE SET title = excluded.title,"
            " summary = excluded.summary, content_sha256 = excluded.content_sha256",
            [
                row["activity_id"],
                row["member_id"],
                row["title"],
                row["title_key"],
                row["summary"],
                row["category"],
                row["starts_at"],
                row["content_sha256"],
                NOW,
            ],
        )
    per_insert = (time.perf_counter() - started) / inserts
    con.close()
    return normalised, per_insert


def main(n: int, sample: int, inserts: int = 1_000) -> None:
    rules = load_rules(None)
    frame = staged(n)
    print(f"generated {n:,} staged rows ({frame.estimated_size('mb'):.0f} MB in memory)")
    t = vectorised(frame, rules)
    both = t["normalise"] + t["dedup"]
    print(
        f"normalise + dedup in process: {both:.1f}s (normalise {t['normalise']:.1f}s + dedup "
        f"{t['dedup']:.1f}s, {n / both:,.0f} rows/s); {t['activities']:,.0f} activities, "
        f"{t['merged']:,.0f} merged, {t['quarantined']:,.0f} quarantined"
    )
    rows = frame.head(sample).to_dicts()
    del frame
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "work"
        settings_path = _warehouse_with(folder, n)
        seconds, peak, line = _measure(settings_path, "full")
        print(
            f"full normalise as `renkei normalize` runs it (fresh process; no related): "
            f"{seconds:.1f}s, peak RSS {peak:,.0f} MB (target < 20 s, < 1.5 GB) — {line}"
        )
        started = time.perf_counter()
        _, _, loop_merged = Loop(rules).run(rows)
        loop = (time.perf_counter() - started) * n / sample
        print(
            f"baseline, plain-Python loop doing the same work (bench/normalize_loop.py): "
            f"{n / loop:,.0f} rows/s on {sample:,} rows; extrapolated to {n:,}: "
            f"{loop:.0f}s ({loop_merged:,} merged in the sample); normalise + dedup "
            f"speed-up {loop / both:.1f}x (target ≥ 5x)"
        )
        light, per_insert = baseline(rows, rules, Path(tmp), min(inserts, sample // 2))
        light *= n / sample
        upserts = per_insert * t["activities"]
        print(
            f"lighter loop (this bench's baseline until 2026-12-05: title and summary "
            f"cleaned, one date, category keywords): {light:.0f}s for {n:,}, speed-up "
            f"{light / both:.1f}x; one upsert per row {per_insert * 1000:.1f} ms "
            f"({upserts:,.0f}s for every activity): the full normalise is "
            f"{(loop + upserts) / seconds:,.0f}x the same-work loop with per-row upserts"
        )


# --- incremental normalise (issue 22): n rows normalised, then `new` rows staged -----------


def _new_rows(n: int, new: int) -> pl.DataFrame:
    """``new`` staged rows after ``n``: mostly new events; every 20th a newer version of an
    old feed item (same member and item key), every 20th another member's re-announcement of
    an old event (a merge spanning old and new rows)."""
    k = pl.int_range(new, dtype=pl.Int64, eager=True)
    old = staged(n)[((k * 997) % n // 3 * 3).to_list()]  # feed rows (i % 3 == 0)
    other = old.with_columns(
        member_id=pl.format("aca-{}", ((k + 7) % 40).cast(pl.String)).str.replace(
            r"^aca-(\d)$", "aca-0$1"
        ),
        item_key=pl.concat_str(pl.lit("again"), k.cast(pl.String)),
    )
    kind = k % 20
    rows = pl.concat([
        staged(n + new).tail(new).filter((kind > 1).to_list()),
        old.filter((kind == 1).to_list()),
        other.filter((kind == 0).to_list()),
    ])  # fmt: skip
    j = pl.int_range(pl.len(), dtype=pl.Int64)
    return rows.with_columns(
        stage_id=pl.concat_str(pl.lit("new"), j.cast(pl.String)),
        raw_sha256=pl.concat_str(pl.lit("rnew"), (j // 100).cast(pl.String)),
        position=j % 100,
        staged_at=pl.lit(NOW + timedelta(days=1)).dt.convert_time_zone("Asia/Tokyo"),
    ).cast(dict(STAGED_SCHEMA))


def _stage(settings_path: Path, frame: pl.DataFrame) -> None:
    settings = load_settings(settings_path)
    with open_warehouse(settings.warehouse) as con:
        con.register("batch", frame)
        con.execute("INSERT INTO stg_items BY NAME SELECT * FROM batch")
        con.unregister("batch")


def _full_without_related(settings_path: Path) -> NormalizeReport:
    """``renkei normalize --full`` exactly (DuckDB's limit, the invariants, the state),
    minus the related activities (TF-IDF over 1,000,000 activities does not fit the bench;
    bench/related.py measures it)."""
    full.replace_related = lambda con: 0  # this child process only
    return full.normalize(load_settings(settings_path), full=True)


def _child(settings_path: str, what: str) -> None:
    """One measured run in a fresh process: prints seconds, peak RSS and the report."""
    started = time.perf_counter()
    if what == "full":
        report = _full_without_related(Path(settings_path))
    else:
        report = full.normalize(load_settings(settings_path))
    seconds = time.perf_counter() - started
    print(f"{seconds:.3f} {_peak_mb():.0f} {report.summary()} | {report.processed()}")


def _measure(settings_path: Path, what: str) -> tuple[float, float, str]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(settings_path), what],
        check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    seconds, peak, rest = out.split(" ", 2)
    return float(seconds), float(peak), rest


def _warehouse_with(folder: Path, n: int) -> Path:
    """A working folder whose warehouse has the bench's members and ``n`` staged rows."""
    init_folder(folder)
    settings_path = folder / "renkei.toml"
    settings = load_settings(settings_path)
    members = MEMBERS.with_columns(
        sector=pl.lit("academia"), prefecture=pl.lit("鳥取県"), updated_at=pl.lit(NOW)
    )
    with open_warehouse(settings.warehouse) as con:
        con.register("batch", members)
        con.execute("INSERT INTO members BY NAME SELECT * FROM batch")
        con.unregister("batch")
    for at in range(0, n, 200_000):  # staged a part at a time: the bench's own memory
        _stage(settings_path, staged(min(n, at + 200_000)).slice(at))
    return settings_path


def incremental(n: int, new: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings_path = _warehouse_with(Path(tmp) / "work", n)
        seconds, peak, line = _measure(settings_path, "full")
        print(f"full normalise of {n:,} staged rows (no related; state kept): "
              f"{seconds:.1f}s, peak RSS {peak:,.0f} MB — {line}")  # fmt: skip
        _stage(settings_path, _new_rows(n, new))
        seconds, peak, line = _measure(settings_path, "incremental")
        print(f"incremental normalise, {new:,} new staged rows on {n:,}: {seconds:.2f}s, "
              f"peak RSS {peak:,.0f} MB (target < 3 s, < 500 MB) — {line}")  # fmt: skip
        seconds, peak, line = _measure(settings_path, "incremental")
        print(
            f"incremental normalise, nothing new: {seconds:.2f}s, peak RSS {peak:,.0f} MB — {line}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["--incremental"]:
        args = [int(a) for a in sys.argv[2:]]
        incremental(args[0] if args else 1_000_000, args[1] if len(args) > 1 else 1_000)
    else:
        args = [int(a) for a in sys.argv[1:]]
        main(args[0] if args else 1_000_000, args[1] if len(args) > 1 else 20_000)
