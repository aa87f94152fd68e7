"""transforms.hashing: stored keys are hashlib's sha256 hex, whichever engine computes them."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest

from transforms import hashing


@pytest.mark.parametrize("n", [0, 3, hashing._NATIVE_FROM + 5], ids=["empty", "python", "duckdb"])
def test_sha256_series_equals_hashlib_with_nulls_kept(n: int) -> None:
    values = [None if i % 11 == 0 else f"feed|m{i % 7}|活動{i}" for i in range(n)]
    got = hashing.sha256_series(pl.Series("k", values, dtype=pl.String))
    assert got.name == "k"
    assert got.to_list() == [
        None if v is None else hashlib.sha256(v.encode()).hexdigest() for v in values
    ]
