"""A small warehouse for the dataset tests: fixture registry, activities, one sent issue."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from renkei import pipeline
from renkei.core.settings import Settings, load_settings
from warehouse.connection import open_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "dataset"
JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=JST)
# A sent bulletin as stored: per-recipient markers, an activity naming a registry address.
ISSUE_HTML = (
    "<html><body><p>%%RECIPIENT_NAME%% 様</p><p>申込: renkei@tottori-u.example.jp</p>"
    '<p><a href="%%UNSUBSCRIBE_URL%%">配信停止</a></p></body></html>'
)


def registry_emails() -> list[str]:
    """Every contact address in the fixture registry, as written there."""
    text = (FIXTURES / "members.csv").read_text("utf-8")
    return re.findall(r"[\w.+-]+@[\w.-]+", text)


def load_dataset_warehouse(workdir: Path, *, sent_issue: str | None = "2026-11") -> Settings:
    (workdir / "members.csv").write_bytes((FIXTURES / "members.csv").read_bytes())
    settings = load_settings(workdir / "renkei.toml")
    pipeline.sync_registry(settings)
    with open_warehouse(settings.warehouse) as con:
        con.execute(
            "INSERT INTO activities BY NAME SELECT * FROM read_csv($p, header=true, "
            "types={'starts_at':'TIMESTAMPTZ','ends_at':'TIMESTAMPTZ',"
            "'published_at':'TIMESTAMPTZ','deadline_at':'TIMESTAMPTZ',"
            "'first_seen_at':'TIMESTAMPTZ','updated_at':'TIMESTAMPTZ'})",
            {"p": str(FIXTURES / "activities.csv")},
        )
        con.execute(
            "INSERT INTO activity_organisers BY NAME SELECT * FROM read_csv($p, header=true)",
            {"p": str(FIXTURES / "organisers.csv")},
        )
        if sent_issue:
            con.execute(
                "INSERT INTO newsletter_issues (issue_id, number, period_start, period_end, "
                "status, subject, html, text, content_sha256, item_count, created_at, "
                "updated_at, sent_at) VALUES ($id, 1, DATE '2026-11-01', DATE '2026-11-30', "
                "'sent', '第1号', $html, 'x', 'sha', 3, $t, $t, $t)",
                {"id": sent_issue, "t": NOW, "html": ISSUE_HTML},
            )
    return settings
