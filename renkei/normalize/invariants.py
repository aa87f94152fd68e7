"""The activity tables' invariants, checked the way dbt's schema tests are: after normalise.

Each invariant is a named query in ``warehouse/queries/invariant_*.sql`` that returns one
row, ``(failing, example)``; the allowed values are bound from the code that defines them
(transforms.classify, transforms.contracts), never formatted into the SQL. ``normalize`` and
``rebuild`` call ``assert_invariants`` inside their transaction, so a result that breaks one
is rolled back; ``renkei doctor`` calls ``invariant_failures`` on a read-only connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from renkei.core.errors import RenkeiError
from transforms.classify import CATEGORIES, GUIDELINES
from transforms.contracts import SOURCES
from warehouse.queries import run_query

__all__ = ["INVARIANTS", "Invariant", "InvariantError", "assert_invariants", "invariant_failures"]

ROLES = ("host", "co_host")


class InvariantError(RenkeiError):
    """The activity tables break an invariant; ``failures`` has one line per broken one."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__(f"activities invariants broken: {'; '.join(failures)}")


@dataclass(frozen=True)
class Invariant:
    query: str  # warehouse/queries/<query>.sql
    broken: str  # what is wrong, with {n} for the number of failing rows
    params: dict[str, Any] = field(default_factory=dict)


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("invariant_activities_unique_id", "activities.activity_id: {n} duplicated or null"),
    Invariant("invariant_activities_title_present", "activities.title: {n} null or blank"),
    Invariant(
        "invariant_activities_category",
        f"activities.category: {{n}} not in {', '.join(CATEGORIES)}",
        {"categories": list(CATEGORIES)},
    ),
    Invariant(
        "invariant_activities_source",
        f"activities.source: {{n}} not in {', '.join(SOURCES)}",
        {"sources": list(SOURCES)},
    ),
    Invariant(
        "invariant_activities_guideline",
        f"activities.guideline: {{n}} not null and not in {', '.join(map(str, GUIDELINES))}",
        {"guidelines": list(GUIDELINES)},
    ),
    Invariant(
        "invariant_activity_organisers_unique",
        "activity_organisers.(activity_id, member_id): {n} duplicated",
    ),
    Invariant(
        "invariant_activity_organisers_role",
        f"activity_organisers.role: {{n}} not in {', '.join(ROLES)}",
        {"roles": list(ROLES)},
    ),
    Invariant(
        "invariant_activity_organisers_activity",
        "activity_organisers.activity_id: {n} not in activities",
    ),
)


def invariant_failures(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per broken invariant (none when the tables keep them all)."""
    failures = []
    for invariant in INVARIANTS:
        failing, example = run_query(con, invariant.query, invariant.params).row(0)
        if failing:
            failures.append(f"{invariant.broken.format(n=failing)} (e.g. {example})")
    return failures


def assert_invariants(con: duckdb.DuckDBPyConnection) -> None:
    """Raise InvariantError naming every broken invariant."""
    failures = invariant_failures(con)
    if failures:
        raise InvariantError(failures)
