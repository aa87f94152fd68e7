"""What the secretariat sees at a glance: counts per stage, last runs, issues, broken feeds,
failure alerts not yet delivered; and `renkei sql`, the read-only query for staff."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from renkei.delivery.bounce_rules import unreachable_members
from renkei.orchestration.alert_journal import PendingAlert, pending
from warehouse.connection import open_warehouse
from warehouse.queries import run_query


@dataclass
class Status:
    counts: pl.DataFrame
    runs: pl.DataFrame
    issues: pl.DataFrame
    feeds: pl.DataFrame
    alerts: list[PendingAlert] = field(default_factory=list)  # not yet accepted by a server
    # members whose every contact bounced or complained: ask them for a new address
    unreachable: pl.DataFrame = field(default_factory=pl.DataFrame)
    # consultation figures per quarter and sector pair (renkei.collaboration)
    consultations: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def pending_approvals(self) -> list[str]:
        return self.issues.filter(pl.col("status") == "draft")["issue_id"].to_list()


def read_status(settings: Settings) -> Status:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return status_from(con, settings)


def status_from(con: duckdb.DuckDBPyConnection, settings: Settings) -> Status:
    """``read_status`` on an open connection (a page that reads several things opens the
    file once: renkei.console.dashboard)."""
    return Status(
        counts=run_query(con, "status_counts"),
        runs=run_query(con, "status_last_runs"),
        issues=run_query(con, "status_issues"),
        feeds=run_query(con, "status_feeds"),
        alerts=pending(settings),
        unreachable=unreachable_members(con),
        consultations=run_query(con, "consultation_figures"),
    )


def query(settings: Settings, text: str) -> pl.DataFrame:
    """One read-only query for staff and scripts (`renkei sql`).

    The warehouse is opened read-only, and before the query runs the session loses all
    access outside it: ``enable_external_access = false`` (no file, URL or extension:
    ``read_text('unsubscribe.key')``, ``COPY … TO`` targets, ``INSTALL``) and
    ``lock_configuration = true`` (no ``SET`` can give it back). Only a single SELECT
    (``WITH``, ``FROM``, ``DESCRIBE`` … included) is accepted; anything else is refused
    before it runs."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        try:
            statements = con.extract_statements(text)
        except duckdb.Error as exc:
            raise RenkeiError(f"sql: {exc}") from None
        if len(statements) != 1:
            raise RenkeiError(f"sql: give exactly one query (got {len(statements)} statements)")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            raise RenkeiError(
                f"sql: only a query (SELECT) is allowed here, not {kind.name}; "
                "renkei sql is read-only"
            )
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        return pl.DataFrame(con.sql(statements[0].query))
