"""Secretariat overrides: a category set by a person wins over every rule."""

from __future__ import annotations

import polars as pl

__all__ = ["OVERRIDES_SCHEMA", "apply_overrides"]

OVERRIDES_SCHEMA = pl.Schema(
    {"activity_id": pl.String(), "category": pl.String(), "set_by": pl.String()}
)


def apply_overrides(activities: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """Replace category and category_rule (``override:<set_by>``) where an override exists.

    The frame keeps its schema and row order; content_sha256 is left as the rules gave it,
    so an override alone does not count as a content change of the source.
    """
    if overrides.is_empty() or activities.is_empty():
        return activities
    # Joined on the ids alone: the wide frame only has two columns replaced, never copied.
    found = activities.select("activity_id").join(
        overrides.select("activity_id", _o_category="category", _o_by="set_by").unique(
            "activity_id", keep="last"
        ),
        on="activity_id",
        how="left",
        maintain_order="left",
    )
    category, by = found.get_column("_o_category"), found.get_column("_o_by")
    return activities.with_columns(
        category=pl.coalesce(category, pl.col("category")),
        category_rule=pl.when(category.is_not_null())
        .then(pl.concat_str(pl.lit("override:"), by))
        .otherwise(pl.col("category_rule")),
    )
