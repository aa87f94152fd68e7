"""Statistics for the council: CSV tables and charts (matplotlib, Agg backend).

matplotlib is imported when charts are drawn, not with this module: it costs about half a
second, and every `renkei` command imports the pipeline that can publish.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from transforms.spreadsheet import spreadsheet_safe

JAPANESE_FONTS = ("IPAGothic", "IPAPGothic", "Noto Sans CJK JP", "TakaoGothic")
DIMENSIONS = {  # dimension → (Japanese chart title, English fallback)
    "month": ("月別の活動件数", "Activities by month"),
    "sector": ("区分（産学金官）別の活動件数", "Activities by sector"),
    "prefecture": ("都道府県別の活動件数", "Activities by prefecture"),
    "category": ("種別ごとの活動件数", "Activities by category"),
}


def japanese_font() -> str | None:
    """A Japanese font matplotlib can use, or None (charts then use English labels)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in JAPANESE_FONTS if name in installed), None)


def _ascii(text: str) -> bool:
    return all(ord(c) < 128 for c in text)


def write_charts(counts: pl.DataFrame, folder: Path, *, japanese: bool = True) -> list[Path]:
    """One bar chart (PNG) per dimension of the counts table; without a Japanese font
    (or with ``japanese=False``) titles are English and non-ASCII labels are numbered."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    font = japanese_font() if japanese else None
    paths: list[Path] = []
    for dimension, (title_ja, title_en) in DIMENSIONS.items():
        rows = counts.filter(pl.col("dimension") == dimension).drop_nulls("value")
        labels = rows["value"].to_list()
        if font is None:  # no Japanese glyphs: keep only ASCII labels, never fail
            labels = [v if _ascii(v) else f"#{i + 1}" for i, v in enumerate(labels)]
        with plt.rc_context({"font.family": font or "DejaVu Sans", "svg.hashsalt": "renkei"}):
            fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100)
            ax.bar(range(len(labels)), rows["activities"].to_list(), color="#2f6f9f")
            ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 6 else 0)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_title(title_ja if font else title_en)
            ax.set_ylabel("件数" if font else "activities")
            fig.tight_layout()
            path = folder / f"chart_{dimension}.png"
            fig.savefig(path, metadata={"Software": None})
            plt.close(fig)
        paths.append(path)
    return paths


# The council reads these in Excel: Japanese headers and labels, the codes kept beside them.
HEADERS_JA = {
    "dimension": "集計軸", "value": "値", "activities": "件数", "member_id": "機関ID",
    "name": "機関名", "sector": "区分", "prefecture": "都道府県", "activities_total": "累計件数",
    "activities_in_period": "期間内件数", "last_reported_on": "最終報告日",
    "reported_in_period": "期間内に報告あり", "quiet_90_days": "90日以上報告なし",
    "month": "月", "collaborations": "連携件数", "cross_sector": "区分をまたぐ",
    "cross_prefecture": "県をまたぐ",
}  # fmt: skip
LABELS_JA = {
    "sector": "区分", "prefecture": "都道府県", "month": "月", "category": "種別",
    "industry": "産", "academia": "学", "finance": "金", "government": "官",
    "event": "イベント・セミナー", "call": "公募・助成", "news": "お知らせ・成果",
    "success_case": "成功事例", "training": "人材育成・研修", "other": "その他",
}  # fmt: skip


def for_people(frame: pl.DataFrame) -> pl.DataFrame:
    """Japanese labels for code columns, booleans as はい/いいえ, Japanese headers."""
    labelled = frame.with_columns(
        *(
            pl.col(c).replace(LABELS_JA)
            for c in ("dimension", "value", "sector")
            if c in frame.columns
        ),
        *(
            pl.when(pl.col(c)).then(pl.lit("はい")).otherwise(pl.lit("いいえ")).alias(c)
            for c, t in frame.schema.items()
            if t == pl.Boolean
        ),
    )
    return labelled.rename({c: HEADERS_JA.get(c, c) for c in labelled.columns})


def write_tables(tables: dict[str, pl.DataFrame], folder: Path) -> list[Path]:
    """Each statistics table as CSV (UTF-8 with BOM, CRLF, for Excel), in Japanese."""
    paths = []
    for name, frame in tables.items():
        path = folder / f"stats_{name}.csv"
        safe = spreadsheet_safe(for_people(frame))  # no cell Excel would read as a formula
        safe.write_csv(path, include_bom=True, line_terminator="\r\n")
        paths.append(path)
    return paths
