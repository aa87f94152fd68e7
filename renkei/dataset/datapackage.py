"""datapackage.json: the Frictionless Data Package that describes each release."""

from __future__ import annotations

from typing import Any

import polars as pl

from renkei.dataset.events_ja import EVENT_COLUMNS_JA, OWN_COLUMNS_JA
from renkei.dataset.tables import ALL_DAY_JA
from renkei.newsletter.model import CATEGORY_JA, SECTOR_JA

LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 / クリエイティブ・コモンズ 表示 4.0 国際",
}

# The CSVs are made for Excel (transforms/spreadsheet.py); JSON and Parquet are not touched.
SPREADSHEET_NOTE = (
    "Excelで数式として実行されないよう、CSVでは =、+、-、@、タブ、CR で始まるセルの先頭に"
    "「'」を付けています（JSON・Parquetは元の文字列のままです）。 / In the CSV files, a cell "
    "that starts with =, +, -, @, a tab or a carriage return has a ' put before it so that "
    "spreadsheets do not run it as a formula (OWASP); activities.json and activities.parquet "
    "keep the exact text."
)

ALL_DAY_CODES = {str(value).lower(): name for value, name in ALL_DAY_JA.items()}


def _coded(ja: str, en: str, names: dict[str, str]) -> tuple[str, str]:
    """The descriptions of a column whose CSV holds Japanese names, JSON/Parquet the codes."""
    pairs = [f"{name} = {code}" for code, name in names.items()]
    return (
        f"{ja}（{'、'.join(pairs)}。JSON・Parquetでは右の値）",
        f"{en}: {', '.join(pairs)} (the CSV holds the Japanese name, JSON and Parquet the code)",
    )


# (column, CSV header, type, Japanese description, English description)
ACTIVITY_FIELDS: list[tuple[str, str, str, str, str]] = [
    ("activity_id", "活動ID", "string", "活動の一意な識別子", "Unique activity identifier"),
    ("member_id", "機関ID", "string", "主催機関のID（members.csv）", "Publishing member id"),
    ("member_name", "機関名", "string", "主催機関の名称", "Publishing member name"),
    ("sector", "区分(産学金官)", "string", *_coded("産学金官の区分", "Sector", SECTOR_JA)),
    ("prefecture", "都道府県", "string", "機関の所在都道府県", "Prefecture of the member"),
    (
        "category",
        "種別",
        "string",
        *_coded("活動の種別", "Category", CATEGORY_JA),
    ),
    ("title", "件名", "string", "件名", "Title"),
    ("summary", "概要", "string", "概要", "Summary"),
    ("url", "URL", "string", "詳細ページのURL", "Page with details"),
    ("starts_at", "開始日時", "datetime", "開始日時（日本時間）", "Start (Japan time, ISO 8601)"),
    ("ends_at", "終了日時", "datetime", "終了日時（日本時間）", "End (Japan time, ISO 8601)"),
    ("all_day", "終日", "boolean", *_coded("終日の行事か", "All-day event", ALL_DAY_CODES)),
    ("venue", "会場", "string", "会場", "Venue"),
    ("deadline_at", "申込締切", "datetime", "申込締切", "Application deadline"),
    ("published_at", "公開日時", "datetime", "機関が公開した日時", "Published by the member"),
    ("contact", "問い合わせ先", "string", "公開の問い合わせ窓口", "Public enquiry line"),
    ("source", "取得元", "string", "取得元（feed / csv）", "Where renkei got it"),
    ("first_seen_at", "初回取得日時", "datetime", "初めて取得した日時", "First seen by renkei"),
    ("updated_at", "更新日時", "datetime", "最終更新日時", "Last updated"),
]
MEMBER_FIELDS: list[tuple[str, str, str, str, str]] = [
    ("member_id", "機関ID", "string", "機関ID", "Member id"),
    ("name", "機関名", "string", "機関名", "Member name"),
    ("sector", "区分", "string", "産学金官の区分（英語）", "Sector"),
    ("sector_ja", "区分(産学金官)", "string", "産・学・金・官", "Sector in Japanese"),
    ("prefecture", "都道府県", "string", "所在都道府県", "Prefecture"),
    ("scope", "活動範囲", "string", "活動範囲", "Scope of activity"),
    ("feed_url", "フィードURL", "string", "公開フィードのURL", "Public feed URL"),
]
# related_activities.csv (renkei.normalize.related, transforms/related.py)
RELATED_FIELDS: list[tuple[str, str, str, str, str]] = [
    ("activity_id", "活動ID", "string", "活動ID（activities.csv）", "Activity id"),
    ("related_id", "関連活動ID", "string", "関連する他機関の活動ID", "Related activity id"),
    ("rank", "順位", "integer", "関連の順位（1が最上位）", "Rank, 1 = best"),
    (
        "similarity",
        "類似度",
        "number",
        "件名・概要の文字n-gram TF-IDFのコサイン類似度（0〜1）",
        "Cosine similarity of title+summary character n-gram TF-IDF",
    ),
    ("member_name", "機関名", "string", "活動の機関名", "Member of the activity"),
    ("related_member_name", "関連機関名", "string", "関連活動の機関名", "Member of the related"),
    ("sector", "区分(産学金官)", "string", "活動の機関の区分", "Sector of the activity"),
    ("related_sector", "関連区分(産学金官)", "string", "関連活動の機関の区分", "Related sector"),
    ("sector_pair", "区分の組合せ", "string", "区分の組合せ（例: 産×学）", "Sector pair"),
]
RELATED_DESCRIPTION = (
    "各活動に、件名・概要の文字n-gram（2〜3文字）TF-IDFのコサイン類似度がしきい値以上の"
    "他機関の活動を最大3件。他の区分（産学金官）・他県の活動を優先して順位付け"
    "（類似度に区分が異なれば+0.10、都道府県が異なれば+0.05）。同じ機関の活動は含まない。 / "
    "For each activity, up to three activities of other members whose title+summary "
    "character 2-3-gram TF-IDF cosine is above the threshold, other sectors and prefectures "
    "first (+0.10 for another sector, +0.05 for another prefecture); never the same member."
)


def related_frame(related: pl.DataFrame) -> pl.DataFrame:
    """related_activities as published: Japanese sector names, the pair (産×学), headers."""
    sectors = [pl.col(c).replace(SECTOR_JA) for c in ("sector", "related_sector")]
    return (
        related.with_columns(sectors)
        .with_columns(sector_pair=pl.concat_str("sector", "related_sector", separator="×"))
        .select([c for c, *_ in RELATED_FIELDS])
        .rename({c: h for c, h, *_ in RELATED_FIELDS})
    )


MEMBER_HEADERS_JA = {column: header for column, header, *_ in MEMBER_FIELDS}
# What the CSVs for people may hold in their Japanese-valued columns (tables.japanese_values).
JAPANESE_VALUES: dict[str, dict[str, Any]] = {
    "区分(産学金官)": {"constraints": {"enum": list(SECTOR_JA.values())}},
    "関連区分(産学金官)": {"constraints": {"enum": list(SECTOR_JA.values())}},
    "種別": {"constraints": {"enum": list(CATEGORY_JA.values())}},
    "終日": {"trueValues": [ALL_DAY_JA[True]], "falseValues": [ALL_DAY_JA[False]]},
}


def _field(header: str, type_: str, ja: str, en: str) -> dict[str, Any]:
    field = {"name": header, "type": type_, "description": f"{ja} / {en}"}
    return field | JAPANESE_VALUES.get(header, {})


def _csv_resource(name: str, path: str, title: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "title": title,
        "description": f"{description} {SPREADSHEET_NOTE}",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "dialect": {"csv": {"delimiter": ",", "lineTerminator": "\r\n"}},
    }


def _events_schema() -> dict[str, Any]:
    fields = [_field(h, "string", h, "イベント一覧 column") for h in EVENT_COLUMNS_JA]
    fields[1]["type"] = "integer"
    for header in ("開始日", "終了日", "参加申込終了日"):
        fields[EVENT_COLUMNS_JA.index(header)]["type"] = "date"
    own_ja = {"区分(産学金官)": "（産・学・金・官）", "種別": "（メルマガと同じ名称）"}
    own = [
        _field(h, "string", f"renkei独自列: {h}{own_ja.get(h, '')}", "renkei's own column")
        for h in OWN_COLUMNS_JA
    ]
    return {
        "fields": fields + own,
        "primaryKey": ["活動ID"],
        "foreignKeys": [
            {"fields": ["機関ID"], "reference": {"resource": "members", "fields": ["機関ID"]}}
        ],
    }


PRIVACY_NOTE = (
    " 公開しないもの：会員の連絡先メールアドレス、相談の申込者・氏名・内容、ニーズ・シーズの"
    "投稿者の連絡先。needs_seeds.csv は事務局が確認して掲載中の技術ニーズ・シーズの題名と内容"
    "（匿名の投稿は機関名・区分・都道府県なし）、stats_consultations.csv は相談・紹介・面談・"
    "連携の件数（四半期・区分の組合せ別）だけを含む。 / Not published: contact addresses, who "
    "asked what in a consultation, the posters of needs and seeds. needs_seeds.csv holds the "
    "reviewed needs and seeds (anonymous ones without member, sector or prefecture); "
    "stats_consultations.csv holds counts only."
)


def descriptor(
    *, version: str, publisher: str, website: str, created: str, related: bool = True
) -> dict[str, Any]:
    """The Data Package: activities, members, events and related activities, with Table
    Schemas and keys."""
    activities = _csv_resource(
        "activities",
        "activities.csv",
        "活動一覧 / Activities",
        "会員機関が公開した活動（行事・公募・お知らせ・事例）。 / "
        "Activities published by the council's members.",
    )
    activities["schema"] = {
        "fields": [_field(h, t, ja, en) for _, h, t, ja, en in ACTIVITY_FIELDS],
        "primaryKey": ["活動ID"],
        "foreignKeys": [
            {"fields": ["機関ID"], "reference": {"resource": "members", "fields": ["機関ID"]}}
        ],
    }
    members = _csv_resource(
        "members",
        "members.csv",
        "会員機関 / Members",
        "会員機関の公開情報（連絡先メールアドレスは含まない）。 / "
        "Public fields of member institutions (no contact addresses).",
    )
    members["schema"] = {
        "fields": [_field(h, t, ja, en) for _, h, t, ja, en in MEMBER_FIELDS],
        "primaryKey": ["機関ID"],
    }
    events = _csv_resource(
        "events",
        "events.csv",
        "イベント一覧 / Events",
        "推奨データセット「イベント一覧」の32列（順序どおり）の後に renkei 独自列"
        f"（{'、'.join(OWN_COLUMNS_JA)}）を追加。 / The 32 columns of Japan's recommended "
        "event-list dataset, in order, followed by renkei's own columns.",
    )
    events["schema"] = _events_schema()
    pairs = _csv_resource(
        "related_activities", "related_activities.csv", "関連活動 / Related activities",
        RELATED_DESCRIPTION,
    )  # fmt: skip
    pairs["schema"] = {
        "fields": [_field(h, t, ja, en) for _, h, t, ja, en in RELATED_FIELDS],
        "primaryKey": ["活動ID", "順位"],
        "foreignKeys": [
            {"fields": ["活動ID"], "reference": {"resource": "activities", "fields": ["活動ID"]}},
            {
                "fields": ["関連活動ID"],
                "reference": {"resource": "activities", "fields": ["活動ID"]},
            },
        ],
    }
    return {
        "name": "renkei-activities",
        "title": "中国地域産学官連携 活動データ / Chugoku collaboration activities",
        "description": "中国地域産学官コラボレーションの会員機関の活動を水平展開のために公開する"
        "オープンデータ。 / Open data of member activities, for reuse across the council."
        + PRIVACY_NOTE
        + " "
        + SPREADSHEET_NOTE,
        "version": version,
        "created": created,
        "licenses": [LICENSE],
        "publisher": {"title": publisher, "path": website},
        "homepage": website,
        "keywords": ["産学官連携", "イベント", "collaboration", "open data"],
        # related_activities is derived and recomputed: in the current release only
        "resources": [activities, members, events, *([pairs] if related else [])],
    }
