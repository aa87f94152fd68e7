"""What the SMTP server answers decides each delivery: 4xx retried, 5xx failed, outages pause."""

from __future__ import annotations

import pytest
from delivery_support import (
    ISSUE_ID,
    ScriptedServer,
    approve_issue,
    delivery_rows,
    free_port,
    registry_rows,
    with_smtp,
)

from renkei import pipeline
from renkei.core.errors import ApprovalError
from renkei.delivery.report import delivery_report
from renkei.delivery.send import DeliveryPaused
from warehouse.connection import open_warehouse

ADDRESSES = [
    "renkei@member00.example.jp",
    "renkei@member01.example.jp",
    "renkei@member02.example.jp",
    "tanaka@member00.example.jp",
]


def issue_status(settings) -> str:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.execute("SELECT status FROM newsletter_issues").fetchall()[0][0]


def test_451_is_retried_and_delivered_once(settings_for) -> None:
    settings = settings_for(registry_rows(3))
    approve_issue(settings)
    with ScriptedServer() as server:
        server.rcpt_script["renkei@member01.example.jp"] = [
            "451 4.7.1 Greylisted, try again later",
            "451 4.7.1 Greylisted, try again later",
        ]
        report = pipeline.send(with_smtp(settings, server.port, retry_limit=3), ISSUE_ID)
    assert report.summary() == f"issue {ISSUE_ID}: 4 sent, 0 already had it, 0 failed"
    assert server.rcpt_seen.count("renkei@member01.example.jp") == 3
    assert sorted(r[0] for r, _ in server.messages) == ADDRESSES  # each exactly once
    assert delivery_rows(settings) == dict.fromkeys(ADDRESSES, "sent")
    assert issue_status(settings) == "sent"


def test_451_beyond_the_retry_limit_fails_and_is_retried_by_the_next_run(settings_for) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    with ScriptedServer() as server:
        server.rcpt_script["renkei@member01.example.jp"] = ["451 4.3.0 Busy"] * 3
        first = pipeline.send(with_smtp(settings, server.port, retry_limit=1), ISSUE_ID)
        assert first.failed == ["renkei@member01.example.jp: 451 4.3.0 Busy (after 2 tries)"]
        assert issue_status(settings) == "approved"  # not reported as sent
        again = pipeline.send(with_smtp(settings, server.port, retry_limit=1), ISSUE_ID)
    assert again.summary() == f"issue {ISSUE_ID}: 1 sent, 2 already had it, 0 failed"
    assert sorted(r[0] for r, _ in server.messages) == sorted(ADDRESSES[:2] + ADDRESSES[3:])
    assert issue_status(settings) == "sent"


def test_550_for_one_recipient_fails_it_and_the_others_are_sent(settings_for) -> None:
    settings = settings_for(registry_rows(3))
    approve_issue(settings)
    with ScriptedServer() as server:
        server.rcpt_script["renkei@member01.example.jp"] = ["550 5.1.1 No such user here"]
        report = pipeline.send(with_smtp(settings, server.port), ISSUE_ID)
    assert report.failed == ["renkei@member01.example.jp: 550 5.1.1 No such user here"]
    assert report.sent == 3
    assert sorted(r[0] for r, _ in server.messages) == [
        a for a in ADDRESSES if a != "renkei@member01.example.jp"
    ]
    assert delivery_rows(settings)["renkei@member01.example.jp"] == "failed"
    shown = delivery_report(settings, ISSUE_ID)
    assert shown.summary() == (
        f"issue {ISSUE_ID}: 3 sent, 1 failed, 0 unknown, 0 in progress or interrupted"
    )
    assert [(r["recipient"], r["smtp_code"], r["detail"]) for r in shown.failures] == [
        ("renkei@member01.example.jp", 550, "550 5.1.1 No such user here")
    ]
    with open_warehouse(settings.warehouse, read_only=True) as con:
        status = con.execute(
            "SELECT status FROM contacts WHERE email = 'renkei@member01.example.jp'"
        ).fetchall()
    assert status == [("bounced",)]  # never sent to again
    assert issue_status(settings) == "sent"  # everyone else has it; the 550 is final


def test_repeated_connection_failures_pause_the_run_and_nothing_is_marked_sent(
    settings_for,
) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    closed_port = free_port()  # nothing listens here
    with pytest.raises(DeliveryPaused, match="3 connection failures in a row"):
        pipeline.send(with_smtp(settings, closed_port, max_connection_failures=3), ISSUE_ID)
    assert issue_status(settings) == "approved"
    assert set(delivery_rows(settings).values()) == {"failed"}
    with ScriptedServer() as server:  # the server is back: the next run sends everything
        report = pipeline.send(with_smtp(settings, server.port), ISSUE_ID)
    assert report.summary() == f"issue {ISSUE_ID}: 3 sent, 0 already had it, 0 failed"
    assert len(server.messages) == 3


def test_deliveries_of_an_issue_that_does_not_exist_says_so(settings_for) -> None:
    settings = settings_for(registry_rows(3))
    approve_issue(settings)
    with pytest.raises(
        ApprovalError, match=r"^issue 2099-01: no such issue \(see `renkei status`\)$"
    ):
        delivery_report(settings, "2099-01")
