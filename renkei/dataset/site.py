"""index.html: a small Japanese page listing the downloads (with sizes) and the charts."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from renkei.dataset import stats
from renkei.newsletter.phrasing import phrases

PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:1em auto;padding:0 1em;color:#222;
line-height:1.6}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}
td.size{text-align:right;white-space:nowrap}h1,h2,.phrases{word-break:keep-all;overflow-wrap:anywhere}
#charts{display:flex;flex-wrap:wrap;gap:0 2em}figure{margin:1em 0;width:440px;max-width:100%}
img{max-width:100%;height:auto}img.chart{width:100%}
@media (max-width:600px){h1{font-size:1.5em}#downloads thead{display:none}
#downloads tr{display:flex;flex-wrap:wrap;border-bottom:1px solid #ccc;padding:.3em 0}
#downloads td{border:0;padding:0 .3em}#downloads td.label{order:3;flex-basis:100%}
#downloads td.size{order:2;margin-left:auto}}</style></head>
<body>
<h1>{{ title|phrases }}</h1>
<p>{{ "会員機関の活動を水平展開のためにオープンデータとして公開しています。"|phrases }}
<br><span class="phrases">ライセンス：</span>
<a href="https://creativecommons.org/licenses/by/4.0/deed.ja">CC BY 4.0</a><br>
{{ ("出典：" ~ publisher)|phrases }}<br>
<span class="phrases">版：</span>{{ version }}</p>
<h2>ダウンロード</h2>
<table id="downloads"><thead><tr><th>ファイル</th><th>内容</th><th>サイズ</th></tr></thead>
<tbody>
{% for d in downloads %}<tr><td><a class="download" href="{{ d.href }}">{{ d.name }}</a></td>
<td class="label">{{ d.label|phrases }}</td><td class="size">{{ d.size }}</td></tr>
{% endfor %}</tbody></table>
{% if snapshots %}<h2>号ごとの固定版</h2><ul id="snapshots">
{% for s in snapshots %}<li><a href="{{ s }}/datapackage.json">{{ s }}</a></li>{% endfor %}
</ul>{% endif %}
<p><a id="archive" href="issues/index.html">メルマガのバックナンバー</a></p>
<h2>統計</h2>
<p>{{ "各機関の取り組みを紹介するための集計です"|phrases }}
{{- "（優良事例の共有を目的としています）。"|phrases }}</p>
<div id="charts">
{% for c in charts %}<figure><img class="chart" src="{{ c.href }}" alt="{{ c.alt }}">
<figcaption>{{ c.caption|phrases }}</figcaption></figure>
{% endfor %}</div>
<h2>連携につながったか</h2>
{% if consultations %}
<p>{{ "会報などからの相談と、事務局の紹介のその後（件数のみ）。"|phrases }}</p>
<table id="consultations"><thead><tr>
{%- for h in consultations[0] %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{%- for row in consultations %}<tr>
{%- for v in row.values() %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>
{% else %}<p>{{ "まだ相談の件数はありません。"|phrases }}</p>{% endif %}
</body></html>
"""

LABELS = {
    "activities.csv": "活動一覧（CSV・Excel用 BOM付きUTF-8）",
    "activities.parquet": "活動一覧（Parquet）",
    "activities.json": "活動一覧（JSON）",
    "members.csv": "会員機関（公開項目のみ）",
    "events.csv": "イベント一覧（推奨データセット形式）",
    "events.ics": "行事カレンダー（iCalendar）",
    "activities.atom": "新着活動フィード（Atom）",
    "datapackage.json": "データパッケージ（項目定義）",
    "stats_counts.csv": "集計: 区分・都道府県・種別・月別の件数",
    "stats_members.csv": "集計: 機関ごとの報告状況",
    "stats_collaboration.csv": "集計: 区分・県をまたぐ連携",
    "stats_consultations.csv": "集計: 相談・紹介・面談・連携の件数（四半期・区分の組合せ別）",
    "needs_seeds.csv": "技術ニーズ・シーズ（掲載中のもの。匿名の投稿は機関名・区分・県なし）",
    "issues.atom": "メルマガ各号のフィード（Atom）",
}
CHART_ALT = {
    "chart_month.png": "月別の活動件数",
    "chart_sector.png": "区分（産学金官）別の活動件数",
    "chart_prefecture.png": "都道府県別の活動件数",
    "chart_category.png": "種別ごとの活動件数",
}


def human_size(size: int) -> str:
    """Bytes as people read them: 512 B, 12.3 KB, 4.5 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def phrase_html(text: str) -> Markup:
    """Text that wraps only between its phrases (BudouX): <wbr> between them inside a
    keep-all span, so a phone never splits 会場 or leaves 「組）」 alone; no U+200B goes
    into a published file (a reader copying the text gets it clean)."""
    parts = phrases(text)  # digit runs are never split (2026 stays whole)
    if not parts:
        return Markup("")
    inner = Markup("<wbr>").join(escape(part) for part in parts)
    return Markup('<span class="phrases">') + inner + Markup("</span>")


def breakable_name(name: str) -> Markup:
    """A file name that a narrow screen may wrap after '_' and before '.', nowhere else."""
    parts = re.split(r"(?<=_)|(?=\.)", name)
    return Markup("<wbr>").join(escape(part) for part in parts)


def chart_entry(folder: Path, path: Path) -> dict[str, str]:
    """A chart's link, caption and alternative text, the latter listing what it shows
    (stats.read_chart: the labels and counts the chart was drawn with). The caption says
    what the title drawn in the image does not: months covered, total, largest bar."""
    shown = stats.read_chart(path)
    return {"href": path.relative_to(folder).as_posix(), "title": CHART_ALT[path.name],
            "alt": shown.alt, "caption": stats.read_caption(path)}  # fmt: skip


def render_index(
    folder: Path, files: list[Path], *, title: str, publisher: str, version: str,
    snapshots: list[str],
) -> str:  # fmt: skip
    """The page for the files already written to ``folder``."""
    downloads = [
        {"href": p.relative_to(folder).as_posix(), "label": LABELS.get(p.name, p.name),
         "name": breakable_name(p.relative_to(folder).as_posix()),
         "size": human_size(p.stat().st_size)}
        for p in files if p.name in LABELS
    ]  # fmt: skip
    charts = [chart_entry(folder, p) for p in files if p.name in CHART_ALT]
    counts = folder / "stats_consultations.csv"
    consultations = []
    if counts.is_file():
        with counts.open(encoding="utf-8-sig", newline="") as handle:
            consultations = list(csv.DictReader(handle))
    env = Environment(autoescape=select_autoescape(default=True))
    env.filters["phrases"] = phrase_html
    return env.from_string(PAGE).render(
        title=title, publisher=publisher, version=version, downloads=downloads,
        charts=charts, snapshots=snapshots, consultations=consultations,
    )  # fmt: skip
