"""DuckDB warehouse: numbered migrations, named queries, the connection and its lock."""

from warehouse.connection import open_warehouse
from warehouse.queries import run_query, sql

__all__ = ["open_warehouse", "run_query", "sql"]
