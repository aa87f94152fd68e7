"""Every row of a submitted file gets a verdict: accepted, or rejected with every reason.

The checks are the ones normalize applies (transforms.activities: empty title, unreadable
or impossible dates, end before start; same wording) plus a usable URL. A 機関名 that names
no member (transforms.organisers.organiser_members) is kept as written, not rejected. Years
missing from dates are filled in first (transforms.submission_dates) and flagged. It is all
column-wise; Python runs once per distinct date or time text.

An accepted row's identity (activity_id, content_sha256, display title, start date) is a
function of its staged form, so ``staged_identities`` recomputes it from ``stg_items``: the
warehouse keeps per-row verdicts only for rejected rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from renkei.core.staging import STAGED_SCHEMA
from renkei.submissions.placeholders import placeholder_reason
from transforms.dates import DateParseError, parse_column, parse_time_range
from transforms.hashing import sha256_series
from transforms.organisers import organiser_members
from transforms.submission_dates import complete_dates
from transforms.text import display_text, match_key

JST = ZoneInfo("Asia/Tokyo")
_URL_OK = r"(?i)^https?://[^\s/]+\.\S*$"


@dataclass
class RowVerdict:
    position: int
    title: str | None
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    activity_id: str | None = None
    content_sha256: str | None = None
    starts_on: date | None = None

    @property
    def row_number(self) -> int:
        """The row number the member sees in Excel (the header is row 1)."""
        return self.position + 2

    @property
    def accepted(self) -> bool:
        return not self.reasons


VERDICT_SCHEMA = pl.Schema(
    {
        "position": pl.Int64(),
        "title": pl.String(),
        "accepted": pl.Boolean(),
        "reason": pl.String(),  # reasons joined with ；
        "note": pl.String(),  # notes joined with ；
        "activity_id": pl.String(),
        "content_sha256": pl.String(),
        "starts_on": pl.Date(),
    }
)


@dataclass
class CheckedRows:
    """The judged rows. What staging and the warehouse need (``decided``, ``staged``,
    ``rejected_values``) is ready at once; the identities (match keys, the note on rows that
    share one, the hashes) are worked out on first use, so they can be computed while the
    warehouse is written."""

    checked: pl.DataFrame  # per data row: _title, accepted, reason, note, starts_on, organiser
    decided: pl.DataFrame  # position, title, accepted, reason, starts_on (no notes, no ids)
    staged: pl.DataFrame  # accepted rows in the staged schema (dates completed)
    rejected_values: pl.DataFrame  # the field values of rejected rows (quarantine detail)
    member_id: str

    @cached_property
    def _identified(self) -> pl.DataFrame:
        """position, _title, accepted, reason, note (with the duplicate note), starts_on,
        _key: the key alone (the content text is only built when the hashes are asked for,
        ``identity_text``), over the few columns it needs."""
        accepted = pl.col("accepted")
        df = (
            self.checked.lazy()
            .select("position", "_title", "accepted", "reason", "note", "starts_on")
            .with_columns(_key=_identity_key(pl.lit(self.member_id), accepted))
        )
        # two rows with one identity (the same key, so the same activity_id): the later one
        # is the activity (as in normalize)
        later = pl.col("position") != pl.col("position").max().over("_key")
        return df.with_columns(
            note=pl.when(accepted & pl.col("_key").is_not_null() & later)
            .then(
                pl.concat_str(
                    "note",
                    pl.lit("同じ件名・開催日の行がほかにもあるため、後の行の内容を使いました"),
                    separator="；",
                    ignore_nulls=True,
                )
            )
            .otherwise("note"),
        ).collect()

    @cached_property
    def kept_organisers(self) -> pl.DataFrame:
        """position, title, organiser: accepted rows whose 機関名 names no member."""
        kept = pl.col("accepted") & pl.col("organiser_unmatched").is_not_null()
        title = pl.when(pl.col("_title") != "").then("_title")
        return self.checked.filter(kept).select(
            "position", title=title, organiser="organiser_unmatched"
        )

    @cached_property
    def judged(self) -> pl.DataFrame:
        """VERDICT_SCHEMA without the two hashes, one row per data row."""
        return self._identified.select(
            "position",
            title=pl.when(pl.col("_title") != "").then("_title"),
            accepted="accepted",
            reason="reason",
            note="note",
            starts_on="starts_on",
        ).cast({c: t for c, t in VERDICT_SCHEMA.items() if c not in _HASHES})

    @cached_property
    def identity_text(self) -> pl.DataFrame:
        """_key, _content: what the two hashes are of (null for rejected rows). The content
        is of the accepted rows' texts as staged (``staged`` holds them, in order), so
        ``checked`` need not keep a second copy of every text."""
        content = self.staged.select(_content=_identity_content(pl.lit(True))).to_series()
        accepted = self.checked["accepted"]
        full = pl.Series("_content", [None] * accepted.len(), dtype=pl.String)
        if not content.is_empty():
            full = full.scatter(accepted.arg_true(), content)
        return self._identified.select("_key").with_columns(full)

    @cached_property
    def verdicts_frame(self) -> pl.DataFrame:
        """VERDICT_SCHEMA: ``judged`` with activity_id and content_sha256. Hashed on first
        use: a new file needs neither (they matter when it replaces or is replaced)."""
        return self.judged.hstack(_hashed(self.identity_text)).select(list(VERDICT_SCHEMA))

    @cached_property
    def verdicts(self) -> list[RowVerdict]:
        return [to_verdict(r) for r in self.verdicts_frame.iter_rows(named=True)]


def to_verdict(row: dict) -> RowVerdict:
    reasons, notes = (row[k].split("；") if row[k] else [] for k in ("reason", "note"))
    return RowVerdict(row["position"], row["title"], reasons, notes, row["activity_id"],
                      row["content_sha256"], row["starts_on"])  # fmt: skip


def _file_scope(raw_sha256: str, member_id: str) -> str:
    return hashlib.sha256(f"{raw_sha256}:{member_id}".encode()).hexdigest()[:40]


_CONTENT = ("title", "starts_text", "ends_text", "time_text", "venue", "summary", "url",
            "category_text", "deadline_text", "contact")  # fmt: skip


def _identity_key(member_id: pl.Expr, accepted: pl.Expr) -> pl.Expr:
    """What activity_id hashes (``_key``) for accepted rows (null for the others), from
    ``_title`` (display title) and ``starts_on`` — as transforms.activities keys a CSV row."""
    key = pl.concat_str(
        pl.lit("csv"),
        member_id,
        match_key(pl.col("_title")),
        pl.col("starts_on").dt.to_string("%Y-%m-%d").fill_null(""),
        separator="|",
    )
    return pl.when(accepted).then(key)


def _identity_content(accepted: pl.Expr) -> pl.Expr:
    """What content_sha256 hashes (``_content``) for accepted rows: the (date-completed)
    text columns."""
    content = pl.concat_str([pl.col(c).fill_null("") for c in _CONTENT], separator="\x1f")
    return pl.when(accepted).then(content)


def _identity_text(member_id: pl.Expr, accepted: pl.Expr) -> dict[str, pl.Expr]:
    """``_key`` and ``_content`` (see _identity_key, _identity_content)."""
    return {"_key": _identity_key(member_id, accepted), "_content": _identity_content(accepted)}


def _hashed(identity_text: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "activity_id": sha256_series(identity_text["_key"]).str.head(20),
            "content_sha256": sha256_series(identity_text["_content"]),
        }
    )


_IDENTITY_COLUMNS = ("activity_id", "content_sha256", "title", "starts_on")
_HASHES = ("activity_id", "content_sha256")


def staged_identities(staged: pl.DataFrame) -> pl.DataFrame:
    """The identity of staged submission rows (accepted rows), recomputed as check_rows
    computed it: position, activity_id, content_sha256, title (display), starts_on."""
    schema = pl.Schema(
        {"position": pl.Int64(), **{c: VERDICT_SCHEMA[c] for c in _IDENTITY_COLUMNS}}
    )
    if staged.is_empty():
        return pl.DataFrame(schema=schema)
    df = staged.with_columns(_title=display_text(pl.col("title")).fill_null(""))
    df = parse_column(df, "starts_text", "_s")
    df = df.with_columns(starts_on=pl.col("_s_at").dt.date())
    df = df.with_columns(**_identity_text(pl.col("member_id"), pl.lit(True)))
    return (
        df.select(
            "position", title=pl.when(pl.col("_title") != "").then("_title"), starts_on="starts_on"
        )
        .hstack(_hashed(df))
        .select(list(schema))
        .cast(schema)
    )


def _times(df: pl.DataFrame) -> pl.DataFrame:
    start: dict[str, time | None] = {}
    end: dict[str, time | None] = {}
    for value in df.get_column("time_text").drop_nulls().unique().to_list():
        try:
            start[value], end[value] = parse_time_range(value)
        except DateParseError:
            start[value], end[value] = None, None  # noted by normalize, never rejected
    col = pl.col("time_text")
    return df.with_columns(
        _t_start=col.replace_strict(start, default=None, return_dtype=pl.Time()),
        _t_end=col.replace_strict(end, default=None, return_dtype=pl.Time()),
    )


def _reason(condition: pl.Expr, text: pl.Expr | str) -> pl.Expr:
    value = pl.lit(text) if isinstance(text, str) else text
    return pl.when(condition).then(value)


def _organisers(organiser: pl.Series, names: dict[str, str], aliases: dict) -> pl.DataFrame:
    """organiser -> _organiser_member (the member it names, or null)."""
    rows = [(m, n, ";".join(aliases.get(m, ()))) for m, n in names.items()]
    members = pl.DataFrame(
        rows, schema=dict.fromkeys(("member_id", "name", "aliases"), pl.String), orient="row"
    )
    return organiser_members(organiser, members).rename({"member_id": "_organiser_member"})


def check_rows(
    frame: pl.DataFrame,
    *,
    raw_sha256: str,
    member_id: str,
    member_names: dict[str, str],
    source_ref: str,
    received_at: datetime,
    member_aliases: dict[str, tuple[str, ...]] | None = None,
) -> CheckedRows:
    """Verdicts for the field frame of renkei.submissions.read.read_submission (names and
    aliases: by member_id, from the registry)."""
    received_on = received_at.astimezone(JST).date()
    resolved = _organisers(frame["organiser"], member_names, member_aliases or {})
    df = complete_dates(frame, received_on)
    df = df.join(resolved, on="organiser", how="left", maintain_order="left")
    for source, prefix in (("starts_text", "_s"), ("ends_text", "_e"), ("deadline_text", "_d")):
        df = parse_column(df, source, prefix)
    df = _times(df)
    # The rest is one lazy query: Polars runs it in parallel (text cleaning is most of it).
    lf = df.lazy().with_columns(_title=display_text(pl.col("title")).fill_null(""))

    # end before start, as transforms.activities decides it
    s_day, e_day = pl.col("_s_at").dt.date(), pl.col("_e_at").dt.date()
    s_time = pl.when(pl.col("_s_has_time")).then(pl.col("_s_at").dt.time()).otherwise("_t_start")
    e_time = pl.when(pl.col("_e_has_time")).then(pl.col("_e_at").dt.time()).otherwise("_t_end")
    both_timed = s_time.is_not_null() & e_time.is_not_null()
    end_day_before = (
        pl.col("_e_at").is_not_null()
        & pl.col("_s_at").is_not_null()
        & pl.when(both_timed & (e_day == s_day)).then(e_time < s_time).otherwise(e_day < s_day)
    )
    clock_before = (
        pl.col("_e_at").is_null()
        & pl.col("_s_at").is_not_null()
        & s_time.is_not_null()
        & pl.col("_t_end").is_not_null()
        & (pl.col("_t_end") < s_time)
    )
    url = pl.col("url")
    lf = lf.with_columns(
        reason=pl.concat_str(
            placeholder_reason(),  # the template's example row, placeholder URL or phone
            _reason(pl.col("_title") == "", "件名が空です"),
            _reason(pl.col("_s_error").is_not_null(), "開催日" + pl.col("_s_error")),
            _reason(pl.col("_e_error").is_not_null(), "終了日" + pl.col("_e_error")),
            _reason(pl.col("_d_error").is_not_null(), "申込締切" + pl.col("_d_error")),
            _reason(
                end_day_before,
                pl.format(
                    "終了日「{}」が開催日「{}」より前です",
                    pl.col("ends_text"),
                    pl.col("starts_text"),
                ),
            ),
            _reason(
                clock_before, pl.format("終了時刻が開始時刻より前です：時間「{}」", "time_text")
            ),
            _reason(
                url.is_not_null() & ~url.str.contains(_URL_OK),
                pl.format("URL「{}」が正しくありません", url),
            ),
            separator="；",
            ignore_nulls=True,
        ),
        note=pl.col("date_flags"),
        organiser_unmatched=pl.when(pl.col("_organiser_member").is_null()).then("organiser"),
    ).with_columns(
        reason=pl.when(pl.col("reason") != "").then("reason"),
        starts_on=s_day,
    )
    df = lf.with_columns(accepted=pl.col("reason").is_null()).collect()
    # Filter after selecting (lazily): ``df`` holds every parsed intermediate column.
    staged = (
        df.lazy()
        .filter(pl.col("accepted"))
        .select(
            # One file may be submitted by two members (a shared template filled in once):
            # the stage id is scoped to the member, and is the file-and-member hash plus the
            # row position (hashing once per file, not once per row).
            stage_id=pl.format("{}:{}", pl.lit(_file_scope(raw_sha256, member_id)), "position"),
            raw_sha256=pl.lit(raw_sha256),
            position="position",
            source_kind=pl.lit("csv"),
            member_id=pl.lit(member_id),
            source_ref=pl.lit(source_ref),
            item_key=pl.lit(None, pl.String),
            **{c: c for c in ("title", "summary", "url")},
            published_text=pl.lit(None, pl.String),
            **{c: c for c in ("starts_text", "ends_text", "time_text", "venue", "category_text")},
            **{c: c for c in ("deadline_text", "contact", "extra")},
            staged_at=pl.lit(received_at).cast(STAGED_SCHEMA["staged_at"]),
        )
        .cast(STAGED_SCHEMA)
        .collect()
    )
    keep = ["position", "_title", "accepted", "reason", "note", "starts_on",
            "organiser_unmatched"]  # fmt: skip
    decided = df.select(
        "position",
        title=pl.when(pl.col("_title") != "").then("_title"),
        accepted="accepted",
        reason="reason",
        starts_on="starts_on",
    ).cast({c: VERDICT_SCHEMA[c] for c in ("position", "title", "accepted", "reason")})
    return CheckedRows(df.select(keep), decided, staged, frame.filter(~df["accepted"]), member_id)


# A 100,000-row file is judged and staged in three parts: fewer, and staging cannot overlap
# judging; more (five of 20,000), and the fixed cost of each part (Polars queries, DuckDB
# statements) shows (bench/csv_intake.py: about 0.05 s slower on the whole).
PART_ROWS = 34_000


def check_parts(
    frame: pl.DataFrame, *, rows_per_part: int | None = None, **context: Any
) -> Iterator[CheckedRows]:
    """check_rows over consecutive slices of ``frame``, so each part's accepted rows can be
    staged while the next part is judged. A verdict depends on its own row only; the one
    thing that looks across rows (two rows with one identity) is worked out by CheckedRows
    over the ``combined`` parts."""
    size = rows_per_part or PART_ROWS
    for offset in range(0, max(frame.height, 1), size):
        yield check_rows(frame.slice(offset, size), **context)


def combined(parts: list[CheckedRows]) -> CheckedRows:
    """One CheckedRows of the parts of one file, in order."""
    if len(parts) == 1:
        return parts[0]

    def stacked(name: str) -> pl.DataFrame:
        return pl.concat([getattr(p, name) for p in parts], how="vertical_relaxed", rechunk=False)

    names = ("checked", "decided", "staged", "rejected_values")
    checked, decided, staged, rejected_values = (stacked(n) for n in names)
    return CheckedRows(checked, decided, staged, rejected_values, member_id=parts[0].member_id)
