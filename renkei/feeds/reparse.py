"""`renkei reparse`: parse stored feed bodies again after a parser fix (issue 3).

Every 200 body went to the raw store before it was parsed, so the items of any body seen
since a date can be re-staged from the exact bytes received.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from renkei.core.errors import RenkeiError
from renkei.core.rawstore import RawStore
from renkei.core.settings import Settings
from renkei.core.staging import stage_rows, staged_frame
from renkei.feeds.diff import parse_limited
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

JST = ZoneInfo("Asia/Tokyo")


@dataclass
class ReparseReport:
    payloads: int = 0
    rows: int = 0
    failed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.payloads} stored feed bodies re-parsed, {self.rows} rows staged, "
            f"{len(self.failed)} unreadable"
        )


def parse_since(text: str) -> datetime:
    """``YYYY-MM-DD`` as the start of that day in Japan time."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise RenkeiError(f"--since {text}: not a date (use YYYY-MM-DD)") from None
    return datetime.combine(day, time(0), JST)


def reparse(settings: Settings, since: datetime) -> ReparseReport:
    """Parse every feed body stored since ``since`` again and replace its staged rows.

    Staged rows keep the time the bytes were first seen, so a re-parse never makes an
    old body look newer than a later one. Run `renkei normalize` afterwards.
    """
    store = RawStore(settings.raw_store)
    report = ReparseReport()
    with open_warehouse(settings.warehouse, stage="reparse") as con:
        payloads = run_query(con, "feed_payloads_since", {"since": since}).to_dicts()
        for p in payloads:
            report.payloads += 1
            try:
                body = store.get(p["sha256"])
            except OSError as exc:
                report.failed.append(f"{p['sha256'][:12]}: raw file missing: {exc}")
                continue
            parsed = parse_limited(
                body,
                url=p["source_ref"],
                content_type=p["content_type"],
                limit=settings.feeds.max_items,
            )
            if parsed.error:
                report.failed.append(f"{p['member_id']} {p['sha256'][:12]}: {parsed.error}")
                continue
            frame = staged_frame(
                parsed.rows,
                raw_sha256=p["sha256"],
                source_kind="feed",
                member_id=p["member_id"],
                source_ref=p["source_ref"],
                staged_at=p["first_seen_at"],
            )
            with transaction(con):
                execute(
                    con,
                    "delete_stg_for_payload",
                    {"sha256": p["sha256"], "member_id": p["member_id"]},
                )
                report.rows += stage_rows(con, frame)
    return report
