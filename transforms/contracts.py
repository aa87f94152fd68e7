"""Executable contracts for the frames that cross the transforms boundary.

transforms/SCHEMAS.md describes the frames; this module checks them. A ``Contract`` names
the required columns and their dtypes, the columns that may not be null or blank, the
allowed values of coded columns and the unique keys. ``check(frame, contract)`` raises a
``ContractError`` that names the contract, each failing column, how many rows fail and an
example; it is one vectorised pass over the frame (see bench/contracts.py for its cost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from transforms.activities import ACTIVITIES_SCHEMA, QUARANTINE_SCHEMA, STAGED_SCHEMA
from transforms.classify import CATEGORIES, GUIDELINES
from transforms.text import INVISIBLE_CLASS

__all__ = [
    "ACTIVITIES",
    "ACTIVITY_ROWS",
    "QUARANTINE",
    "SOURCES",
    "STAGED",
    "Contract",
    "ContractError",
    "check",
    "kept_columns",
]

# staged.source_kind and activities.source (an activity's source is its staged row's kind).
SOURCES = ("feed", "csv")

DTypeSpec = pl.DataType | type[pl.DataType]


@dataclass(frozen=True)
class Contract:
    """What a frame must look like. ``dtypes`` maps each required column to the dtypes it
    may have (a dtype class such as ``pl.Datetime`` accepts every unit and time zone)."""

    name: str
    dtypes: Mapping[str, tuple[DTypeSpec, ...]]
    not_null: tuple[str, ...] = ()
    not_blank: tuple[str, ...] = ()  # strings that may not be empty or only whitespace
    allowed: Mapping[str, tuple[object, ...]] = field(default_factory=dict)  # nulls pass
    unique: tuple[tuple[str, ...], ...] = ()
    # strings that may not hold a control, bidi or other invisible character (text.py)
    clean_text: tuple[str, ...] = ()


class ContractError(ValueError):
    """A frame breaks its contract; ``problems`` holds one line per broken rule."""

    def __init__(self, contract: str, problems: list[str]) -> None:
        self.contract = contract
        self.problems = problems
        super().__init__(f"{contract} contract: {'; '.join(problems)}")


def _exact(schema: pl.Schema) -> dict[str, tuple[DTypeSpec, ...]]:
    return {name: (dtype,) for name, dtype in schema.items()}


def _staged_dtypes() -> dict[str, tuple[DTypeSpec, ...]]:
    # Text columns may be all-null (pl.Null) and are cast to String by build_activities;
    # staged_at may have any time zone (only its order is used).
    dtypes: dict[str, tuple[DTypeSpec, ...]] = {}
    for name, dtype in STAGED_SCHEMA.items():
        if dtype == pl.String:
            dtypes[name] = (pl.String, pl.Null)
        elif name == "staged_at":
            dtypes[name] = (pl.Datetime,)
        else:
            dtypes[name] = (dtype,)
    return dtypes


STAGED = Contract(
    name="staged",
    dtypes=_staged_dtypes(),
    not_null=("stage_id", "raw_sha256", "position", "source_kind", "member_id", "staged_at"),
    allowed={"source_kind": SOURCES},
    unique=(("stage_id",),),
)

_ACTIVITY_NOT_NULL = (
    "activity_id", "member_id", "source", "stage_id", "title", "title_key", "summary",
    "category", "category_rule", "all_day", "content_sha256", "first_seen_at",
)  # fmt: skip

ACTIVITIES = Contract(
    name="activities",
    dtypes=_exact(ACTIVITIES_SCHEMA),
    not_null=_ACTIVITY_NOT_NULL,
    not_blank=("activity_id", "title"),
    allowed={
        "source": SOURCES,
        "category": CATEGORIES,
        "guideline": GUIDELINES,
        "online": ("online", "hybrid"),
    },
    unique=(("activity_id",),),
    clean_text=(
        "title",
        "summary",
        "url",
        "venue",
        "contact",
        "date_note",
        "fee_text",
        "capacity_text",
        "audience_text",
        "schedule_text",
    ),
)

# A part of the built rows, one activity perhaps in several versions (renkei.normalize.payload).
ACTIVITY_ROWS = replace(
    ACTIVITIES,
    dtypes={c: t for c, t in ACTIVITIES.dtypes.items() if c != "first_seen_at"},
    not_null=tuple(c for c in _ACTIVITY_NOT_NULL if c != "first_seen_at"),
    unique=(),
)


def kept_columns(columns: Sequence[str]) -> Contract:
    """ACTIVITIES on ``columns`` only: the activities a full normalise keeps in memory
    (transforms.activities.for_merging), their other columns checked as ACTIVITY_ROWS."""
    return Contract(
        name=ACTIVITIES.name,
        dtypes={c: t for c, t in ACTIVITIES.dtypes.items() if c in columns},
        not_null=tuple(c for c in ACTIVITIES.not_null if c in columns),
        not_blank=tuple(c for c in ACTIVITIES.not_blank if c in columns),
        allowed={c: v for c, v in ACTIVITIES.allowed.items() if c in columns},
        unique=ACTIVITIES.unique,
    )


QUARANTINE = Contract(
    name="quarantine",
    dtypes=_exact(QUARANTINE_SCHEMA),
    not_null=("stage_id", "raw_sha256", "position", "member_id", "reason"),
    not_blank=("reason",),
    unique=(("stage_id",),),
)


def _dtype_ok(dtype: pl.DataType, accepted: tuple[DTypeSpec, ...]) -> bool:
    return any(dtype == a for a in accepted)


def _names(accepted: tuple[DTypeSpec, ...]) -> str:
    return " or ".join(str(a) if isinstance(a, pl.DataType) else a.__name__ for a in accepted)


def _example(frame: pl.DataFrame, failing: pl.Expr, columns: list[str]) -> str:
    """The first failing row: its index, and the value(s) when they say something."""
    row = frame.with_row_index("_row").filter(failing).select("_row", *columns).row(0)
    values = ", ".join(repr(v) for v in row[1:])
    return f"e.g. row {row[0]}: {values}" if columns else f"e.g. row {row[0]}"


def check(frame: pl.DataFrame, contract: Contract) -> None:
    """Raise ContractError unless ``frame`` keeps ``contract``; return None when it does."""
    schema = frame.schema
    missing = [c for c in contract.dtypes if c not in schema]
    if missing:
        raise ContractError(contract.name, [f"missing column(s) {', '.join(missing)}"])
    problems = [
        f"column {name} is {schema[name]}, expected {_names(accepted)}"
        for name, accepted in contract.dtypes.items()
        if not _dtype_ok(schema[name], accepted)
    ]
    if problems:
        raise ContractError(contract.name, problems)

    # Each rule: (subject, what breaks, how many rows break it, which rows, columns shown).
    # All the counts are taken in one select; the (dearer) row filter runs only for a broken
    # rule, for its example.
    rules: list[tuple[str, str, pl.Expr, pl.Expr, list[str]]] = []
    for name in contract.not_null:
        failing = pl.col(name).is_null()
        rules.append((f"column {name}", "null value(s)", failing.sum(), failing, []))
    for name in contract.not_blank:
        failing = pl.col(name).str.contains(r"^\s*$").fill_null(False)
        rules.append((f"column {name}", "blank value(s)", failing.sum(), failing, [name]))
    for name in contract.clean_text:
        failing = pl.col(name).str.contains(INVISIBLE_CLASS).fill_null(False)
        what = "value(s) with control or invisible characters"
        rules.append((f"column {name}", what, failing.sum(), failing, [name]))
    for name, values in contract.allowed.items():
        accepted = pl.Series(values, dtype=schema[name], strict=False)
        failing = pl.col(name).is_not_null() & ~pl.col(name).is_in(accepted.implode()).fill_null(
            False
        )
        listed = ", ".join(map(str, values))
        what = f"value(s) outside {listed}"
        rules.append((f"column {name}", what, failing.sum(), failing, [name]))
    for key in contract.unique:
        expr = pl.col(key[0]) if len(key) == 1 else pl.struct(key)
        count = pl.len() - expr.n_unique()
        rules.append(
            (f"key {', '.join(key)}", "duplicate row(s)", count, expr.is_duplicated(), [*key])
        )
    if not rules or frame.is_empty():
        return
    counts = frame.select(rule[2].alias(str(i)) for i, rule in enumerate(rules)).row(0)
    for (subject, what, _, failing, columns), n in zip(rules, counts, strict=True):
        if n:
            example = _example(frame, failing, columns)
            problems.append(f"{subject} has {n} {what} ({example})")
    if problems:
        raise ContractError(contract.name, problems)
