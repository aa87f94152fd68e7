"""Helpers for the bounce tests: a working folder whose deliveries of three issues the
fixture bounces answer, pointed at the Dovecot test server."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import write_registry
from delivery_support import approve_issue, registry_rows
from imap_support import PASSWORD, Dovecot

from renkei import pipeline
from renkei.core.settings import Settings, load_settings
from renkei.scaffold import init_folder
from warehouse.connection import open_warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "bounces"
SECRET = "bounce-fixture-secret-0123456789abcdef"  # the fixtures' tokens are signed with it
ISSUES = ("2026-09", "2026-10", "2026-11")
EXPECTED = list(csv.DictReader((FIXTURES / "expected.csv").open(encoding="utf-8")))


def bounce_env(dovecot: Dovecot) -> dict[str, str]:
    return {"RENKEI_IMAP_PASSWORD": PASSWORD, "RENKEI_UNSUBSCRIBE_SECRET": SECRET}


def bounce_folder(folder: Path, dovecot: Dovecot) -> Settings:
    """`renkei init` + 8 members (9 contacts), [bounces] on the test server, and the three
    issues sent (outbox) to every contact."""
    init_folder(folder)
    config = folder / "renkei.toml"
    config.write_text(
        config.read_text("utf-8")
        + '\n[bounces]\nenabled = true\nbounce_domain = "bounce.example.jp"\n'
        + f'imap_host = "127.0.0.1"\nimap_port = {dovecot.port}\nimap_security = "none"\n'
        + 'imap_user = "bounce"\nbatch_size = 7\n',
        encoding="utf-8",
    )
    write_registry(folder, registry_rows(8))
    settings = load_settings(config)
    for issue in ISSUES:
        approve_issue(settings, issue)
        pipeline.send(settings, issue)
    return settings


def deliver_fixtures(dovecot: Dovecot) -> None:
    for row in EXPECTED:
        dovecot.deliver((FIXTURES / row["file"]).read_bytes(), row["file"][:2])


def events(settings: Settings) -> dict[str, tuple]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT event_key, kind, recipient, issue_id, matched_by, status_code, action "
            "FROM bounce_events"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def contact_states(settings: Settings) -> dict[str, tuple]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = con.execute("SELECT email, status, suppressed_reason FROM contacts").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}
