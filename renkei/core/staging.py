"""Write what the ingest stages produced: the raw index, the fetch log, staged rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb
import polars as pl

from renkei.core.rawstore import StoredPayload, sha256_hex
from transforms.activities import STAGED_SCHEMA as TRANSFORM_STAGED_SCHEMA
from warehouse.queries import arrow_views, execute

TZ = "Asia/Tokyo"
# The transforms' staged contract, with staged_at stored as an aware JST timestamp.
STAGED_SCHEMA = pl.Schema({**TRANSFORM_STAGED_SCHEMA, "staged_at": pl.Datetime("us", TZ)})


def now() -> datetime:
    return datetime.now(UTC)


def record_payload(
    con: duckdb.DuckDBPyConnection,
    stored: StoredPayload,
    *,
    source_kind: str,
    source_ref: str,
    member_id: str | None,
    content_type: str | None,
    seen_at: datetime,
) -> None:
    execute(
        con,
        "upsert_raw_payload",
        {
            "sha256": stored.sha256,
            "source_kind": source_kind,
            "source_ref": source_ref,
            "member_id": member_id,
            "bytes": stored.size,
            "content_type": content_type,
            "stored_path": str(stored.path),
            "seen_at": seen_at,
        },
    )


def staged_frame(
    rows: Sequence[dict[str, object]],
    *,
    raw_sha256: str,
    source_kind: str,
    member_id: str,
    source_ref: str,
    staged_at: datetime,
) -> pl.DataFrame:
    """Complete parsed-row dicts into the staged schema, with lineage ids.

    The stage id is the body's hash, the member and the position: two members whose
    feeds send identical bytes each get their rows (issue 16; activity ids come from
    natural keys, not from stage ids, so they do not change)."""
    records = []
    for row in rows:
        record = {name: row.get(name) for name in STAGED_SCHEMA}
        record.update(
            stage_id=sha256_hex(f"{raw_sha256}:{member_id}:{row['position']}".encode()),
            raw_sha256=raw_sha256,
            source_kind=source_kind,
            member_id=member_id,
            source_ref=source_ref,
            staged_at=staged_at,
        )
        records.append(record)
    return pl.DataFrame(records, schema=STAGED_SCHEMA)


def stage_rows(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Insert staged rows; rows already staged from the same bytes are skipped."""
    if frame.is_empty():
        return 0
    before = con.execute("SELECT count(*) FROM stg_items").fetchall()[0][0]
    con.register("batch", arrow_views(frame))
    try:
        execute(con, "insert_stg_items")
    finally:
        con.unregister("batch")
    return con.execute("SELECT count(*) FROM stg_items").fetchall()[0][0] - before


def write_batch(
    con: duckdb.DuckDBPyConnection, statement: str, frame: pl.DataFrame, **params: object
) -> None:
    """Run a named statement that reads the frame as ``batch``."""
    if frame.is_empty():
        return
    con.register("batch", arrow_views(frame))
    try:
        execute(con, statement, params)
    finally:
        con.unregister("batch")
