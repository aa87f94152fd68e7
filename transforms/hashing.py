"""sha256 of text columns, as stored keys: ``activity_id`` and ``content_sha256``.

hashlib.sha256(v.encode()).hexdigest() per value (null for null), computed by DuckDB's
sha256 in native code and without the GIL, so the parts normalised on several threads
hash at the same time. DuckDB here is an in-memory engine used as a function (no file).
"""

from __future__ import annotations

import hashlib
import threading

import duckdb
import polars as pl

__all__ = ["sha256_hex", "sha256_series"]

_ENGINE = threading.local()
_NATIVE_FROM = 20_000


class _Stream:
    """A frame DuckDB reads through the Arrow PyCapsule interface, in place and without
    pyarrow (as warehouse.queries.FrameStream, which transforms may not import)."""

    __slots__ = ("frame",)

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self.frame.__arrow_c_stream__(requested_schema)


def sha256_series(s: pl.Series) -> pl.Series:
    """hashlib.sha256(v.encode()).hexdigest() per value (null for null), computed by DuckDB's
    sha256 in native code without the GIL; one in-memory engine per thread."""
    if len(s) < _NATIVE_FROM:  # a connection costs ~10 ms: small batches hash in Python
        sha256 = hashlib.sha256
        values = s.cast(pl.String).to_list()
        return pl.Series(
            s.name,
            [None if v is None else sha256(v.encode()).hexdigest() for v in values],
            dtype=pl.String,
        )
    con = getattr(_ENGINE, "con", None)
    if con is None:
        con = _ENGINE.con = duckdb.connect(config={"threads": 1})
    con.register("hash_input", _Stream(s.cast(pl.String).to_frame("v")))
    try:
        return pl.DataFrame(con.sql("SELECT sha256(v) AS h FROM hash_input"))["h"].alias(s.name)
    finally:
        con.unregister("hash_input")


def sha256_hex(expr: pl.Expr) -> pl.Expr:
    # Not Expr.hash(): Polars documents its hash as unstable across versions and
    # platforms, and these values are stored keys (activity_id) and change detectors.
    return expr.map_batches(sha256_series, return_dtype=pl.String, is_elementwise=True)
