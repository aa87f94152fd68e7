"""Events in the layout of Japan's recommended open dataset イベント一覧 (32 columns)."""

from __future__ import annotations

import polars as pl

from renkei.newsletter.model import CATEGORY_JA, SECTOR_JA

# The 32 columns of 推奨データセット「イベント一覧」, in order. Our own columns follow them.
EVENT_COLUMNS_JA: list[str] = [
    "都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名",
    "イベント名", "イベント名_カナ", "イベント名_英語", "開始日", "終了日", "開始時間",
    "終了時間", "開始日時特記事項", "説明", "料金(基本)", "料金(詳細)", "連絡先名称",
    "連絡先電話番号", "連絡先内線番号", "主催者", "場所名称", "住所", "方書", "緯度", "経度",
    "アクセス方法", "駐車場情報", "定員", "参加申込終了日", "参加申込終了時間",
    "参加申込方法", "URL", "備考",
]  # fmt: skip
OWN_COLUMNS_JA: list[str] = ["活動ID", "機関ID", "区分(産学金官)", "種別"]

PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 "
    "東京都 神奈川県 新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 "
    "滋賀県 京都府 大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 "
    "香川県 愛媛県 高知県 福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()


def local_government_code(prefecture_number: int) -> str:
    """全国地方公共団体コード of a prefecture: 5 digits plus the check digit."""
    digits = f"{prefecture_number:02d}000"
    total = sum(int(d) * w for d, w in zip(digits, (6, 5, 4, 3, 2), strict=True))
    check = 11 - total if total < 11 else 11 - total % 11
    return digits + str(check % 10)


PREFECTURE_CODES = {name: local_government_code(i) for i, name in enumerate(PREFECTURES, 1)}


def is_event() -> pl.Expr:
    """An event: category event, or any dated activity but a call — what the bulletin puts
    in its events section (newsletter.selection.place), so a dated 見学会 classed as a
    success case, a course (training) or a 報告会 (news) is listed. A call's dates are its
    programme and its deadline is what matters: it stays out, as in the bulletin."""
    dated = pl.col("starts_at").is_not_null() & (pl.col("category") != "call")
    return (pl.col("category") == "event") | dated


def _text(column: str, frame: pl.DataFrame) -> pl.Expr:
    """A text column of the activities, empty when the frame does not carry it."""
    return pl.col(column) if column in frame.columns else pl.lit(None, dtype=pl.String)


def events_frame(activities: pl.DataFrame) -> pl.DataFrame:
    """Events of the dataset in the イベント一覧 layout; unknown columns stay empty. 料金(基本)
    and 定員 are the fee and capacity as written (fee_text, capacity_text); 区分 and 種別
    are Japanese (産, イベント・セミナー) as in activities.csv."""
    events = activities.filter(is_event())
    start, end = pl.col("starts_at"), pl.coalesce("ends_at", "starts_at")
    timed = ~pl.col("all_day")
    empty = pl.lit(None, dtype=pl.String)
    return events.select(
        pl.col("prefecture")
        .replace_strict(PREFECTURE_CODES, default=None)
        .alias(EVENT_COLUMNS_JA[0]),
        pl.int_range(1, pl.len() + 1).alias("NO"),
        pl.col("prefecture").alias("都道府県名"),
        empty.alias("市区町村名"),
        pl.col("title").alias("イベント名"),
        empty.alias("イベント名_カナ"),
        empty.alias("イベント名_英語"),
        start.dt.strftime("%Y-%m-%d").alias("開始日"),
        end.dt.strftime("%Y-%m-%d").alias("終了日"),
        pl.when(timed).then(start.dt.strftime("%H:%M")).alias("開始時間"),
        pl.when(timed).then(end.dt.strftime("%H:%M")).alias("終了時間"),
        empty.alias("開始日時特記事項"),
        pl.col("summary").alias("説明"),
        _text("fee_text", events).alias("料金(基本)"),
        empty.alias("料金(詳細)"),
        pl.col("contact").alias("連絡先名称"),
        empty.alias("連絡先電話番号"),
        empty.alias("連絡先内線番号"),
        pl.col("member_name").alias("主催者"),
        pl.col("venue").alias("場所名称"),
        *(empty.alias(c) for c in ("住所", "方書", "緯度", "経度", "アクセス方法", "駐車場情報")),
        _text("capacity_text", events).alias("定員"),
        pl.col("deadline_at").dt.strftime("%Y-%m-%d").alias("参加申込終了日"),
        pl.col("deadline_at").dt.strftime("%H:%M").alias("参加申込終了時間"),
        empty.alias("参加申込方法"),
        pl.col("url").alias("URL"),
        empty.alias("備考"),
        pl.col("activity_id").alias("活動ID"),
        pl.col("member_id").alias("機関ID"),
        pl.col("sector").replace(SECTOR_JA).alias("区分(産学金官)"),
        pl.col("category").replace(CATEGORY_JA).alias("種別"),
    )
