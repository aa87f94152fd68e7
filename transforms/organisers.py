"""Co-hosted events: one activity per real-world event, with every organising member.

The same symposium announced by two co-hosting members (or by a member's feed and its CSV
report) arrives as two activities. ``merge_cohosted`` keeps one of them (the smallest
activity_id, so the choice is deterministic) and records the others as merges, and lists
the organisers: the publishing members of every merged activity plus members named as
主催/共催 in the text (legal-form prefixes such as (公財) or 国立大学法人 ignored).

``organiser_members`` resolves organiser names as members write them in a report's 機関名
column: legal forms ignored, a parent body written first (国立高等専門学校機構 呉工業高等専門学校),
a department written after (○○大学 産学連携センター), and the registry's aliases (広大, 呉高専).
``report_organisers`` reads that column back from a staged row's ``extra`` (the intake keeps
it there under its header as written); ``merge_cohosted`` makes a member it names a co-host
(rule ``report:機関名``) and ``unmatched_organisers`` keeps a name that matches no member as
written (table ``activity_organiser_names``, migration 018).

Two activities are the same event when they have the same title match key **and** the same
start date, or the same URL **and** the same start date (both without a start date counts
as the same). Different event dates are never merged, however similar the titles.
"""

from __future__ import annotations

import json
import re
import unicodedata

import polars as pl

from transforms.merge_groups import group_keys, linked_groups
from transforms.text import match_key, member_name_key

__all__ = [
    "MERGES_SCHEMA",
    "ORGANISERS_SCHEMA",
    "ORGANISER_HEADERS",
    "ORGANISER_NAMES_SCHEMA",
    "REPORT_RULE",
    "group_keys",
    "member_keys",
    "mentioned_members",
    "merge_cohosted",
    "names_organisers",
    "organiser_members",
    "report_organisers",
    "unmatched_organisers",
]

ORGANISERS_SCHEMA = pl.Schema(
    {
        "activity_id": pl.String(),
        "member_id": pl.String(),
        "role": pl.String(),  # host (the kept activity's member) | co_host
        # publisher | merge:same_title_date | merge:same_url | text:主催 | report:機関名
        "rule": pl.String(),
    }
)

# An organiser named in a report that matches no member, kept as written.
ORGANISER_NAMES_SCHEMA = pl.Schema(
    {"activity_id": pl.String(), "name": pl.String(), "rule": pl.String()}
)
REPORT_RULE = "report:機関名"

# The headers a report's organiser column has (renkei.submissions.read maps them to the
# field "organiser" and keeps the column in ``extra`` under the header as written).
ORGANISER_HEADERS = ("機関名", "主催者", "主催", "organiser", "organizer", "organisation",
                     "organization", "host")  # fmt: skip
_HEADER_MARKS = re.compile(r"[※*＊]?\(?(必須|任意|required|optional)\)?|[\s\u3000※*＊]")

MERGES_SCHEMA = pl.Schema(
    {
        "activity_id": pl.String(),  # the kept activity
        "merged_activity_id": pl.String(),  # the one folded into it
        "member_id": pl.String(),  # the merged activity's publisher
        "rule": pl.String(),  # same_title_date | same_url
        "score": pl.Float64(),  # 1.0: exact key equality (no fuzzy merges)
    }
)

# Sentences that name organisers: 主催：A、B / AとBの共催により / 共同開催 …
# Clauses stop at 。 and whitespace, so 「会場：鳥取県立… 主催：…」 does not name 鳥取県.
_ORGANISER_SENTENCE = r"[^。\s]*(?:主催|共催|共同開催)(?:[:：][^。\s]*)?"


# Bodies written before the member's own name (in match-key form): the national college
# organisation before a 高専, JETRO's full name before its office, the legal form of a
# national research institute.
_PARENT_BODIES = (
    "独立行政法人国立高等専門学校機構",
    "国立高等専門学校機構",
    "高専機構",
    "独立行政法人日本貿易振興機構",
    "日本貿易振興機構",
    "国立研究開発法人",
)
# What a department or office written after a member's name ends with (広島大学 産学連携セン
# ター, 岡山県 産業労働部 産業振興課, 中国銀行 地域振興部). A remainder that starts with 立 is a
# different body (広島県立…), never a department.
_DEPARTMENT = (
    r"^[^立].*(?:部|課|室|局|係|科|院|所|センター|本部|支店|支社|事務局|機構|推進|チーム|"
    r"グループ|オフィス|拠点|窓口|担当|部門|班|キャンパス|会議)$"
)


def member_keys(members: pl.DataFrame, *, min_alias_chars: int = 2) -> pl.DataFrame:
    """(key, member_id, kind): each member's name (kind "name") and each of its ``aliases``
    (";"-joined, optional column; kind "alias") as ``member_name_key``. Keys shorter than 2
    characters, and aliases shorter than ``min_alias_chars``, are left out; a key two members
    share belongs to the first."""
    aliases = (
        pl.col("aliases").fill_null("").str.replace_all("；", ";").str.split(";")
        if "aliases" in members.columns
        else pl.lit([], pl.List(pl.String()))
    )
    both = pl.concat(
        [
            members.select("member_id", written="name", kind=pl.lit("name")),
            members.select("member_id", written=aliases, kind=pl.lit("alias")).explode("written"),
        ]
    )
    return (
        both.with_columns(key=member_name_key(pl.col("written")))
        .filter(
            (pl.col("key").str.len_chars() >= 2)
            & ((pl.col("kind") == "name") | (pl.col("key").str.len_chars() >= min_alias_chars))
        )
        .unique("key", keep="first", maintain_order=True)
        .select("key", "member_id", "kind")
    )


def organiser_members(names: pl.Series, members: pl.DataFrame) -> pl.DataFrame:
    """(organiser, member_id) for each distinct organiser name in ``names``: the member it
    names, or a null member_id when it names none. ``members`` has member_id, name and
    optionally aliases.

    A name matches a member's name or alias (legal forms, spaces and punctuation ignored)
    after a parent body written first is removed; or starts with one (the longest) and goes
    on with a department or office."""
    schema = pl.Schema({"organiser": pl.String(), "member_id": pl.String()})
    distinct = pl.DataFrame({"organiser": names}, schema={"organiser": pl.String()})
    distinct = distinct.drop_nulls().unique(maintain_order=True)
    keys = member_keys(members)
    if distinct.is_empty() or keys.is_empty():
        return distinct.with_columns(member_id=pl.lit(None, pl.String())).cast(schema)
    ordered = sorted(keys["key"].to_list(), key=len, reverse=True)  # longest first
    starts = "^(" + "|".join(re.escape(k) for k in ordered) + ")"
    parents = "^(?:" + "|".join(_PARENT_BODIES) + ")"
    own = member_name_key(pl.col("organiser")).str.replace(parents, "")
    found = distinct.with_columns(_own=own).with_columns(_key=pl.col("_own").str.extract(starts, 1))
    rest = pl.col("_own").str.slice(pl.col("_key").str.len_chars())
    return (
        found.with_columns(_key=pl.when((rest == "") | rest.str.contains(_DEPARTMENT)).then("_key"))
        .join(keys.select(_key="key", member_id="member_id"), on="_key", how="left")
        .select("organiser", "member_id")
        .cast(schema)
    )


def _header_key(header: str) -> str:
    """As renkei.submissions.read.header_key: NFKC, lower case, marks and spaces removed."""
    return _HEADER_MARKS.sub("", unicodedata.normalize("NFKC", header).lower())


_ORGANISER_KEYS = frozenset(_header_key(h) for h in ORGANISER_HEADERS)


def _organiser_in(extra: str) -> str | None:
    """The first non-blank value under an organiser header in one ``extra`` JSON object (the
    intake coalesces several organiser columns in the same order)."""
    try:
        cells = json.loads(extra)
    except ValueError:
        return None
    if not isinstance(cells, dict):
        return None
    for header, value in cells.items():
        if _header_key(header) in _ORGANISER_KEYS and isinstance(value, str) and value.strip():
            return value.strip()
    return None


def report_organisers(staged: pl.DataFrame) -> pl.DataFrame:
    """(stage_id, organiser): the 機関名 of staged report rows, read from ``extra`` (Python
    runs once per distinct ``extra`` text); rows without one are left out."""
    schema = pl.Schema({"stage_id": pl.String(), "organiser": pl.String()})
    rows = staged.filter(pl.col("extra").is_not_null() & (pl.col("source_kind") == "csv"))
    if rows.is_empty():
        return pl.DataFrame(schema=schema)
    found = {e: _organiser_in(e) for e in rows.get_column("extra").unique().to_list()}
    return (
        rows.select(
            "stage_id",
            organiser=pl.col("extra").replace_strict(found, return_dtype=pl.String()),
        )
        .drop_nulls("organiser")
        .cast(schema)
    )


def _named(named: pl.DataFrame | None, members: pl.DataFrame) -> pl.DataFrame:
    """(activity_id, organiser, member_id): report organisers with the member each names."""
    if named is None or named.is_empty():
        schema = dict.fromkeys(("activity_id", "organiser", "member_id"), pl.String())
        return pl.DataFrame(schema=schema)
    resolved = organiser_members(named.get_column("organiser"), members)
    return named.select("activity_id", "organiser").join(
        resolved, on="organiser", how="left", maintain_order="left"
    )


def unmatched_organisers(
    named: pl.DataFrame | None, members: pl.DataFrame, merges: pl.DataFrame
) -> pl.DataFrame:
    """ORGANISER_NAMES_SCHEMA: the report organisers of ``named`` (activity_id, organiser)
    that name no member, on the activity kept by ``merges`` (from merge_cohosted)."""
    kept = merges.select(activity_id="merged_activity_id", _kept="activity_id")
    return (
        _named(named, members)
        .filter(pl.col("member_id").is_null())
        .join(kept, on="activity_id", how="left", maintain_order="left")
        .select(
            activity_id=pl.coalesce("_kept", "activity_id"),
            name="organiser",
            rule=pl.lit(REPORT_RULE),
        )
        .unique(["activity_id", "name"], keep="first", maintain_order=True)
        .sort("activity_id", "name")
        .cast(ORGANISER_NAMES_SCHEMA)
    )


def _organiser_text() -> pl.Expr:
    return pl.concat_str(
        pl.col("title").fill_null(""), pl.col("summary").fill_null(""), separator="。"
    )


def names_organisers() -> pl.Expr:
    """True for an activity whose title or summary has a 主催/共催 word: the only rows
    ``mentioned_members`` reads further (the rest may come without their text)."""
    return _organiser_text().str.contains(r"主催|共催|共同開催")


def mentioned_members(activities: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """(activity_id, member_id) for members named in a 主催/共催 sentence of title or summary.

    Names match on ``member_name_key`` (NFKC, no legal form, no punctuation); a name found
    only inside a longer member name that was also found (岡山県 in 岡山県商工会議所連合会)
    does not count. Aliases count from 3 characters (呉高専): a 2-character one (岡大) is
    too often part of another word (静岡大学) in free text.
    """
    empty = pl.DataFrame(schema={"activity_id": pl.String(), "member_id": pl.String()})
    names = member_keys(members, min_alias_chars=3).select("member_id", "key")
    if names.is_empty() or activities.is_empty():
        return empty
    text = _organiser_text()
    # Only rows that name organisers at all (a cheap literal search) are looked at closely.
    activities = activities.filter(names_organisers() & pl.col("activity_id").is_not_null())
    found = (
        activities.select(
            "activity_id",
            key=match_key(
                text.str.extract_all(_ORGANISER_SENTENCE).list.join("。")
            ).str.extract_many(names.get_column("key").to_list(), overlapping=True),
        )
        .explode("key")
        .drop_nulls("key")
        .unique(maintain_order=True)
    )
    if found.is_empty():
        return empty
    # Drop a name that is part of a longer name found in the same activity.
    longer = found.join(found, on="activity_id", suffix="_other").filter(
        (pl.col("key") != pl.col("key_other"))
        & pl.col("key_other").str.contains(pl.col("key"), literal=True)
    )
    return (
        found.join(
            longer.select("activity_id", "key").unique(), on=["activity_id", "key"], how="anti"
        )
        .join(names, on="key")
        .select("activity_id", "member_id")
        .unique(maintain_order=True)
    )


def merge_cohosted(
    activities: pl.DataFrame,
    members: pl.DataFrame,
    named: pl.DataFrame | None = None,
    *,
    mark_kept: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Fold same-event activities together.

    ``activities`` has at least activity_id, member_id, title, title_key, summary, url,
    starts_at and first_seen_at; ``members`` has member_id and name; ``named`` (optional)
    has activity_id and organiser, a report's 機関名 (a member it names is an organiser,
    rule ``report:機関名``). Returns (kept activities with the input's schema and order,
    organisers, merges); a kept activity's first_seen_at becomes the earliest of its group.
    With ``mark_kept`` the activities are all returned, with a Boolean ``_kept`` column, so
    a million-row frame is not copied to drop the merged ones: the writer drops them
    (renkei.normalize.activities).
    """
    # Groups are found on the key columns alone: the wide frame is only filtered, once.
    grouped = linked_groups(
        activities.select("activity_id", "member_id", "title_key", "url", "starts_at")
    )
    is_kept = pl.col("_group") == pl.col("activity_id")
    # Only the merged rows need their kept activity's keys (a join of every row copied the
    # key columns of a million activities).
    merged = grouped.filter(~is_kept).join(
        grouped.filter(is_kept).select(_group="activity_id", _kept_title="_k_title"),
        on="_group",
        how="left",
        maintain_order="left",
    )
    merges = merged.select(
        activity_id="_group",
        merged_activity_id="activity_id",
        member_id="member_id",
        rule=pl.when(pl.col("_k_title") == pl.col("_kept_title"))
        .then(pl.lit("same_title_date"))
        .otherwise(pl.lit("same_url")),
        score=pl.lit(1.0),
    ).cast(MERGES_SCHEMA)

    group_of = grouped.select("activity_id", "_group")
    mentioned = (
        mentioned_members(activities, members)
        .join(group_of, on="activity_id")
        .select(activity_id="_group", member_id="member_id", rule=pl.lit("text:主催"))
    )
    reported = (
        _named(named, members)
        .drop_nulls("member_id")
        .join(group_of, on="activity_id")
        .select(activity_id="_group", member_id="member_id", rule=pl.lit(REPORT_RULE))
    )
    # The kept activity's publisher is its host. Every other member is a co-host, by the
    # first rule that names it (merges, then the report's 機関名, then the text), unless it
    # is the publisher already; only those few rows are deduplicated.
    publishers = grouped.filter(is_kept).select(
        "activity_id", "member_id", role=pl.lit("host"), rule=pl.lit("publisher"), _rank=0
    )
    from_merges = merges.select(
        "activity_id", "member_id", rule=pl.concat_str(pl.lit("merge:"), pl.col("rule"))
    )
    co_hosts = (
        pl.concat([from_merges, reported, mentioned], how="vertical")
        .unique(["activity_id", "member_id"], keep="first", maintain_order=True)
        .join(publishers, on=["activity_id", "member_id"], how="anti")
        .select("activity_id", "member_id", role=pl.lit("co_host"), rule="rule", _rank=1)
    )
    organisers = (
        pl.concat([publishers, co_hosts], how="vertical")
        .sort("activity_id", "_rank", "member_id")
        .select(list(ORGANISERS_SCHEMA))
        .cast(ORGANISERS_SCHEMA)
    )

    first_seen = (
        activities.get_column("first_seen_at")
        .to_frame()
        .with_columns(_group=grouped.get_column("_group"))
        .select(pl.col("first_seen_at").min().over("_group"))
    )
    keep = grouped.get_column("_group") == grouped.get_column("activity_id")
    if mark_kept:
        return activities.with_columns(first_seen, _kept=keep), organisers, merges
    if merged.height:
        activities, first_seen = activities.filter(keep), first_seen.filter(keep)
    kept = activities.with_columns(first_seen)
    return kept, organisers, merges
