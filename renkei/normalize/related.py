"""Related activities in the warehouse: recomputed from activities after every normalise.

``replace_related`` reads every (not hidden) activity with its member's sector and
prefecture, computes up to three related activities of other members for each
(``transforms.related.relate``: character n-gram TF-IDF, cosine above the measured
threshold, other sectors and prefectures first) and replaces the ``related_activities``
table whole, so a recompute of the same activities gives the same rows. It runs inside the
normalise (and rebuild) transaction: the table never describes activities that are gone.
"""

from __future__ import annotations

import duckdb

from transforms.related import relate
from warehouse.queries import arrow_views, execute, run_query

__all__ = ["replace_related"]


def replace_related(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ``related_activities`` from ``activities``; the caller holds the
    transaction. Returns the number of pairs written."""
    pairs = relate(run_query(con, "related_input"))
    con.register("batch", arrow_views(pairs))
    try:
        execute(con, "replace_related_activities")
    finally:
        con.unregister("batch")
    return pairs.height
