"""Event facts read from free text (transforms/facts.py), measured on the labelled corpus.

    python bench/facts.py              # precision/recall per fact + time per 1,000,000 rows
    python bench/facts.py 200000       # time on this many rows instead (scaled to 1,000,000)

Timed twice: the corpus repeated (texts repeat, as titles and summaries do in feeds; each
distinct text is read once) and with every title and summary made distinct (the worst case).

The corpus (tests/fixtures/facts/corpus.jsonl, 230 items in university, prefecture, bank,
chamber of commerce, JETRO and 高専 styles) holds each item's title, summary, publication
date and the expected start, end, deadline, venue, online and fee. Per fact:
  exact     — items where the reading equals the label (both empty counts)
  precision — right / read (a value was produced)
  recall    — right / labelled (the label has a value)
  wrong     — a value that differs from the label; missing — no value where one is labelled
Prints figures; asserts nothing (tests/test_transforms_facts.py holds the targets).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl

from transforms.facts import read_facts

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "facts" / "corpus.jsonl"
FACTS = ("start", "end", "deadline", "venue", "online", "fee")


def load() -> tuple[pl.DataFrame, list[dict[str, str | None]]]:
    items = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line]
    frame = pl.DataFrame(
        {
            "title": [i["title"] for i in items],
            "summary": [i["summary"] for i in items],
            "published": [date.fromisoformat(i["published"]) for i in items],
        }
    )
    return frame, [i["expected"] for i in items]


def readings(frame: pl.DataFrame) -> pl.DataFrame:
    out = read_facts(frame, title="title", summary="summary", anchor="published")
    fmt = "%Y-%m-%dT%H:%M"
    return out.select(
        start=pl.col("_f_start_at").dt.strftime(fmt),
        end=pl.col("_f_end_at").dt.strftime(fmt),
        deadline=pl.col("_f_deadline_at").dt.strftime(fmt),
        venue=pl.col("_f_venue"),
        online=pl.col("_f_online"),
        fee=pl.col("_f_fee"),
    )


def score(got: pl.DataFrame, expected: list[dict[str, str | None]]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for fact in FACTS:
        values = got.get_column(fact).to_list()
        truth = [e[fact] for e in expected]
        exact = sum(v == t for v, t in zip(values, truth, strict=True))
        read = sum(v is not None for v in values)
        labelled = sum(t is not None for t in truth)
        right = sum(v is not None and v == t for v, t in zip(values, truth, strict=True))
        wrong = sum(v is not None and v != t for v, t in zip(values, truth, strict=True))
        missing = sum(v is None and t is not None for v, t in zip(values, truth, strict=True))
        table[fact] = {
            "exact": exact / len(truth),
            "precision": right / read if read else 1.0,
            "recall": right / labelled if labelled else 1.0,
            "wrong": wrong,
            "missing": missing,
            "labelled": labelled,
        }
    return table


def main() -> None:
    frame, expected = load()
    table = score(readings(frame), expected)
    print(f"corpus: {frame.height} items ({CORPUS.name})")
    print(
        f"{'fact':<9}{'exact':>8}{'precision':>11}{'recall':>8}{'wrong':>7}{'missing':>9}{'labelled':>10}"
    )
    for fact, s in table.items():
        print(
            f"{fact:<9}{s['exact']:>8.1%}{s['precision']:>11.1%}{s['recall']:>8.1%}"
            f"{s['wrong']:>7.0f}{s['missing']:>9.0f}{s['labelled']:>10.0f}"
        )
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    big = pl.concat([frame] * (rows // frame.height + 1)).head(rows).with_row_index("i")
    n = pl.col("i").cast(pl.String)
    distinct = big.with_columns(title=pl.col("title") + " No." + n, summary=pl.col("summary") + n)
    for label, data in (("corpus repeated", big), ("every text distinct", distinct)):
        started = time.perf_counter()
        read_facts(data.drop("i"), title="title", summary="summary", anchor="published")
        took = time.perf_counter() - started
        print(
            f"read_facts, {label}: {rows:,} rows in {took:.2f} s"
            f" = {took * 1_000_000 / rows:.2f} s per 1,000,000 rows"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cpus)")


if __name__ == "__main__":
    main()
