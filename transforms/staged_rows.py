"""Staged rows → activity rows or quarantine reasons, every column from its own row alone.

Cleaning (display text, match keys), dates, the facts read from text, classification, the
summary cut, identity (activity_id) and content_sha256: nothing here looks at another
row, so ``transforms.activities`` runs it on parts of the input on several threads and
then chooses each activity's newest version.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time

import polars as pl

from transforms.classify import Rules, classify
from transforms.dates import DATETIME_DTYPE, DateParseError, parse_column, parse_time_range
from transforms.facts import read_facts, title_core
from transforms.hashing import sha256_hex
from transforms.schemas import ACTIVITIES_SCHEMA, QUARANTINE_SCHEMA, TEXT_COLUMNS
from transforms.text import display_text, match_key, strip_invisible, summarize

__all__ = ["compact", "read_rows", "safe_url"]

_CLEANED_AT_THE_DOOR = (
    "url", "published_text", "starts_text", "ends_text", "time_text", "category_text",
    "deadline_text",
)  # fmt: skip

_SEP = "\x1f"


def _blank_to_null(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.len_chars() > 0).then(expr).otherwise(None)


def safe_url(expr: pl.Expr) -> pl.Expr:
    """The URL when it is http(s), mailto or scheme-less; null for javascript:, data: etc.

    Browsers ignore ASCII whitespace and control characters inside a scheme
    (``java\tscript:``), so the scheme is read with those removed.
    """
    squeezed = expr.str.replace_all(r"[\x00-\x20\x7f]", "").str.to_lowercase()
    has_scheme = squeezed.str.contains(r"^[a-z][a-z0-9+.\-]*:")
    allowed = squeezed.str.contains(r"^(?:https?|mailto):")
    return pl.when(~has_scheme | allowed).then(expr)


def _jst(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A datetime column in Asia/Tokyo (zone-less values are read as UTC)."""
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
        expr = expr.dt.replace_time_zone("UTC")
    return expr.dt.convert_time_zone("Asia/Tokyo").cast(DATETIME_DTYPE)


def _cleaned_at_the_door(df: pl.DataFrame) -> pl.DataFrame:
    # What members wrote is cleaned at the door: no NUL, control, bidi or other invisible
    # character reaches a date text, a category or a URL (display_text removes them from
    # titles, summaries, venues and contacts). Staging keeps them, as received.
    return df.with_columns(
        *[pl.col(c).cast(pl.String) for c in TEXT_COLUMNS], pl.col("position").cast(pl.Int64)
    ).with_columns(strip_invisible(pl.col(c)) for c in _CLEANED_AT_THE_DOOR)


def _time_ranges(df: pl.DataFrame) -> pl.DataFrame:
    """Add _t_start, _t_end (Time) and _t_error from time_text, once per distinct value."""
    start: dict[str, time | None] = {}
    end: dict[str, time | None] = {}
    error: dict[str, str | None] = {}
    for value in df.get_column("time_text").drop_nulls().unique().to_list():
        try:
            start[value], end[value] = parse_time_range(value)
            error[value] = None
        except DateParseError as exc:
            start[value], end[value], error[value] = None, None, str(exc)
    col = pl.col("time_text")
    return df.with_columns(
        _t_start=col.replace_strict(start, default=None, return_dtype=pl.Time()),
        _t_end=col.replace_strict(end, default=None, return_dtype=pl.Time()),
        _t_error=col.replace_strict(error, default=None, return_dtype=pl.String()),
    )


def _at_time(day: pl.Expr, clock: pl.Expr) -> pl.Expr:
    """The date of ``day`` (JST) at ``clock``, as Datetime(us, Asia/Tokyo)."""
    return day.dt.date().dt.combine(clock).dt.replace_time_zone("Asia/Tokyo")


def _fact_notes() -> pl.Expr:
    """One line per fact taken from the text (a structured field, when present, wins)."""
    used = {
        "_f_start_note": pl.col("_from_text"),
        "_f_deadline_note": pl.col("_d_at").is_null(),
        "_f_venue_note": pl.col("_venue").is_null(),
        "_f_online_note": pl.lit(True),
        "_f_fee_note": pl.lit(True),
        "_f_capacity_note": pl.lit(True),
        "_f_audience_note": pl.lit(True),
        "_f_report_note": pl.lit(True),
    }
    lines = [pl.when(cond).then(pl.col(name)) for name, cond in used.items()]
    return _blank_to_null(pl.concat_str(lines, separator="\n", ignore_nulls=True))


def _iso(expr: pl.Expr) -> pl.Expr:
    return expr.dt.to_string("%Y-%m-%dT%H:%M:%S%:z").fill_null("")


def _reason(condition: pl.Expr, text: pl.Expr | str) -> pl.Expr:
    value = pl.lit(text) if isinstance(text, str) else text
    return pl.when(condition).then(value).otherwise(None)


def read_rows(
    df: pl.DataFrame, rules: Rules, summary_chars: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(quarantine rows, good rows as activities) of one part; both keep ``_row``."""
    df = (
        _cleaned_at_the_door(df)
        .with_columns(
            _title=display_text(pl.col("title")).fill_null(""),
            _summary_full=display_text(pl.col("summary")).fill_null(""),
            _url=safe_url(_blank_to_null(pl.col("url").str.strip_chars())),
            _item_key=_blank_to_null(pl.col("item_key").str.strip_chars()),
            _venue=_blank_to_null(display_text(pl.col("venue"))),
            _contact=_blank_to_null(display_text(pl.col("contact"))),
        )
        .with_columns(title_key=match_key(title_core(pl.col("_title"))))
    )

    for source, prefix in (
        ("starts_text", "_s"),
        ("ends_text", "_e"),
        ("published_text", "_p"),
        ("deadline_text", "_d"),
    ):
        df = parse_column(df, source, prefix)
    # Facts read from the title and summary; year-less dates follow the publication date
    # (or, without one, the day the row was staged).
    staged_day = _jst(pl.col("staged_at"), df.schema["staged_at"]).dt.date()
    df = df.with_columns(_anchor=pl.coalesce(pl.col("_p_at").dt.date(), staged_day))
    df = read_facts(_time_ranges(df), title="_title", summary="_summary_full", anchor="_anchor")

    # --- start / end -------------------------------------------------------------
    # Structured fields win: the text's start (and its end) only when starts_text is blank.
    from_text = pl.col("_s_at").is_null() & pl.col("_f_start_at").is_not_null()
    s_at = pl.coalesce("_s_at", "_f_start_at")
    s_has_time = pl.coalesce("_s_has_time", "_f_start_has_time").fill_null(False)
    add_start_time = s_at.is_not_null() & ~s_has_time & pl.col("_t_start").is_not_null()
    t_end = pl.col("_t_end")
    text_end = from_text & pl.col("_e_at").is_null() & t_end.is_null()
    df = df.with_columns(
        starts_at=pl.when(add_start_time).then(_at_time(s_at, pl.col("_t_start"))).otherwise(s_at),
        _start_has_time=s_has_time | add_start_time,
    ).with_columns(
        ends_at=pl.when(
            pl.col("_e_at").is_not_null() & ~pl.col("_e_has_time") & t_end.is_not_null()
        )
        .then(_at_time(pl.col("_e_at"), t_end))
        .when(pl.col("_e_at").is_not_null())
        .then(pl.col("_e_at"))
        .when(pl.col("starts_at").is_not_null() & t_end.is_not_null())
        .then(_at_time(pl.col("starts_at"), t_end))
        .when(text_end)
        .then(pl.col("_f_end_at")),
        _end_has_time=(
            pl.col("_e_has_time").fill_null(False)
            | t_end.is_not_null()
            | (text_end & pl.col("_f_end_has_time").fill_null(False))
        ),
        _from_text=from_text,
        all_day=~pl.col("_start_has_time"),
    )
    both_timed = pl.col("_start_has_time") & pl.col("_end_has_time")
    ends_before = (
        pl.col("starts_at").is_not_null()
        & pl.col("ends_at").is_not_null()
        & pl.when(both_timed)
        .then(pl.col("ends_at") < pl.col("starts_at"))
        .otherwise(pl.col("ends_at").dt.date() < pl.col("starts_at").dt.date())
    )

    # --- notes and quarantine reasons ------------------------------------------------
    is_feed = pl.col("source_kind") == "feed"
    df = df.with_columns(
        date_note=_blank_to_null(
            pl.concat_str(
                _reason(pl.col("_s_note").is_not_null(), "開催日：" + pl.col("_s_note")),
                _reason(pl.col("_e_note").is_not_null(), "終了日：" + pl.col("_e_note")),
                _reason(pl.col("_p_note").is_not_null(), "掲載日：" + pl.col("_p_note")),
                _reason(is_feed & pl.col("_p_error").is_not_null(), "掲載日" + pl.col("_p_error")),
                _reason(pl.col("_d_note").is_not_null(), "申込締切：" + pl.col("_d_note")),
                _reason(pl.col("_t_error").is_not_null(), "時間" + pl.col("_t_error")),
                separator="；",
                ignore_nulls=True,
            )
        ),
        _reason=_blank_to_null(
            pl.concat_str(
                _reason(pl.col("_title") == "", "件名が空です"),
                _reason(pl.col("_s_error").is_not_null(), "開催日" + pl.col("_s_error")),
                _reason(pl.col("_e_error").is_not_null(), "終了日" + pl.col("_e_error")),
                _reason(pl.col("_d_error").is_not_null(), "申込締切" + pl.col("_d_error")),
                _reason(~is_feed & pl.col("_p_error").is_not_null(), "掲載日" + pl.col("_p_error")),
                _reason(
                    ends_before & pl.col("_e_at").is_not_null(),
                    pl.format(
                        "終了日「{}」が開催日「{}」より前です",
                        pl.col("ends_text").str.strip_chars(),
                        pl.col("starts_text").str.strip_chars().fill_null("（概要の記載）"),
                    ),
                ),
                _reason(
                    ends_before & pl.col("_e_at").is_null(),
                    pl.format("終了時刻が開始時刻より前です：時間「{}」", pl.col("time_text")),
                ),
                separator="；",
                ignore_nulls=True,
            )
        ),
    )

    quarantine = df.filter(pl.col("_reason").is_not_null()).select(
        "_row", *[c for c in QUARANTINE_SCHEMA if c != "reason"], reason=pl.col("_reason")
    )

    # --- identity, classification, dedup --------------------------------------------
    natural_key = (
        pl.when(is_feed)
        .then(
            pl.concat_str(
                pl.lit("feed"),
                pl.col("member_id"),
                pl.coalesce("_item_key", "_url", "title_key"),
                separator="|",
            )
        )
        .otherwise(
            pl.concat_str(
                pl.lit("csv"),
                pl.col("member_id"),
                pl.col("title_key"),
                pl.col("starts_at").dt.to_string("%Y-%m-%d").fill_null(""),
                separator="|",
            )
        )
    )
    good = df.filter(pl.col("_reason").is_null()).with_columns(
        activity_id=sha256_hex(natural_key).str.head(20),
        _staged_jst=_jst(pl.col("staged_at"), df.schema["staged_at"]),
    )
    del df
    good = classify(
        good, rules, title="_title", summary="_summary_full", category_text="category_text"
    )
    good = good.with_columns(
        title=pl.col("_title"),
        summary=summarize(pl.col("_summary_full"), summary_chars),
        url=pl.col("_url"),
        venue=pl.coalesce("_venue", "_f_venue"),
        contact=pl.col("_contact"),
        source=pl.col("source_kind"),
        published_at=pl.col("_p_at"),
        deadline_at=pl.coalesce("_d_at", "_f_deadline_at"),
        online=pl.col("_f_online"),
        fee_text=pl.col("_f_fee"),
        capacity_text=pl.col("_f_capacity"),
        audience_text=pl.col("_f_audience"),
        fact_notes=_fact_notes(),
        schedule_text=pl.when(pl.col("_from_text")).then(pl.col("_f_sessions")),
    ).with_columns(
        content_sha256=sha256_hex(
            pl.concat_str(
                pl.col("title"),
                pl.col("summary"),
                pl.col("url").fill_null(""),
                pl.col("category"),
                _iso(pl.col("starts_at")),
                _iso(pl.col("ends_at")),
                pl.col("venue").fill_null(""),
                _iso(pl.col("deadline_at")),
                separator=_SEP,
            )
        )
    )
    keep = [c for c in ACTIVITIES_SCHEMA if c != "first_seen_at"]
    good = good.select(*keep, "_row", "_staged_jst", "staged_at", "position")
    return compact(quarantine), good  # the caller keeps good rows compact, or hands them on


def compact(frame: pl.DataFrame, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """``frame`` with its text ``columns`` (default: every one) in buffers of their own.

    Polars keeps text as views into byte buffers, and a view made by slicing, ``when`` or
    ``coalesce`` points into the buffer it came from: a 20-character activity_id cut from
    a 64-character digest keeps the digest, a cleaned title keeps the raw title and each
    step between. The rows of a part are kept until every part is read, so what they point
    into is kept too (1,000,000 staged rows: some 700 MB of intermediate text beside 800 MB
    of activities). ``concat_str`` with an empty string writes the values anew.
    """
    text = [c for c, t in frame.schema.items() if t == pl.String and c in (columns or [c])]
    return frame.with_columns(pl.concat_str(pl.col(c), pl.lit("")).alias(c) for c in text)
