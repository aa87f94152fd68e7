"""Apply numbered ``migrations/NNN_name.sql`` files in order, recording each once."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import duckdb

from warehouse.transaction import transaction

_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@cache
def available() -> tuple[tuple[int, str, str], ...]:
    """(version, name, sql) for every bundled migration, in order (read once per process:
    every writer's open checks them, a feed refresh opens the warehouse three times)."""
    found = []
    for entry in resources.files("warehouse").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return tuple(sorted(found))


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Bring the schema up to date; return the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    # Apply every version not yet recorded (not only those above the highest): migrations
    # written on parallel branches may land out of order.
    have = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, text in available():
        if version in have:
            continue
        with transaction(con):
            con.execute(text)
            con.execute(
                "INSERT INTO schema_version VALUES ($version, $name, now())",
                {"version": version, "name": name},
            )
        applied.append(version)
    return applied
