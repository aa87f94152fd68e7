"""Statistics for the council: CSV tables and charts (matplotlib, Agg backend).

matplotlib is imported when charts are drawn, not with this module: it costs about half a
second, and every `renkei` command imports the pipeline that can publish.

Everything a reader sees is Japanese: titles, axis labels, 産学金官, category names, months
(10月 with its year once: 2026年; 2026年11月 in the alt text) and prefectures, drawn in
IPAexGothic from the matplotlib-fontja wheel (no system font, nothing downloaded). A character
the font lacks is logged as an error (tests make it fail); each PNG records the texts it was
drawn with, its alt text (read_chart) and its caption (read_caption: months covered, total,
largest bar), which index.html uses and the browser test compares with the expected names.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

from renkei.core.registry import PREFECTURES
from renkei.newsletter.model import CATEGORY_JA, SECTOR_JA
from transforms.spreadsheet import spreadsheet_safe

log = logging.getLogger("renkei.dataset.stats")

FONT_NAME = "IPAexGothic"  # shipped inside the matplotlib-fontja wheel: nothing downloaded
SYSTEM_FONTS = ("IPAGothic", "IPAPGothic", "Noto Sans CJK JP", "TakaoGothic")
CHARTS = {  # dimension → (title, label of the axis naming the bars); the page's order
    "month": ("月別の活動件数", "月"),
    "sector": ("区分（産学金官）別の活動件数", "区分"),
    "prefecture": ("都道府県別の活動件数", "都道府県"),
    "category": ("種別ごとの活動件数", "種別"),
}
Y_LABEL = "件数"
ENGLISH = {  # only when no Japanese font loads at all (logged): never boxes for glyphs
    "month": ("Activities by month", "month"),
    "sector": ("Activities by sector", "sector"),
    "prefecture": ("Activities by prefecture", "prefecture"),
    "category": ("Activities by category", "category"),
}
LABELS_KEY = "Renkei-Labels"  # PNG text chunk: the texts drawn, as JSON (read_chart)
CAPTION_KEY = "Renkei-Caption"  # PNG text chunk: the caption under it on the page


@dataclass(frozen=True)
class ChartText:
    """What a chart shows, as drawn: read back from matplotlib, stored in the PNG."""

    title: str
    name_label: str  # the axis along which the bars are named (月, 区分, 都道府県, 種別)
    count_label: str  # the axis of the counts (件数)
    ticks: tuple[str, ...]  # the names under or beside the bars
    counts: tuple[int, ...]
    fonts: tuple[str, ...]  # the font families matplotlib resolved for those texts
    alt: str  # the Japanese alternative text of the <img>


def japanese_font() -> str | None:
    """The Japanese font for the charts: IPAexGothic from matplotlib-fontja (its wheel holds
    the .ttf), else an installed system font; None, logged, when none can be loaded."""
    from matplotlib import font_manager

    try:
        import matplotlib_fontja  # its first import registers the font (and sets rc)

        path = matplotlib_fontja.get_font_ttf_path()
        if all(f.fname != path for f in font_manager.fontManager.ttflist):
            font_manager.fontManager.addfont(path)  # once per process, not per publish
        return FONT_NAME
    except (ImportError, OSError, RuntimeError) as error:
        log.error("matplotlib-fontja could not load its font: %s", error)
    installed = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in SYSTEM_FONTS if name in installed), None)
    if found is None:
        log.error("no Japanese font can be loaded: the charts use English labels")
    return found


def month_ja(value: str) -> str:
    """'2026-11' → '2026年11月' (other text unchanged)."""
    year, _, month = value.partition("-")
    return f"{year}年{int(month)}月" if year.isdigit() and month.isdigit() else value


ORDER = {  # values in the order people expect; months (and unknown codes) sort as text
    "sector": {v: i for i, v in enumerate(SECTOR_JA)},  # 産学金官
    "prefecture": {v: i for i, v in enumerate(PREFECTURES)},  # north to south (JIS order)
    "category": {v: i for i, v in enumerate(CATEGORY_JA)},  # as in the bulletin
}


def _natural(dimension: str, value: str | None) -> tuple[int, int, int, str]:
    ranks = ORDER.get(dimension, {})
    at = list(CHARTS).index(dimension) if dimension in CHARTS else len(CHARTS)
    return (at, 0 if value in ranks else 1, ranks.get(value or "", 0), value or "")


def chart_rows(counts: pl.DataFrame, dimension: str, *, japanese: bool = True
               ) -> list[tuple[str, int]]:  # fmt: skip
    """(label, count) of one dimension, in the order people expect: months in time order,
    産学金官, prefectures north to south, categories as in the bulletin. Labels are the
    Japanese names (2026年11月, 学, 鳥取県, イベント・セミナー); with ``japanese=False`` the
    codes, non-ASCII ones numbered (#1, #2: the English fallback has no glyphs for them)."""
    rows = counts.filter(pl.col("dimension") == dimension).drop_nulls("value")
    found: dict[str, int] = dict(zip(rows["value"], rows["activities"], strict=True))
    values = sorted(found, key=lambda v: _natural(dimension, v))
    if not japanese:
        return [(v if v.isascii() else f"#{i + 1}", found[v]) for i, v in enumerate(values)]
    if dimension == "month":
        return [(month_ja(v), found[v]) for v in values]
    names = {**SECTOR_JA, **CATEGORY_JA} if dimension in ("sector", "category") else {}
    return [(names.get(v, v), found[v]) for v in values]


def alt_text(title: str, rows: list[tuple[str, int]]) -> str:
    """'区分（産学金官）別の活動件数の棒グラフ。学 2件、金 2件、官 1件。'"""
    listed = "、".join(f"{label} {n}件" for label, n in rows) or "データなし"
    return f"{title}の棒グラフ。{listed}。"


def caption_text(months: list[tuple[str, int]], rows: list[tuple[str, int]]) -> str:
    """What the title does not say: the months covered, the total and the largest bar
    ('2026年10月〜2027年1月の計41件。最多は学（15件）。'; a tie of two 'は学と金（各2件）';
    no largest when three or more tie, or every bar does)."""
    total = sum(n for _, n in rows)
    if not total:
        return "データなし"
    first, last = months[0][0] if months else "", months[-1][0] if months else ""
    period = f"{first}〜{last}の" if first != last else f"{first}の" if first else ""
    top = max(n for _, n in rows)
    names = [label for label, n in rows if n == top]
    if len(names) > 2 or len(names) == len(rows):
        return f"{period}計{total}件。"
    each = "各" if len(names) > 1 else ""
    return f"{period}計{total}件。最多は{'と'.join(names)}（{each}{top}件）。"


@contextmanager
def _glyphs_checked(name: str) -> Iterator[None]:
    """matplotlib warns 'Glyph … missing from font' when it draws a box for a character:
    logged as an error naming the chart; every warning then goes on to the caller's
    filters (tests turn that one into an error)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if issubclass(w.category, ResourceWarning):
            continue  # the garbage collector closing some other file meanwhile: not ours
        if "missing from font" in str(w.message):
            log.error("chart %s: %s (drawn as a box)", name, w.message)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


MONTH_LABEL = re.compile(r"(\d{4})年(\d{1,2})月")


def month_ticks(labels: list[str], step: int) -> list[str]:
    """Every ``step``-th month label, short: '10月' with the year under it on the first one
    shown and wherever the year changes ('10月\n2026年', '11月', '12月', '1月\n2027年');
    the others empty. Labels that are not 2026年10月 (the English codes) stay whole."""
    ticks, year = [], None
    for i, label in enumerate(labels):
        found = MONTH_LABEL.fullmatch(label)
        if i % step or found is None:
            ticks.append("" if i % step else label)
            continue
        ticks.append(f"{found[2]}月" if found[1] == year else f"{found[2]}月\n{found[1]}年")
        year = found[1]
    return ticks


def overlapping(fig: Any, labels: list[Any]) -> bool:
    """Whether two of the drawn labels' boxes touch (after the figure is drawn)."""
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in labels if t.get_text()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def draw_chart(plt: Any, rows: list[tuple[str, int]], texts: tuple[str, str, str], *,
               horizontal: bool) -> Any:  # fmt: skip
    """A bar chart of (label, count) rows, sized to stay legible when a phone shrinks it:
    months as columns (time runs left to right), the other dimensions as horizontal bars so
    that Japanese names read on one line. Month labels are short and upright (10月, the
    year once under its first month) and thinned, measured after drawing, until no two
    touch; the alt text lists every month. The axis labels are written upright, above the
    axis (縦書きの回転なし)."""
    from matplotlib.ticker import MaxNLocator

    n, labels, counts = len(rows), [label for label, _ in rows], [c for _, c in rows]
    height = max(2.6, 1.3 + 0.45 * n) if horizontal else 3.8
    fig, ax = plt.subplots(figsize=(4.8, height), dpi=150)
    if horizontal:
        bars = ax.barh(range(n), counts, color="#2f6f9f")
        ax.set_yticks(range(n), labels)
        ax.invert_yaxis()  # the first (産, 北海道, イベント) on top
        ax.margins(x=0.15)  # room for the count after the longest bar
        count_axis, name_axis = ax.xaxis, ax.yaxis
    else:
        bars = ax.bar(range(n), counts, color="#2f6f9f")
        ax.margins(y=0.15)  # room for the count above the highest bar
        count_axis, name_axis = ax.yaxis, ax.xaxis
    count_axis.set_major_locator(MaxNLocator(integer=True))
    ax.bar_label(bars, padding=2)
    ax.set_title(texts[0], pad=18)
    name_axis.set_label_text(texts[1])
    count_axis.set_label_text(texts[2])
    ax.yaxis.label.set(rotation=0, ha="right", va="bottom")
    ax.yaxis.set_label_coords(0, 1.01)  # over the top of the vertical axis
    for step in range(1, max(n, 1) + 1) if not horizontal else ():
        ax.set_xticks(range(n), month_ticks(labels, step))
        fig.tight_layout()
        if not overlapping(fig, ax.get_xticklabels()):
            break
    fig.tight_layout()
    return fig


def _shown(fig: Any, rows: list[tuple[str, int]], alt: str, *, horizontal: bool) -> ChartText:
    """The texts as matplotlib holds them after drawing, and the fonts it resolved."""
    from matplotlib import font_manager

    ax = fig.axes[0]
    ticks = ax.get_yticklabels() if horizontal else ax.get_xticklabels()
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ticks]
    files = sorted({font_manager.findfont(t.get_fontproperties()) for t in texts})
    name_axis, count_axis = (ax.yaxis, ax.xaxis) if horizontal else (ax.xaxis, ax.yaxis)
    return ChartText(
        title=ax.get_title(), name_label=name_axis.get_label_text(),
        count_label=count_axis.get_label_text(), ticks=tuple(t.get_text() for t in ticks),
        counts=tuple(n for _, n in rows),
        fonts=tuple(font_manager.FontProperties(fname=f).get_name() for f in files), alt=alt,
    )  # fmt: skip


def write_charts(counts: pl.DataFrame, folder: Path, *, japanese: bool = True) -> list[Path]:
    """One bar chart (PNG) per dimension, in Japanese with the font of matplotlib-fontja.
    Only when no Japanese font loads (or with ``japanese=False``) are titles English and
    non-ASCII labels numbered. Each PNG carries what it shows (read_chart)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = japanese_font() if japanese else None
    paths: list[Path] = []
    for dimension, (title_ja, x_ja) in CHARTS.items():
        texts = (title_ja, x_ja, Y_LABEL) if font else (*ENGLISH[dimension], "activities")
        rows = chart_rows(counts, dimension, japanese=font is not None)
        path = folder / f"chart_{dimension}.png"
        family = font or "DejaVu Sans"
        with (
            _glyphs_checked(path.name),
            plt.rc_context({"font.family": family, "font.size": 13, "axes.titlesize": 15}),
        ):
            fig = draw_chart(plt, rows, texts, horizontal=dimension != "month")
            try:
                alt = alt_text(title_ja, chart_rows(counts, dimension))
                caption = caption_text(chart_rows(counts, "month"), chart_rows(counts, dimension))
                shown = _shown(fig, rows, alt, horizontal=dimension != "month")
                metadata = {"Title": shown.title, "Description": shown.alt,
                            LABELS_KEY: json.dumps(asdict(shown), ensure_ascii=False),
                            CAPTION_KEY: caption}  # fmt: skip
                fig.savefig(path, metadata={"Software": None, **metadata})
            finally:
                plt.close(fig)
        paths.append(path)
    return paths


def read_caption(path: Path) -> str:
    """The caption written with a chart (caption_text), for the page under it."""
    from PIL import Image

    with Image.open(path) as image:
        return str(image.text[CAPTION_KEY])  # type: ignore[attr-defined]


def read_chart(path: Path) -> ChartText:
    """What a chart written by write_charts shows (from its PNG text chunk)."""
    from PIL import Image

    with Image.open(path) as image:
        data = json.loads(image.text[LABELS_KEY])  # type: ignore[attr-defined]
    return ChartText(
        title=data["title"], name_label=data["name_label"], count_label=data["count_label"],
        ticks=tuple(data["ticks"]), counts=tuple(data["counts"]), fonts=tuple(data["fonts"]),
        alt=data["alt"],
    )  # fmt: skip


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
    **SECTOR_JA, **CATEGORY_JA,
}  # fmt: skip


def counts_in_order(counts: pl.DataFrame) -> pl.DataFrame:
    """The counts table in the charts' order: dimensions as on the page, values as people
    expect them (chart_rows); the codes stay in it for for_people to label."""
    keys = [_natural(d, v) for d, v in zip(counts["dimension"], counts["value"], strict=True)]
    positions = sorted(range(counts.height), key=keys.__getitem__)
    return counts[positions]


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
        ordered = counts_in_order(frame) if name == "counts" else frame
        safe = spreadsheet_safe(for_people(ordered))  # no cell Excel would read as a formula
        safe.write_csv(path, include_bom=True, line_terminator="\r\n")
        paths.append(path)
    return paths
