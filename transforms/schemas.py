"""The frames of normalise: staged rows in, activities and quarantine out.

See transforms/SCHEMAS.md for what each column means.
"""

from __future__ import annotations

import polars as pl

from transforms.dates import DATETIME_DTYPE

__all__ = ["ACTIVITIES_SCHEMA", "QUARANTINE_SCHEMA", "STAGED_SCHEMA", "TEXT_COLUMNS"]

TEXT_COLUMNS = (
    "stage_id", "raw_sha256", "source_kind", "member_id", "source_ref", "item_key", "title",
    "summary", "url", "published_text", "starts_text", "ends_text", "time_text", "venue",
    "category_text", "deadline_text", "contact", "extra",
)  # fmt: skip

STAGED_SCHEMA = pl.Schema(
    {
        **dict.fromkeys(TEXT_COLUMNS[:2], pl.String()),
        "position": pl.Int64(),
        **dict.fromkeys(TEXT_COLUMNS[2:], pl.String()),
        "staged_at": pl.Datetime("us"),  # any time zone is accepted: only its order is used
    }
)

ACTIVITIES_SCHEMA = pl.Schema(
    {
        "activity_id": pl.String(),
        "member_id": pl.String(),
        "source": pl.String(),
        "source_ref": pl.String(),
        "stage_id": pl.String(),
        "title": pl.String(),
        "title_key": pl.String(),
        "summary": pl.String(),
        "url": pl.String(),
        "category": pl.String(),
        "category_rule": pl.String(),
        "guideline": pl.Int8(),
        "guideline_rule": pl.String(),
        "starts_at": DATETIME_DTYPE,
        "ends_at": DATETIME_DTYPE,
        "all_day": pl.Boolean(),
        "published_at": DATETIME_DTYPE,
        "deadline_at": DATETIME_DTYPE,
        "venue": pl.String(),
        "contact": pl.String(),
        "date_note": pl.String(),
        "content_sha256": pl.String(),
        "first_seen_at": DATETIME_DTYPE,
        "online": pl.String(),  # 'online' | 'hybrid' | null (read from text)
        "fee_text": pl.String(),
        "capacity_text": pl.String(),
        "audience_text": pl.String(),
        "fact_notes": pl.String(),
        # 全2回（12月19日・1月16日）各日9:30～16:00: days read from text that are separate
        # sessions, not one range (starts_at/ends_at still span first to last)
        "schedule_text": pl.String(),  # one Japanese line per fact read from text
    }
)

QUARANTINE_SCHEMA = pl.Schema(
    {
        "stage_id": pl.String(),
        "raw_sha256": pl.String(),
        "position": pl.Int64(),
        "member_id": pl.String(),
        "reason": pl.String(),
    }
)
