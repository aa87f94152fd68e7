"""The open-data page in a real browser (Debian's headless Chromium): links and charts show."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from conftest import skip_or_fail
from dataset_support import NOW, load_dataset_warehouse

from renkei.dataset import publish_release
from renkei.dataset.stats import read_chart

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--allow-file-access-from-files",
]  # fmt: skip
# After load, the page title reports how many chart images actually decoded.
PROBE = """<script>window.addEventListener('load', function () {
  var imgs = Array.from(document.querySelectorAll('img.chart'));
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.title = 'charts-loaded:' + ok + '/' + imgs.length;
});</script></body>"""


@pytest.fixture(autouse=True)
def _chromium_present() -> None:
    """Skipped without Chromium on a developer's machine; a failure under CI=true."""
    if CHROMIUM is None:
        skip_or_fail("chromium not installed (.ci/run installs Debian's chromium in CI)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM, "chromium is required in CI (.ci/run installs Debian's chromium)"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=90,
    )  # fmt: skip


def test_index_page_shows_downloads_with_sizes_and_every_chart(workdir: Path, tmp_path: Path):
    settings = load_dataset_warehouse(workdir)
    publish_release(settings, NOW)
    index = settings.publish_dir / "index.html"
    probe = settings.publish_dir / "probe.html"  # the page plus a script that checks images
    probe.write_text(index.read_text("utf-8").replace("</body>", PROBE), encoding="utf-8")

    dom = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()).stdout
    assert "<title>charts-loaded:4/4</title>" in dom
    links = re.findall(r'<a class="download" href="([^"]+)">', dom)
    assert links == [
        "activities.csv", "activities.parquet", "activities.json", "members.csv", "events.csv",
        "datapackage.json", "events.ics", "activities.atom", "stats_counts.csv",
        "stats_members.csv", "stats_collaboration.csv", "stats_consultations.csv",
        "needs_seeds.csv", "issues.atom",
    ]  # fmt: skip
    for href in links:
        assert (settings.publish_dir / href).is_file()
    sizes = re.findall(r'<td class="size">([^<]+)</td>', dom)
    assert len(sizes) == len(links) and all(re.fullmatch(r"[\d.]+ (B|KB|MB)", s) for s in sizes)
    assert "ダウンロード" in dom and "統計" in dom

    shot = tmp_path / "index.png"
    chromium(tmp_path, "--window-size=1000,2000", f"--screenshot={shot}", index.as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000


CHART_NAMES = {  # what the fixture warehouse's charts must show, in Japanese
    "chart_month.png": ("6月\n2026年", "10月", "11月", "12月\n2030年", "1月\n2031年"),
    "chart_sector.png": ("学", "金", "官"),
    "chart_prefecture.png": ("鳥取県", "島根県", "広島県"),
    "chart_category.png": ("イベント・セミナー", "公募・助成", "成功事例"),
}
ALTS = [
    "月別の活動件数の棒グラフ。2026年6月 1件、2026年10月 1件、2026年11月 1件、"
    "2030年12月 1件、2031年1月 1件。",
    "区分（産学金官）別の活動件数の棒グラフ。学 2件、金 2件、官 1件。",
    "都道府県別の活動件数の棒グラフ。鳥取県 2件、島根県 1件、広島県 2件。",
    "種別ごとの活動件数の棒グラフ。イベント・セミナー 3件、公募・助成 1件、成功事例 1件。",
]
# Latin words the page may show besides file names: formats, the licence, sizes.
LATIN_OK = {"CSV", "Excel", "BOM", "UTF-8", "Parquet", "JSON", "iCalendar", "Atom", "CC", "BY",
            "B", "KB", "MB"}  # fmt: skip
IMAGES = """imgs => imgs.map(i => [i.getAttribute('src'), i.alt,
  i.complete && i.naturalWidth > 0, i.getBoundingClientRect().width])"""
TEXTS = "es => es.map(e => e.innerText)"


def _japanese_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    japanese = [c for c in letters if "\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff"]
    return len(japanese) / len(letters)


def test_statistics_page_is_japanese_with_japanese_chart_labels(workdir: Path, tmp_path: Path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright not installed (the test extra installs it)")
    settings = load_dataset_warehouse(workdir)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from font")  # no boxes
        publish_release(settings, NOW)
    index = settings.publish_dir / "index.html"
    assert "\u200b" not in index.read_text("utf-8")  # phrases are joined by <wbr>
    assert index.read_text("utf-8").count('<span class="phrases">') >= 8  # wrap at phrases
    assert CHROMIUM
    pages = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for width in (1280, 375):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(index.as_uri(), wait_until="load")
                shot = tmp_path / f"statistics-{width}.png"
                page.screenshot(path=shot, full_page=True)
                pages[width] = {
                    "text": page.inner_text("body"),
                    "images": page.eval_on_selector_all("img.chart", IMAGES),
                    "captions": page.eval_on_selector_all("figcaption", TEXTS),
                    "headings": page.eval_on_selector_all("h2", TEXTS),
                    "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
                    "files": page.eval_on_selector_all("a.download, #snapshots a", TEXTS),
                    "shot": shot,
                }  # fmt: skip
        finally:
            browser.close()

    for width, seen in pages.items():
        assert seen["scroll_width"] <= width  # nothing wider than the screen
        assert seen["shot"].stat().st_size > 10_000
        assert [src for src, *_ in seen["images"]] == list(CHART_NAMES)
        assert [alt for _, alt, *_ in seen["images"]] == ALTS
        assert all(loaded and 0 < shown <= width for *_, loaded, shown in seen["images"])
        assert seen["captions"] == [  # what the titles drawn in the charts do not say
            "2026年6月〜2031年1月の計5件。", "2026年6月〜2031年1月の計5件。最多は学と金（各2件）。",
            "2026年6月〜2031年1月の計5件。最多は鳥取県と広島県（各2件）。",
            "2026年6月〜2031年1月の計5件。最多はイベント・セミナー（3件）。",
        ]  # fmt: skip
        assert seen["headings"] == ["ダウンロード", "号ごとの固定版", "統計", "連携につながったか"]
        text = seen["text"]
        assert f"出典：{settings.issuer.name}\n版：2026.11.30" in text  # not （出典: …（…））。
        for name in sorted(seen["files"], key=len, reverse=True):  # stats_members.csv first
            text = text.replace(name, "")
        latin = set(re.findall(r"[A-Za-z][A-Za-z0-9-]*", text))
        assert latin <= LATIN_OK, latin - LATIN_OK
        assert _japanese_share(text) > 0.8  # the other letters: the format names above
    for name, ticks in CHART_NAMES.items():  # the labels drawn, as the chart records them
        shown = read_chart(settings.publish_dir / name)
        assert shown.ticks == ticks
        assert shown.fonts == ("IPAexGothic",)
        assert (shown.count_label, shown.alt) == ("件数", ALTS[list(CHART_NAMES).index(name)])
