"""A release of the open dataset: read the warehouse, close it, write files atomically.

Layout of the publish folder::

    activities.{csv,parquet,json} members.csv events.csv datapackage.json   (current)
    related_activities.csv                                                  (current)
    events.ics activities.atom stats_*.csv chart_*.png index.html           (current)
    releases/<issue>_<YYYY-MM-DD>/  frozen snapshot of the data after each sent issue

Each release is first written to a temporary folder inside the publish folder, and every
file there is read back by its own parser (verify.py: XML, JSON, CSV, iCalendar, Parquet);
if one fails, nothing is published and the error names it. A snapshot appears by one
rename; the current files are each replaced by a rename, so a reader never sees a
half-written file. Snapshots are never removed, and rewritten for one reason only: an
activity the secretariat hid (``renkei hide``) is taken out of every snapshot's data files
at the next publish (``snapshots.withhold_hidden``); everything else in them stays as it
was published. Withdrawn activities are deleted from the warehouse, so no new release
carries them; a snapshot keeps what was true when it was frozen. Archive pages of sent
issues withhold hidden items (``archive``).

Text is published without control, bidi or other invisible characters (rows normalised
before they were removed at the door, registry names). The CSVs, made for Excel, are
spreadsheet-safe (transforms/spreadsheet.py); JSON and Parquet keep the exact text.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import polars as pl

from renkei.core.settings import Settings
from renkei.dataset import archive, atom, calendar, datapackage, events_ja, site, stats
from renkei.dataset.snapshots import withhold_hidden
from renkei.dataset.tables import write_dataset
from renkei.dataset.verify import check_files
from transforms.spreadsheet import spreadsheet_safe
from transforms.text import strip_invisible
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

JST = ZoneInfo("Asia/Tokyo")
RELEASES = "releases"
RELATED_CSV = "related_activities.csv"
NEEDS_CSV = "needs_seeds.csv"  # current release only: approved and not yet expired
NEEDS_HEADERS = {
    "need_id": "ID", "kind": "種類", "title": "題名", "body": "内容", "expires_on": "掲載期限",
    "member_name": "機関名（匿名は空）", "sector": "区分", "prefecture": "都道府県",
}  # fmt: skip


CONSULTATION_HEADERS = {
    "quarter": "四半期", "requester_sector": "相談者の区分", "organiser_sector": "主催者の区分",
    "requests": "相談", "introductions": "紹介", "meetings": "面談・打合せ",
    "collaborations": "共同研究・事業化",
}  # fmt: skip


def consultations_frame(figures: pl.DataFrame) -> pl.DataFrame:
    """Consultation counts as published: Japanese headers and sectors (産学金官); counts
    only, never a name."""
    if figures.is_empty():
        return pl.DataFrame(schema=dict.fromkeys(CONSULTATION_HEADERS.values(), pl.String))
    sectors = [pl.col(c).replace(datapackage.SECTOR_JA)
               for c in ("requester_sector", "organiser_sector")]  # fmt: skip
    return (
        figures.with_columns(sectors)
        .select(list(CONSULTATION_HEADERS))
        .rename(CONSULTATION_HEADERS)
    )


def needs_frame(needs: pl.DataFrame) -> pl.DataFrame:
    """Needs and seeds as published: Japanese kinds and headers; never an address."""
    if needs.is_empty():
        return pl.DataFrame({h: [] for h in NEEDS_HEADERS.values()}, schema=dict.fromkeys(
            NEEDS_HEADERS.values(), pl.String))  # fmt: skip
    kinds = {"need": "技術ニーズ", "seed": "技術シーズ"}
    return (
        needs.with_columns(pl.col("kind").replace(kinds))
        .select(list(NEEDS_HEADERS))
        .rename(NEEDS_HEADERS)
    )  # current release only (derived, recomputed)


SNAPSHOT_FILES = {
    "activities.csv", "activities.parquet", "activities.json", "members.csv", "events.csv",
}  # fmt: skip


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@dataclass
class Snapshot:
    """What the publish stage read from the warehouse (closed before any file is written)."""

    activities: pl.DataFrame
    members: pl.DataFrame
    counts: pl.DataFrame
    member_stats: pl.DataFrame
    collaboration: pl.DataFrame
    upcoming: pl.DataFrame
    latest: pl.DataFrame
    sent_issues: pl.DataFrame
    hidden_in_issues: pl.DataFrame  # hidden items of sent issues (withheld in the archive)
    hidden_ids: list[str]  # every hidden activity (taken out of snapshots too)
    related: pl.DataFrame  # related_activities whose both sides are published
    issue_id: str | None
    sent_on: str | None
    # approved needs/seeds still open (anonymous ones without member, sector, prefecture)
    needs: pl.DataFrame = field(default_factory=pl.DataFrame)
    # consultation figures per quarter and sector pair: counts only, never names
    consultations: pl.DataFrame = field(default_factory=pl.DataFrame)


def read_snapshot(settings: Settings, now: datetime) -> Snapshot:
    """Every table the release needs, in one short read of the warehouse."""
    with open_warehouse(settings.warehouse, stage="publish_dataset") as con:
        issue = run_query(con, "dataset_latest_sent_issue")
        today = now.astimezone(JST).date()
        if issue.height:
            start, end = issue["period_start"][0], issue["period_end"][0]
        else:
            start, end = today.replace(day=1), today
        return Snapshot(
            activities=run_query(con, "dataset_activities"),
            members=run_query(con, "dataset_members"),
            counts=run_query(con, "stats_counts"),
            member_stats=run_query(
                con,
                "stats_members",
                {"period_start": start, "period_end": end, "as_of": now},
            ),
            collaboration=run_query(con, "stats_collaboration"),
            upcoming=run_query(
                con, "dataset_upcoming_events", {"today": today, "limit": calendar.MAX_EVENTS}
            ),
            latest=run_query(con, "dataset_latest_activities", {"limit": atom.MAX_ENTRIES}),
            sent_issues=run_query(con, "dataset_sent_issues"),
            hidden_in_issues=run_query(con, "dataset_hidden_in_sent_issues"),
            hidden_ids=run_query(con, "dataset_hidden_ids")["activity_id"].to_list(),
            related=run_query(con, "dataset_related_activities"),
            needs=run_query(con, "needs_public", {"on": today}),
            consultations=run_query(con, "consultation_figures"),
            issue_id=issue["issue_id"][0] if issue.height else None,
            sent_on=issue["sent_on"][0] if issue.height else None,
        )


def clean_snapshot(snap: Snapshot) -> Snapshot:
    """Every text column of every table without control or invisible characters."""
    cleaned: dict[str, Any] = {}
    for f in fields(snap):
        frame = getattr(snap, f.name)
        if isinstance(frame, pl.DataFrame):
            strings = [c for c, t in frame.schema.items() if t == pl.String]
            cleaned[f.name] = frame.with_columns(strip_invisible(pl.col(c)) for c in strings)
    return replace(snap, **cleaned)


def _csv(frame: pl.DataFrame, path: Path) -> Path:
    """A CSV for Excel: UTF-8 with BOM, CRLF, no cell that starts like a formula."""
    spreadsheet_safe(frame).write_csv(path, include_bom=True, line_terminator="\r\n")
    return path


def write_datapackage(
    folder: Path, *, settings: Settings, version: str, created: str, related: bool = True
) -> Path:
    package = datapackage.descriptor(
        related=related,
        version=version,
        publisher=settings.issuer.name,
        website=settings.issuer.website,
        created=created,
    )
    path = folder / "datapackage.json"
    path.write_text(json.dumps(package, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def write_data_files(snap: Snapshot, folder: Path, pool: ThreadPoolExecutor) -> list[Path]:
    """Activities (CSV/Parquet/JSON), members and events, written side by side (Polars
    releases the GIL while it writes)."""
    members = snap.members.rename(datapackage.MEMBER_HEADERS_JA)
    jobs = [
        pool.submit(write_dataset, snap.activities, folder),
        pool.submit(lambda: [_csv(members, folder / "members.csv")]),
        pool.submit(lambda: [_csv(events_ja.events_frame(snap.activities), folder / "events.csv")]),
        pool.submit(lambda: [_csv(datapackage.related_frame(snap.related), folder / RELATED_CSV)]),
    ]
    return [path for job in jobs for path in job.result()]


def write_current(snap: Snapshot, folder: Path, *, settings: Settings, now: datetime,
                  snapshots: list[str]) -> list[Path]:  # fmt: skip
    """The cumulative current release: data, calendar, feed, statistics and the page."""
    version = now.astimezone(JST).strftime("%Y.%m.%d")
    created = now.astimezone(JST).isoformat(timespec="seconds")
    with ThreadPoolExecutor(max_workers=4) as pool:
        data = pool.submit(write_data_files, snap, folder, pool)
        charts = stats.write_charts(snap.counts, folder)  # matplotlib stays on this thread
        files = data.result()
    files.append(write_datapackage(folder, settings=settings, version=version, created=created))
    title = settings.newsletter.title
    host = urlsplit(settings.issuer.website).hostname or "renkei.invalid"
    ics = folder / "events.ics"
    ics.write_bytes(
        calendar.calendar_bytes(snap.upcoming, uid_domain=host, name=f"{title} 行事予定")
    )
    feed = folder / "activities.atom"
    feed.write_bytes(
        atom.feed_bytes(
            snap.latest,
            title=f"{title} 新着活動",
            website=settings.issuer.website,
            self_url=urljoin(settings.newsletter.dataset_url, "activities.atom"),
            publisher=settings.issuer.name,
        )
    )
    files += [ics, feed]
    files += stats.write_tables(
        {"counts": snap.counts, "members": snap.member_stats, "collaboration": snap.collaboration,
         "consultations": consultations_frame(snap.consultations)},
        folder,
    )  # fmt: skip
    files.append(_csv(needs_frame(snap.needs), folder / NEEDS_CSV))
    files += charts
    files += archive.write_archive(snap.sent_issues, folder, settings, snap.hidden_in_issues)
    index = folder / "index.html"
    index.write_text(
        site.render_index(
            folder, files, title=f"{title} オープンデータ", publisher=settings.issuer.name,
            version=version, snapshots=[f"{RELEASES}/{s}" for s in snapshots],
        ),
        encoding="utf-8",
    )  # fmt: skip
    files.append(index)
    return files


def publish_release(settings: Settings, now: datetime | None = None) -> list[Path]:
    """Write the current release (and a frozen snapshot for a newly sent issue).

    Returns the written paths in the publish folder, activities CSV/Parquet/JSON first.
    """
    now = now or datetime.now(JST)
    snap = clean_snapshot(read_snapshot(settings, now))  # the warehouse is closed from here on
    publish_dir = settings.publish_dir
    releases = publish_dir / RELEASES
    releases.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=publish_dir))
    written: list[Path] = []
    try:
        current = staging / "current"
        current.mkdir()
        snapshot_name = f"{snap.issue_id}_{snap.sent_on}" if snap.issue_id else None
        new_snapshot = snapshot_name is not None and not (releases / snapshot_name).exists()
        existing = sorted(p.name for p in releases.iterdir() if p.is_dir())
        if new_snapshot and snapshot_name is not None:  # new_snapshot implies a name
            existing = sorted([*existing, snapshot_name])
        files = write_current(snap, current, settings=settings, now=now, snapshots=existing)
        check_files(files, current)  # nothing is published unless every file parses
        if new_snapshot and snapshot_name is not None:
            frozen = staging / "snapshot"
            frozen.mkdir()
            for path in files:
                if path.name in SNAPSHOT_FILES:  # the same bytes: link, do not write twice
                    _link_or_copy(path, frozen / path.name)
            created = now.astimezone(JST).isoformat(timespec="seconds")
            write_datapackage(
                frozen, settings=settings, version=snapshot_name, created=created, related=False
            )
            check_files(sorted(frozen.iterdir()), frozen)
            os.rename(frozen, releases / snapshot_name)  # appears whole, or not at all
            written += sorted((releases / snapshot_name).iterdir())
        written += withhold_hidden(releases, snap.hidden_ids, staging)
        done = []
        for path in files:
            target = publish_dir / path.relative_to(current)
            target.parent.mkdir(exist_ok=True)
            os.replace(path, target)  # each file is swapped whole
            done.append(target)
        for page in (publish_dir / "issues").glob("*.html"):
            if page not in done:  # an archive page now withheld (a hidden item showed)
                page.unlink()
        written = done + written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written
