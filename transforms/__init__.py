"""Pure Polars transforms for renkei: DataFrame in, DataFrame out (no I/O, no Prefect).

- text: display text, match keys, summaries, member-name keys
- dates: Japanese/western/era/ISO/RFC 822 date reading (JST)
- classify: keyword classification into categories and action guidelines
- activities: staged rows → activities + quarantine (see SCHEMAS.md), in parts on threads
- staged_rows: the row-by-row part of it (cleaning, dates, facts, classes, identity)
- schemas: the staged, activities and quarantine frames
- entities: HTML character references decoded in Polars, as html.unescape does
- hashing: sha256 of text columns (stored keys), natively
"""

from transforms.activities import (
    ACTIVITIES_SCHEMA,
    QUARANTINE_SCHEMA,
    STAGED_SCHEMA,
    build_activities,
)
from transforms.classify import Rules, classify, rules_from_mapping, rules_from_toml
from transforms.dates import (
    DateParseError,
    ParsedDateTime,
    extract_event_datetime,
    parse_column,
    parse_datetime_text,
    parse_time_range,
)
from transforms.text import display_text, match_key, member_name_key, summarize

__all__ = [
    "ACTIVITIES_SCHEMA",
    "QUARANTINE_SCHEMA",
    "STAGED_SCHEMA",
    "DateParseError",
    "ParsedDateTime",
    "Rules",
    "build_activities",
    "classify",
    "display_text",
    "extract_event_datetime",
    "match_key",
    "member_name_key",
    "parse_column",
    "parse_datetime_text",
    "parse_time_range",
    "rules_from_mapping",
    "rules_from_toml",
    "summarize",
]
