"""Take hidden activities out of the frozen snapshots already published.

A snapshot (``releases/<issue>_<date>/``) is the data as it was when an issue was sent, and
stays so, with one exception: an activity the secretariat hid (``renkei hide``: wrong or
placeholder data, something that must not be public) is removed from its data files
(activities CSV/Parquet/JSON and events.csv) at the next publish. Only the hidden rows go;
every other row keeps its bytes' content, the datapackage.json keeps its version. Each
rewritten file is read back by its parser and swapped in whole (``os.replace``), as the
current files are. A later ``renkei unhide`` brings the activity back in the current release
and in new snapshots, not in the snapshots it was taken out of.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from pathlib import Path

import polars as pl

from renkei.dataset.verify import check_files

ID_COLUMN_JA = "活動ID"  # in activities.csv and events.csv


def _csv_ids(path: Path) -> set[str]:
    if not path.exists():
        return set()
    return set(pl.read_csv(path, infer_schema=False, columns=[ID_COLUMN_JA])[ID_COLUMN_JA])


def carries(snapshot: Path, hidden: Collection[str]) -> bool:
    """Does any data file of the snapshot still carry a hidden activity?"""
    ids = _csv_ids(snapshot / "activities.csv") | _csv_ids(snapshot / "events.csv")
    parquet = snapshot / "activities.parquet"
    if parquet.exists():
        ids |= set(pl.read_parquet(parquet, columns=["activity_id"])["activity_id"])
    return not ids.isdisjoint(hidden)


def _without_csv(source: Path, target: Path, hidden: list[str]) -> None:
    frame = pl.read_csv(source, infer_schema=False)
    kept = frame.filter(~pl.col(ID_COLUMN_JA).is_in(hidden))
    # the cells were made spreadsheet-safe when first written: written back as they are
    kept.write_csv(target, include_bom=True, line_terminator="\r\n")


def _rewrite(snapshot: Path, work: Path, hidden: list[str]) -> list[Path]:
    written = []
    for name in ("activities.csv", "events.csv"):
        if (snapshot / name).exists():
            _without_csv(snapshot / name, work / name, hidden)
            written.append(work / name)
    if (snapshot / "activities.parquet").exists():
        frame = pl.read_parquet(snapshot / "activities.parquet")
        frame.filter(~pl.col("activity_id").is_in(hidden)).write_parquet(
            work / "activities.parquet"
        )
        written.append(work / "activities.parquet")
    if (snapshot / "activities.json").exists():
        rows = json.loads((snapshot / "activities.json").read_text("utf-8"))
        kept = [r for r in rows if r.get("activity_id") not in set(hidden)]
        (work / "activities.json").write_text(
            json.dumps(kept, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
        written.append(work / "activities.json")
    return written


def withhold_hidden(releases: Path, hidden: Collection[str], staging: Path) -> list[Path]:
    """Rewrite every snapshot that carries a hidden activity; the rewritten paths."""
    if not hidden or not releases.is_dir():
        return []
    ids = sorted(hidden)
    done: list[Path] = []
    for snapshot in sorted(p for p in releases.iterdir() if p.is_dir()):
        if not carries(snapshot, ids):
            continue
        work = staging / f"withhold-{snapshot.name}"
        work.mkdir()
        files = _rewrite(snapshot, work, ids)
        check_files(files, work)  # each file parses before it replaces the published one
        for path in files:
            os.replace(path, snapshot / path.name)
            done.append(snapshot / path.name)
    return done
