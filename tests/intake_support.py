"""Helpers for the submission tests: a registry, a fixed arrival time, warehouse reads."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from renkei.core.settings import Settings
from warehouse.connection import open_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "submissions"
# 2026-11-20 10:00 in Japan: year-less dates are read relative to this day
ARRIVED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
REGISTRY = [
    "ind-04,岡山県商工会議所連合会,industry,産,岡山県,prefecture,,info@okayama-cci.example.jp;jimu@okayama-cci.example.jp",
    "aca-13,国立大学法人広島大学,academia,学,広島県,prefecture,,",
]


def drop(
    settings: Settings, name: str, member_id: str = "ind-04", as_name: str | None = None
) -> Path:
    """Copy a fixture into ``inbox/<member_id>/`` as a member would."""
    target = settings.inbox / member_id / (as_name or name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / name, target)
    return target


def rows(settings: Settings, query: str, params: dict | None = None) -> list[tuple]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute(query, params or {}).fetchall()


def receipt_of(path: Path) -> str:
    raw = path.with_name(path.name + ".受付結果.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    return raw[3:].decode("utf-8").replace("\r\n", "\n")
