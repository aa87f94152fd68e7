"""Which activities are one event: linked by the same title key and day, or the same URL
and day, transitively. ``transforms.organisers.merge_cohosted`` folds each group into its
smallest activity_id; normalise keeps every activity's keys for incremental runs.
"""

from __future__ import annotations

import polars as pl

__all__ = ["group_keys", "key_exprs", "linked_groups"]

_MAX_PASSES = 10


def key_exprs() -> tuple[pl.Expr, pl.Expr]:
    day = pl.col("starts_at").dt.strftime("%Y-%m-%d").fill_null("")
    title_key = pl.when(pl.col("title_key") != "").then(
        pl.concat_str(pl.col("title_key"), day, separator="|")
    )
    url_key = pl.when(pl.col("url").is_not_null()).then(
        pl.concat_str(pl.col("url").str.strip_chars_end("/"), day, separator="|")
    )
    return title_key, url_key


def group_keys(activities: pl.DataFrame) -> pl.DataFrame:
    """(activity_id, k_title, k_url): the keys ``merge_cohosted`` links activities by."""
    title_key, url_key = key_exprs()
    return activities.select("activity_id", k_title=title_key, k_url=url_key)


def linked_groups(df: pl.DataFrame) -> pl.DataFrame:
    """Add _k_title and _group: the smallest activity_id among rows linked by either key
    (transitively).

    The passes run on integers: each activity_id's rank (rank order is string order, so
    the smallest rank is the smallest id) and dense ranks of the two keys, so a million
    activities are grouped without hashing their key strings again on every pass.
    """
    title_key, url_key = key_exprs()
    df = df.with_columns(_k_title=title_key)
    # The ids are sorted once: ``order`` lists rows in id order, and its inverse is each
    # row's rank (ids are unique), 0-based.
    order = df.get_column("activity_id").arg_sort()
    work = df.select(
        _g=order.arg_sort().cast(pl.UInt32),
        _t=pl.col("_k_title").rank("dense").cast(pl.UInt32),
        _u=url_key.rank("dense").cast(pl.UInt32),
    )
    for _ in range(_MAX_PASSES):
        before = work.get_column("_g")
        work = work.with_columns(
            _g=pl.when(pl.col("_t").is_not_null())
            .then(pl.col("_g").min().over("_t"))
            .otherwise(pl.col("_g"))
        ).with_columns(
            _g=pl.when(pl.col("_u").is_not_null())
            .then(pl.col("_g").min().over("_u"))
            .otherwise(pl.col("_g"))
        )
        if work.get_column("_g").equals(before):
            break
    by_rank = df.get_column("activity_id").gather(order)
    return df.with_columns(_group=by_rank.gather(work.get_column("_g")))
