"""The statistics of the open dataset in Japanese: chart texts, names, font, people's CSV."""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

import matplotlib_fontja
import polars as pl
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from renkei.dataset.stats import (
    ChartText,
    caption_text,
    chart_rows,
    draw_chart,
    japanese_font,
    month_ticks,
    read_caption,
    read_chart,
    write_charts,
    write_tables,
)

MONTHS = [f"2025-{m:02d}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 13)]
COUNTS = pl.DataFrame(
    {
        "dimension": ["sector"] * 4 + ["prefecture"] * 3 + ["category"] * 6 + ["month"] * 14,
        "value": [
            "government", "academia", "industry", "finance",
            "山口県", "鳥取県", "広島県",
            "other", "training", "success_case", "news", "call", "event",
            *MONTHS,
        ],
        "activities": [1, 5, 2, 3, 4, 6, 7, 1, 2, 3, 4, 5, 6, *range(1, 15)],
    }
)  # fmt: skip
MISSING_GLYPH = r"Glyph .* missing from font"


def charts(folder: Path, counts: pl.DataFrame = COUNTS) -> dict[str, ChartText]:
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=MISSING_GLYPH)  # a box would fail here
        paths = write_charts(counts, folder)
    return {p.stem.removeprefix("chart_"): read_chart(p) for p in paths}


def test_charts_have_japanese_titles_axes_and_names_in_the_bundled_font(tmp_path: Path):
    shown = charts(tmp_path)
    assert list(shown) == ["month", "sector", "prefecture", "category"]
    assert shown["sector"] == ChartText(
        title="区分（産学金官）別の活動件数", name_label="区分", count_label="件数",
        ticks=("産", "学", "金", "官"), counts=(2, 5, 3, 1), fonts=("IPAexGothic",),
        alt="区分（産学金官）別の活動件数の棒グラフ。産 2件、学 5件、金 3件、官 1件。",
    )  # fmt: skip
    assert shown["prefecture"] == ChartText(
        title="都道府県別の活動件数", name_label="都道府県", count_label="件数",
        ticks=("鳥取県", "広島県", "山口県"), counts=(6, 7, 4), fonts=("IPAexGothic",),
        alt="都道府県別の活動件数の棒グラフ。鳥取県 6件、広島県 7件、山口県 4件。",
    )  # fmt: skip
    assert shown["category"] == ChartText(
        title="種別ごとの活動件数", name_label="種別", count_label="件数",
        ticks=("イベント・セミナー", "公募・助成", "お知らせ・成果", "成功事例",
               "人材育成・研修", "その他"),
        counts=(6, 5, 4, 3, 2, 1), fonts=("IPAexGothic",),
        alt="種別ごとの活動件数の棒グラフ。イベント・セミナー 6件、公募・助成 5件、"
        "お知らせ・成果 4件、成功事例 3件、人材育成・研修 2件、その他 1件。",
    )  # fmt: skip
    month = shown["month"]
    assert (month.title, month.name_label, month.count_label) == ("月別の活動件数", "月", "件数")
    assert month.ticks == (  # 14 months: every third label, so that none touch
        "11月\n2025年", "", "", "2月\n2026年", "", "", "5月", "", "", "8月", "", "",
        "11月", "",
    )  # fmt: skip
    assert month.alt.startswith("月別の活動件数の棒グラフ。2025年11月 1件、2025年12月 2件、")
    assert month.alt.endswith("、2026年11月 13件、2026年12月 14件。")  # the alt lists all 14
    assert month.fonts == ("IPAexGothic",)


def test_every_character_drawn_is_in_the_font(tmp_path: Path) -> None:
    charmap = FT2Font(matplotlib_fontja.get_font_ttf_path()).get_charmap()
    for chart in charts(tmp_path).values():
        drawn = "".join([chart.title, chart.name_label, chart.count_label, *chart.ticks])
        drawn = drawn.replace("\n", "")  # a line break (10月 over 2026年), not a glyph
        assert [c for c in drawn if ord(c) not in charmap] == []


def test_a_glyph_missing_from_the_font_is_an_error_not_a_box(tmp_path: Path, caplog) -> None:
    odd = pl.DataFrame({"dimension": ["category"], "value": ["🎉"], "activities": [1]})
    with caplog.at_level(logging.ERROR, logger="renkei.dataset.stats"):
        with pytest.raises(UserWarning, match=r"Glyph 127881 .* missing from font\(s\) IPAex"):
            charts(tmp_path, odd)
    assert "chart_category.png: Glyph 127881" in caplog.text
    assert "(drawn as a box)" in caplog.text


def test_the_font_comes_from_the_matplotlib_fontja_wheel() -> None:
    assert japanese_font() == "IPAexGothic"
    path = Path(font_manager.findfont(font_manager.FontProperties(family="IPAexGothic")))
    assert path == Path(matplotlib_fontja.get_font_ttf_path())  # inside site-packages
    assert path.name == "ipaexg.ttf" and path.stat().st_size > 1_000_000


def test_a_font_that_cannot_load_is_logged(monkeypatch, caplog) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib_fontja", None)  # as if not installed
    with caplog.at_level(logging.ERROR, logger="renkei.dataset.stats"):
        japanese_font()
    assert "matplotlib-fontja could not load its font" in caplog.text


def test_people_csv_names_sectors_categories_and_months_in_reading_order(tmp_path: Path):
    counts = COUNTS.filter(~pl.col("value").is_in(MONTHS[2:]))
    (path,) = write_tables({"counts": counts}, tmp_path)
    assert path.read_bytes().decode("utf-8-sig").split("\r\n") == [
        "集計軸,値,件数",
        "月,2025-11,1", "月,2025-12,2",
        "区分,産,2", "区分,学,5", "区分,金,3", "区分,官,1",
        "都道府県,鳥取県,6", "都道府県,広島県,7", "都道府県,山口県,4",
        "種別,イベント・セミナー,6", "種別,公募・助成,5", "種別,お知らせ・成果,4",
        "種別,成功事例,3", "種別,人材育成・研修,2", "種別,その他,1",
        "",
    ]  # fmt: skip


def months_from(year: int, month: int, n: int) -> list[str]:
    return [f"{year + (month - 1 + i) // 12}-{(month - 1 + i) % 12 + 1:02d}" for i in range(n)]


def drawn_ticks(dimension: str, values: list[str]) -> tuple[list[str], list[tuple[float, ...]]]:
    """The tick labels of one chart as drawn, and their boxes after fig.canvas.draw()."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = pl.DataFrame({"dimension": [dimension] * len(values), "value": values,
                           "activities": [3] * len(values)})  # fmt: skip
    rows = chart_rows(counts, dimension)
    family = japanese_font()
    with plt.rc_context({"font.family": family, "font.size": 13, "axes.titlesize": 15}):
        fig = draw_chart(plt, rows, ("t", "x", "件数"), horizontal=dimension != "month")
    try:
        fig.canvas.draw()
        ax = fig.axes[0]
        labels = ax.get_xticklabels() if dimension == "month" else ax.get_yticklabels()
        shown = [t for t in labels if t.get_text()]
        return [t.get_text() for t in labels], [tuple(t.get_window_extent().bounds) for t in shown]
    finally:
        plt.close(fig)


def _intersect(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def test_the_demo_months_are_short_labels_with_the_year_once_and_none_overlap() -> None:
    ticks, boxes = drawn_ticks("month", ["2026-10", "2026-11", "2026-12", "2027-01"])
    assert ticks == ["10月\n2026年", "11月", "12月", "1月\n2027年"]
    assert len(boxes) == 4
    assert [(i, j) for i in range(4) for j in range(i + 1, 4)
            if _intersect(boxes[i], boxes[j])] == []  # fmt: skip


@pytest.mark.parametrize("n", [1, 2, 6, 7, 8, 12, 14, 24, 36])
def test_no_two_month_labels_overlap_whatever_the_span(n: int) -> None:
    ticks, boxes = drawn_ticks("month", months_from(2026, 10, n))
    assert len(ticks) == n and ticks[0] == "10月\n2026年"
    pairs = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :]]
    assert [pair for pair in pairs if _intersect(*pair)] == []


def test_names_of_the_horizontal_charts_do_not_overlap() -> None:
    _, boxes = drawn_ticks("prefecture", ["鳥取県", "島根県", "岡山県", "広島県", "山口県"])
    assert len(boxes) == 5
    assert [i for i in range(4) if _intersect(boxes[i], boxes[i + 1])] == []


def test_month_ticks_thin_the_labels_and_repeat_the_year_where_it_changes() -> None:
    labels = ["2026年11月", "2026年12月", "2027年1月", "2027年2月", "2027年3月"]
    assert month_ticks(labels, 1) == ["11月\n2026年", "12月", "1月\n2027年", "2月", "3月"]
    assert month_ticks(labels, 2) == ["11月\n2026年", "", "1月\n2027年", "", "3月"]
    assert month_ticks(labels, 3) == ["11月\n2026年", "", "", "2月\n2027年", ""]
    assert month_ticks(["2026-11", "2026-12"], 1) == ["2026-11", "2026-12"]  # English codes


def test_a_caption_gives_the_months_covered_the_total_and_the_largest_bar() -> None:
    months = [("2026年10月", 6), ("2026年11月", 11), ("2026年12月", 14), ("2027年1月", 10)]
    assert caption_text(months, months) == (
        "2026年10月〜2027年1月の計41件。最多は2026年12月（14件）。"
    )
    assert caption_text(months, [("産", 1), ("学", 2), ("金", 2)]) == (
        "2026年10月〜2027年1月の計5件。最多は学と金（各2件）。"
    )
    assert (
        caption_text(months, [("産", 2), ("学", 2), ("金", 2)]) == "2026年10月〜2027年1月の計6件。"
    )
    assert caption_text(months, [("産", 1), ("学", 1), ("金", 1), ("官", 2)]) == (
        "2026年10月〜2027年1月の計5件。最多は官（2件）。"
    )
    tie = [("イベント・セミナー", 14), ("公募・助成", 14), ("成功事例", 5)]  # names with ・
    assert caption_text(months, tie) == (
        "2026年10月〜2027年1月の計33件。最多はイベント・セミナーと公募・助成（各14件）。"
    )
    assert caption_text([("2026年11月", 3)], [("学", 3)]) == "2026年11月の計3件。"
    assert caption_text([], []) == "データなし"


def test_each_chart_carries_its_caption(tmp_path: Path) -> None:
    charts(tmp_path)
    captions = {p.name: read_caption(p) for p in sorted(tmp_path.glob("chart_*.png"))}
    assert captions == {
        "chart_category.png": "2025年11月〜2026年12月の計21件。最多はイベント・セミナー（6件）。",
        "chart_month.png": "2025年11月〜2026年12月の計105件。最多は2026年12月（14件）。",
        "chart_prefecture.png": "2025年11月〜2026年12月の計17件。最多は広島県（7件）。",
        "chart_sector.png": "2025年11月〜2026年12月の計11件。最多は学（5件）。",
    }
