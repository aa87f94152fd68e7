"""Publish throughput: the whole open-data release from a warehouse of synthetic activities.

    python bench/publish.py            # 1,000,000 activities (target: under 30 s on 2 cores)
    python bench/publish.py 100000

Builds a warehouse with the bundled 85-member registry and N synthetic activities (Japanese
titles, 40% events of which some are upcoming, 5% co-hosted across sectors), closes it, then
runs `renkei.pipeline.publish` in a fresh child process and prints its wall time and peak
memory (the child's max RSS, so generating the data is not counted). Asserts nothing.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENERATE = """
INSERT INTO activities BY NAME
SELECT 'act-' || lpad(i::VARCHAR, 8, '0') AS activity_id,
       m.member_id, 'feed' AS source,
       ['産学連携セミナー', '共同研究の成果発表会', '補助金公募説明会', '人材育成講座',
        '技術シーズ交流会'][1 + i % 5] || ' 第' || i || '回' AS title,
       'key' || i AS title_key,
       '地域の企業と大学が連携して取り組む活動のご案内です。番号 ' || i AS summary,
       'https://example.jp/a/' || i AS url,
       ['event', 'event', 'call', 'news', 'success_case'][1 + i % 5] AS category,
       'bench' AS category_rule,
       TIMESTAMPTZ '2024-01-01 10:00:00+09' + to_minutes((i * 7) % 3000000) AS starts_at,
       TIMESTAMPTZ '2024-01-01 12:00:00+09' + to_minutes((i * 7) % 3000000) AS ends_at,
       i % 10 = 0 AS all_day,
       TIMESTAMPTZ '2023-12-01 09:00:00+09' + to_minutes((i * 7) % 3000000) AS published_at,
       NULL AS deadline_at, '会場' || (i % 50) AS venue, NULL AS contact,
       'h' || i AS content_sha256,
       TIMESTAMPTZ '2023-12-01 09:00:00+09' + to_minutes((i * 7) % 3000000) AS first_seen_at,
       TIMESTAMPTZ '2023-12-01 09:00:00+09' + to_minutes((i * 7) % 3000000) AS updated_at
FROM range($n) t(i)
JOIN (SELECT member_id, row_number() OVER (ORDER BY member_id) - 1 AS k FROM members) m
  ON m.k = i % $members;
INSERT INTO activity_organisers
SELECT activity_id, member_id, 'host', 'publisher' FROM activities;
INSERT INTO activity_organisers
SELECT a.activity_id, m.member_id, 'co_host', 'text:主催'
FROM activities a
JOIN (SELECT member_id, row_number() OVER (ORDER BY member_id) - 1 AS k FROM members) m
  ON m.k = (hash(a.activity_id) % $members)
WHERE hash(a.activity_id) % 20 = 0 AND m.member_id <> a.member_id;
"""


def build(n: int, folder: Path) -> Path:
    from renkei import pipeline
    from renkei.core.settings import load_settings
    from renkei.scaffold import init_folder
    from warehouse.connection import open_warehouse

    init_folder(folder)
    settings = load_settings(folder / "renkei.toml")
    members = pipeline.sync_registry(settings)
    with open_warehouse(settings.warehouse) as con:
        for statement in filter(str.strip, GENERATE.split(";")):
            params = {k: v for k, v in {"n": n, "members": len(members)}.items()
                      if f"${k}" in statement}  # fmt: skip
            con.execute(statement, params)
    return folder / "renkei.toml"


def publish(config: str) -> None:
    from renkei import pipeline
    from renkei.core.settings import load_settings

    settings = load_settings(Path(config))
    start = time.perf_counter()
    files = pipeline.publish(settings)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = sum(p.stat().st_size for p in files) / 1024 / 1024
    print(f"publish: {elapsed:.1f} s, peak RSS {peak_mb:.0f} MB, {len(files)} files, "
          f"{size_mb:.0f} MB written")  # fmt: skip


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--publish":
        publish(sys.argv[2])
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        config = build(n, Path(tmp) / "work")
        print(f"built a warehouse of {n:,} activities in {time.perf_counter() - start:.1f} s")
        subprocess.run([sys.executable, __file__, "--publish", str(config)], check=True)


if __name__ == "__main__":
    main()
