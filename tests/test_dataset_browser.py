"""The open-data page in a real browser (Debian's headless Chromium): links and charts show."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import skip_or_fail
from dataset_support import NOW, load_dataset_warehouse

from renkei.dataset import publish_release

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
        "stats_members.csv", "stats_collaboration.csv", "issues.atom",
    ]  # fmt: skip
    for href in links:
        assert (settings.publish_dir / href).is_file()
    sizes = re.findall(r'<td class="size">([^<]+)</td>', dom)
    assert len(sizes) == len(links) and all(re.fullmatch(r"[\d.]+ (B|KB|MB)", s) for s in sizes)
    assert "ダウンロード" in dom and "統計" in dom

    shot = tmp_path / "index.png"
    chromium(tmp_path, "--window-size=1000,2000", f"--screenshot={shot}", index.as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000
