"""index.html: a small Japanese page listing the downloads (with sizes) and the charts."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, select_autoescape

PAGE = """<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>body{font-family:sans-serif;max-width:960px;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}
td.size{text-align:right}img{max-width:100%;height:auto}</style></head>
<body>
<h1>{{ title }}</h1>
<p>会員機関の活動を水平展開のためにオープンデータとして公開しています。
ライセンス: <a href="https://creativecommons.org/licenses/by/4.0/deed.ja">CC BY 4.0</a>
（出典: {{ publisher }}）。版: {{ version }}</p>
<h2>ダウンロード</h2>
<table id="downloads"><thead><tr><th>ファイル</th><th>内容</th><th>サイズ</th></tr></thead>
<tbody>
{% for d in downloads %}<tr><td><a class="download" href="{{ d.href }}">{{ d.href }}</a></td>
<td>{{ d.label }}</td><td class="size">{{ d.size }}</td></tr>
{% endfor %}</tbody></table>
{% if snapshots %}<h2>号ごとの固定版</h2><ul id="snapshots">
{% for s in snapshots %}<li><a href="{{ s }}/datapackage.json">{{ s }}</a></li>{% endfor %}
</ul>{% endif %}
<p><a id="archive" href="issues/index.html">メルマガのバックナンバー</a></p>
<h2>統計</h2>
<p>各機関の取り組みを紹介するための集計です（優良事例の共有を目的としています）。</p>
{% for c in charts %}<figure><img class="chart" src="{{ c.href }}" alt="{{ c.alt }}">
<figcaption>{{ c.alt }}</figcaption></figure>
{% endfor %}
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


def render_index(
    folder: Path, files: list[Path], *, title: str, publisher: str, version: str,
    snapshots: list[str],
) -> str:  # fmt: skip
    """The page for the files already written to ``folder``."""
    downloads = [
        {"href": p.relative_to(folder).as_posix(), "label": LABELS.get(p.name, p.name),
         "size": human_size(p.stat().st_size)}
        for p in files if p.name in LABELS
    ]  # fmt: skip
    charts = [
        {"href": p.relative_to(folder).as_posix(), "alt": CHART_ALT[p.name]}
        for p in files
        if p.name in CHART_ALT
    ]
    env = Environment(autoescape=select_autoescape(default=True))
    return env.from_string(PAGE).render(
        title=title, publisher=publisher, version=version, downloads=downloads,
        charts=charts, snapshots=snapshots,
    )  # fmt: skip
