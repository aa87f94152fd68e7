"""What the secretariat sees at a glance: counts per stage, last runs, issues, broken feeds."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import run_query


@dataclass
class Status:
    counts: pl.DataFrame
    runs: pl.DataFrame
    issues: pl.DataFrame
    feeds: pl.DataFrame

    @property
    def pending_approvals(self) -> list[str]:
        return self.issues.filter(pl.col("status") == "draft")["issue_id"].to_list()


def read_status(settings: Settings) -> Status:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return Status(
            counts=run_query(con, "status_counts"),
            runs=run_query(con, "status_last_runs"),
            issues=run_query(con, "status_issues"),
            feeds=run_query(con, "status_feeds"),
        )


def query(settings: Settings, text: str) -> pl.DataFrame:
    """A read-only query for staff and scripts (`renkei sql`)."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.sql(text).pl()
