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

from renkei.dataset.stats import ChartText, japanese_font, read_chart, write_charts, write_tables

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
    assert month.ticks == (  # 14 months: every other label, so that none overlap
        "2025年11月", "", "2026年1月", "", "2026年3月", "", "2026年5月", "",
        "2026年7月", "", "2026年9月", "", "2026年11月", "",
    )  # fmt: skip
    assert month.alt.startswith("月別の活動件数の棒グラフ。2025年11月 1件、2025年12月 2件、")
    assert month.alt.endswith("、2026年11月 13件、2026年12月 14件。")  # the alt lists all 14
    assert month.fonts == ("IPAexGothic",)


def test_every_character_drawn_is_in_the_font(tmp_path: Path) -> None:
    charmap = FT2Font(matplotlib_fontja.get_font_ttf_path()).get_charmap()
    for chart in charts(tmp_path).values():
        drawn = "".join([chart.title, chart.name_label, chart.count_label, *chart.ticks])
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
