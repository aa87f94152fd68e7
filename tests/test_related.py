"""Related activities across sectors: the measured threshold, the ranking rule, the
warehouse table (recompute replaces), the open-data table and the bulletin's one line."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from dataset_support import NOW, load_dataset_warehouse
from frictionless import validate
from newsletter_samples import sample_issue

from renkei.dataset import publish_release
from renkei.newsletter.model import Related
from renkei.newsletter.render import render_issue
from renkei.normalize.related import replace_related
from renkei.scaffold import init_folder
from transforms.related import RELATED_INPUT_SCHEMA, THRESHOLD, pair_similarities, relate
from warehouse.connection import open_warehouse

PAIRS = Path(__file__).parent / "fixtures" / "related" / "pairs.csv"


def test_labelled_pairs_precision_at_the_threshold_is_measured_and_at_least_0_8() -> None:
    rows = list(csv.DictReader(PAIRS.open(encoding="utf-8", newline="")))
    labels = np.array([r["label"] == "related" for r in rows])
    assert len(rows) >= 100 and 0.4 < labels.mean() < 0.6  # balanced
    sims = pair_similarities([r["text_a"] for r in rows], [r["text_b"] for r in rows])
    predicted = sims >= THRESHOLD
    true_positive = int((predicted & labels).sum())
    precision = true_positive / int(predicted.sum())
    assert THRESHOLD == 0.11
    assert (true_positive, int(predicted.sum()), int(labels.sum())) == (42, 46, 56)
    assert precision == 42 / 46 >= 0.8  # recall 42/56 = 0.75 (bench/related.py)


def _frame(rows: list[tuple[str, str, str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(i, m, s, p, t, "") for i, m, s, p, t in rows], schema=RELATED_INPUT_SCHEMA, orient="row"
    )


HYDROGEN = "水素ステーションと燃料電池自動車の導入"
ACTIVITIES = _frame([
    ("a", "m1", "academia", "広島県", f"{HYDROGEN}セミナー"),
    ("b", "m1", "academia", "広島県", f"{HYDROGEN}研修"),  # the same member: never related
    ("c", "m2", "academia", "広島県", f"{HYDROGEN}セミナー"),  # most similar, same sector
    ("d", "m3", "industry", "山口県", f"{HYDROGEN}講演会"),  # as near, other sector
    ("e", "m4", "finance", "岡山県", f"{HYDROGEN}への融資"),
    ("f", "m5", "government", "鳥取県", f"{HYDROGEN}補助金"),
    ("g", "m6", "government", "島根県", "観光DXとインバウンド受入の事例"),  # another topic
])  # fmt: skip


def test_other_sectors_first_never_the_same_member_at_most_three() -> None:
    out = relate(ACTIVITIES)
    of_a = out.filter(pl.col("activity_id") == "a")
    assert of_a["rank"].to_list() == [1, 2, 3]
    # c and d are as near (the same words), d is of another sector: d comes first
    assert of_a["related_id"][0] == "d"
    assert "b" not in of_a["related_id"].to_list() and "g" not in of_a["related_id"].to_list()
    sims = dict(zip(of_a["related_id"], of_a["similarity"], strict=True))
    assert all(s >= THRESHOLD for s in sims.values())
    pairs = out.join(ACTIVITIES.select("activity_id", "member_id"), on="activity_id").join(
        ACTIVITIES.select(related_id="activity_id", related_member="member_id"), on="related_id"
    )
    assert (pairs["member_id"] != pairs["related_member"]).all()
    assert out.group_by("activity_id").len()["len"].max() <= 3
    assert out.filter(pl.col("activity_id") == "g").is_empty()
    # without the boosts, the same-sector twin comes first
    plain = relate(ACTIVITIES, sector_boost=0.0, prefecture_boost=0.0)
    assert plain.filter(pl.col("activity_id") == "a")["related_id"][0] == "c"


@pytest.fixture
def warehouse(tmp_path: Path):
    workdir = tmp_path / "work"
    init_folder(workdir)
    settings = load_dataset_warehouse(workdir)
    with open_warehouse(settings.warehouse) as con:
        con.execute(
            "INSERT INTO activities BY NAME SELECT 'act-h2-' || i AS activity_id, member_id, "
            "'feed' AS source, title, 'k' || i AS title_key, '' AS summary, 'news' AS category, "
            "'rule' AS category_rule, false AS all_day, 'h' || i AS content_sha256, "
            "TIMESTAMPTZ '2026-11-02 10:00:00+09' AS first_seen_at, "
            "TIMESTAMPTZ '2026-11-02 10:00:00+09' AS updated_at FROM (VALUES "
            f"(1, 'aca-01', '{HYDROGEN}の共同研究'), (2, 'ind-04', '{HYDROGEN}の商談会'), "
            f"(3, 'fin-03', '{HYDROGEN}への融資')) t(i, member_id, title)"
        )
    return settings


def test_recompute_replaces_the_table_and_the_dataset_publishes_it(warehouse) -> None:
    with open_warehouse(warehouse.warehouse) as con:
        first = replace_related(con)
        before = con.execute("SELECT * FROM related_activities ORDER BY ALL").fetchall()
        assert replace_related(con) == first == len(before) == 6
        assert con.execute("SELECT * FROM related_activities ORDER BY ALL").fetchall() == before
    publish_release(warehouse, NOW)
    report = validate(warehouse.publish_dir / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    frame = pl.read_csv(warehouse.publish_dir / "related_activities.csv")
    assert frame.columns[:4] == ["活動ID", "関連活動ID", "順位", "類似度"]
    first_row = frame.filter(pl.col("活動ID") == "act-h2-1").row(0, named=True)
    assert first_row["区分の組合せ"] in {"学×産", "学×金"}


def test_one_related_line_under_an_item_in_both_parts() -> None:
    issue = sample_issue()
    first = issue.sections[0]
    line = Related("水素ステーション導入セミナー", "広島銀行", "finance")
    items = (replace(first.items[0], related=line), *first.items[1:])
    issue = replace(issue, sections=(replace(first, items=items), *issue.sections[1:]))
    rendered = render_issue(issue)
    expected = "関連：水素ステーション導入セミナー（広島銀行、金）"
    assert rendered.html.count(expected) == 1
    unwrapped = rendered.text.replace("\n", "").replace(" ", "")  # 35-wide lines in text
    assert unwrapped.count(expected) == 1
    assert rendered.html.count("関連：") == rendered.text.count("関連：") == 1
