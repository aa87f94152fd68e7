"""DuckDB warehouse: numbered migrations, named queries, the connection and its lock.

Owns the schema and every SQL statement. Imports nothing of ours (not ``renkei``, not
``transforms``): the application reaches the data only through these functions.
"""

from warehouse.connection import open_warehouse
from warehouse.errors import WarehouseBusy, WarehouseError
from warehouse.queries import run_query, sql

__all__ = ["WarehouseBusy", "WarehouseError", "open_warehouse", "run_query", "sql"]
