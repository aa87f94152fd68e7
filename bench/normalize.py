"""Throughput of the normaliser on synthetic staged rows. Prints figures; asserts nothing."""

from __future__ import annotations

import resource
import sys
import time
from datetime import UTC, datetime

import polars as pl

from renkei.classification import load_rules
from transforms.activities import STAGED_SCHEMA, build_activities

DATES = ["令和8年12月5日", "R8.12.12", "2026/12/20", "２０２６年１２月２５日", "平成31年5月1日", ""]
TITLES = ["産学連携セミナー", "共同研究の成果発表", "補助金公募", "ｾﾐﾅｰ開催", "人材育成講座"]


def staged(n: int) -> pl.DataFrame:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    rows = [
        {
            "stage_id": f"s{i}",
            "raw_sha256": f"r{i // 100}",
            "position": i % 100,
            "source_kind": "csv" if i % 3 else "feed",
            "member_id": f"aca-{i % 35:02d}",
            "source_ref": "bench",
            "item_key": f"k{i}",
            "title": f"{TITLES[i % 5]} 第{i}回",
            "summary": f"<p>開催日：{DATES[i % 5]}　会場：会議室{i}。詳細は<b>こちら</b>。</p>" * 2,
            "url": f"https://example.jp/{i}",
            "published_text": "2026-11-10T10:00:00",
            "starts_text": DATES[i % 6] if i % 3 else None,
            "ends_text": None,
            "time_text": "13:30～16:00",
            "venue": "会議室",
            "category_text": None,
            "deadline_text": None,
            "contact": None,
            "extra": None,
            "staged_at": now,
        }
        for i in range(n)
    ]
    return pl.DataFrame(rows, schema=STAGED_SCHEMA)


def main(sizes: list[int]) -> None:
    rules = load_rules(None)
    for n in sizes:
        frame = staged(n)
        started = time.perf_counter()
        activities, quarantine = build_activities(frame, rules)
        elapsed = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"build_activities rows={n:>7} time={elapsed:7.3f}s rate={n / elapsed:>9.0f} rows/s "
            f"activities={activities.height} quarantined={quarantine.height} peak_rss={rss:.0f}MB"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000])
