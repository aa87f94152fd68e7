"""`renkei bounces process` against a real IMAP server (Dovecot on loopback): every fixture
recorded as classified, the rules applied, a second run changes nothing, and the next send
skips the suppressed addresses and says why."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest
from bounce_support import (
    EXPECTED,
    FIXTURES,
    bounce_env,
    bounce_folder,
    contact_states,
    deliver_fixtures,
    events,
)
from conftest import renkei_cli
from delivery_support import approve_issue
from imap_support import Dovecot, running_dovecot

from renkei import pipeline
from renkei.delivery.bounce_rules import list_suppressed
from renkei.status import read_status


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def mailbox(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Dovecot:
    dovecot.clear()
    for key, value in bounce_env(dovecot).items():
        monkeypatch.setenv(key, value)
    return dovecot


def _key(row: dict[str, str]) -> str:
    data = (FIXTURES / row["file"]).read_bytes()
    return str(message_from_bytes(data)["Message-ID"]).strip()


def test_every_message_is_recorded_once_as_classified_and_rules_apply(
    mailbox: Dovecot, tmp_path: Path
) -> None:
    settings = bounce_folder(tmp_path / "work", mailbox)
    deliver_fixtures(mailbox)
    config = str(settings.source)

    ran = renkei_cli("bounces", "process", "--config", config)
    assert ran.returncode == 0, ran.stderr
    recorded = events(settings)
    assert len(recorded) == len({_key(r) for r in EXPECTED}) == len(EXPECTED) - 1  # 35 = 01
    for row in EXPECTED:
        kind, recipient, issue_id, matched_by, status, _ = recorded[_key(row)]
        assert kind == row["kind"], row["file"]
        assert (status or "") == row["status"], row["file"]
        if row["kind"] in ("hard", "soft", "delayed", "complaint"):
            assert (recipient or "", issue_id or "", matched_by) == (
                row["recipient"],
                row["issue_id"],
                row["matched_by"],
            ), row["file"]
    # processed messages left the inbox only after they were recorded
    assert mailbox.count("INBOX") == 0
    assert mailbox.count("renkei-processed") == len(EXPECTED)

    states = {email: status for email, (status, _) in contact_states(settings).items()}
    assert states == {
        "renkei@member00.example.jp": "bounced",  # hard 5.1.1
        "tanaka@member00.example.jp": "bounced",  # 3 soft of the last 5
        "renkei@member01.example.jp": "unsubscribed",  # complaint
        "renkei@member02.example.jp": "subscribed",  # 2 soft + a delay: under the threshold
        "renkei@member03.example.jp": "bounced",  # Exim / qmail / DSN
        "renkei@member04.example.jp": "bounced",  # Japanese carrier text
        "renkei@member05.example.jp": "subscribed",  # autoreplies, a delay, a human
        "renkei@member06.example.jp": "bounced",  # Office 365 by Message-ID
        "renkei@member07.example.jp": "bounced",  # Gmail
    }
    reasons = {r["email"]: r for r in list_suppressed(settings).iter_rows(named=True)}
    assert "5.1.1" in reasons["renkei@member00.example.jp"]["reason"]
    assert reasons["tanaka@member00.example.jp"]["reason"].startswith(
        "直近5通のうち3通が届かず：一時的な不達（"
    )
    assert reasons["renkei@member01.example.jp"]["suppression"] == "complaint"

    # a second run (and the same messages delivered again) changes nothing
    before = (recorded, contact_states(settings))
    deliver_fixtures(mailbox)
    again = renkei_cli("bounces", "process", "--config", config)
    assert again.returncode == 0, again.stderr
    assert "0 addresses suppressed" in again.stdout
    assert (events(settings), contact_states(settings)) == before

    # status: members no bulletin reaches
    unreachable = read_status(settings).unreachable["member_id"].to_list()
    assert unreachable == ["aca-00", "aca-01", "aca-03", "aca-04", "aca-06", "aca-07"]
    shown = renkei_cli("status", "--config", config).stdout
    assert "members no bulletin reaches (every contact bounced or complained): 6" in shown

    # per issue: delivered / bounced hard / soft / complaints
    per_issue = renkei_cli("deliveries", "2026-11", "--config", config).stdout
    assert "bounced afterwards: 5 hard, 2 soft, 1 complaints" in per_issue

    # the next send skips them and says how many and why
    approve_issue(settings, "2026-12")
    report = pipeline.send(settings, "2026-12")
    assert report.sent == 2
    assert report.suppressed == {"bounced": 6, "complaint": 1}
    assert "7 suppressed addresses skipped (6 bounced, 1 complaint)" in report.summary()

    # restore: audited; a complaint is not undone
    ok = renkei_cli(
        "bounces", "restore", "renkei@member07.example.jp", "--by", "山田", "--config", config
    )
    assert ok.returncode == 0 and "restored renkei@member07.example.jp" in ok.stdout
    refused = renkei_cli(
        "bounces", "restore", "renkei@member01.example.jp", "--by", "山田", "--config", config
    )
    assert refused.returncode != 0 and "complaint" in refused.stderr
    listed = renkei_cli("bounces", "list", "--config", config)
    assert "renkei@member07.example.jp" not in listed.stdout
    assert "6 suppressed addresses" in listed.stderr


def test_without_a_processed_folder_messages_are_only_marked_seen(
    mailbox: Dovecot, tmp_path: Path
) -> None:
    settings = bounce_folder(tmp_path / "work", mailbox)
    config = settings.source
    config.write_text(config.read_text("utf-8") + 'processed_folder = ""\n', encoding="utf-8")
    deliver_fixtures(mailbox)
    first = renkei_cli("bounces", "process", "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert mailbox.count("INBOX") == len(EXPECTED)
    second = renkei_cli("bounces", "process", "--config", str(config))
    assert "bounces: 0 read (nothing new)" in second.stdout
