"""`--resend-failed` sends exactly the failed deliveries again, 5xx included (an admin
checked the address), with the same Message-ID, audited; with `--resend-unknown` too, both
kinds; never to anyone else, never to a contact who unsubscribed."""

from __future__ import annotations

import json
from collections import Counter

from conftest import renkei_cli
from delivery_support import (
    ISSUE_ID,
    ScriptedServer,
    approve_issue,
    delivery_rows,
    registry_rows,
    smtp_env,
    with_smtp,
)
from fault_smtp import FaultServer, read_log

from renkei import pipeline
from renkei.delivery.message import message_id
from renkei.delivery.send import send_issue
from renkei.delivery.subscribers import remove_subscriber
from warehouse.connection import open_warehouse

FIRST, SECOND, THIRD = (
    "renkei@member00.example.jp",
    "tanaka@member00.example.jp",
    "renkei@member01.example.jp",
)
REFUSED = "550 5.1.1 User unknown"


def send_audits(settings) -> list[dict]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT detail FROM audit_log WHERE action = 'send' ORDER BY audit_id"
        ).fetchall()
    return [json.loads(detail) for (detail,) in rows]


def contact_status(settings, email: str) -> str:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        (status,) = con.execute(
            "SELECT status FROM contacts WHERE email = $e", {"e": email}
        ).fetchone()
    return status


def test_a_5xx_failure_is_sent_again_only_when_asked_with_the_same_message_id(
    settings_for,
) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    with ScriptedServer() as server:
        server.rcpt_script[SECOND] = [REFUSED]
        smtp = with_smtp(settings, server.port)
        first = send_issue(smtp, ISSUE_ID)
        assert first.summary() == f"issue {ISSUE_ID}: 2 sent, 0 already had it, 1 failed"
        assert contact_status(settings, SECOND) == "bounced"  # 550 to RCPT
        assert pipeline.send(smtp, ISSUE_ID).already_sent  # a plain rerun: nothing
        assert server.rcpt_seen == [FIRST, SECOND, THIRD]

        again = send_issue(smtp, ISSUE_ID, resend_failed=True)
        assert again.summary() == f"issue {ISSUE_ID}: 1 sent, 2 already had it, 0 failed"
        assert server.rcpt_seen == [FIRST, SECOND, THIRD, SECOND]
        (resent,) = [m for m in server.parsed() if m["To"].addresses[0].addr_spec == SECOND]
        assert resent["Message-ID"] == message_id(ISSUE_ID, SECOND, settings.issuer)
        assert send_issue(smtp, ISSUE_ID, resend_failed=True).sent == 0  # none failed now
    assert delivery_rows(settings) == dict.fromkeys([FIRST, SECOND, THIRD], "sent")
    audits = send_audits(settings)
    assert [(a["sent"], a["resend_failed"], a.get("resent")) for a in audits] == [
        (2, False, None),
        (1, True, [SECOND]),
        (0, True, []),
    ]
    assert contact_status(settings, SECOND) == "bounced"  # re-subscribing is a person's call


def test_unknown_and_failed_together_and_each_alone(settings_for, tmp_path) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    log = tmp_path / "server.jsonl"
    plan = {FIRST: ["drop-after-body-kept"], THIRD: ["554-end"]}
    with FaultServer(plan, log) as server:
        smtp = with_smtp(settings, server.port)
        send_issue(smtp, ISSUE_ID)
        assert delivery_rows(settings) == {FIRST: "unknown", SECOND: "sent", THIRD: "failed"}

        only_failed = send_issue(smtp, ISSUE_ID, resend_failed=True)
        assert (only_failed.sent, only_failed.unknown_before) == (1, 1)
        assert only_failed.summary().endswith(
            f"; 1 unknown from an earlier run, not resent (`renkei deliveries {ISSUE_ID}` "
            f"lists them; `renkei send {ISSUE_ID} --resend-unknown` resends them)"
        )
        both = send_issue(smtp, ISSUE_ID, resend_unknown=True, resend_failed=True)
        assert (both.sent, both.skipped, both.unknown_before) == (1, 2, 0)
    stored = [e for e in read_log(log) if e["event"] == "stored"]
    assert Counter(e["rcpt"] for e in stored) == Counter({FIRST: 2, SECOND: 1, THIRD: 1})
    first_ids = {e["message_id"] for e in stored if e["rcpt"] == FIRST}
    assert first_ids == {message_id(ISSUE_ID, FIRST, settings.issuer)}  # both copies
    assert delivery_rows(settings) == dict.fromkeys([FIRST, SECOND, THIRD], "sent")
    assert [a.get("resent") for a in send_audits(settings)] == [None, [THIRD], [FIRST]]


def test_an_unsubscribed_contact_is_never_sent_again(settings_for) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    with ScriptedServer() as server:
        server.rcpt_script[SECOND] = [REFUSED]
        smtp = with_smtp(settings, server.port)
        send_issue(smtp, ISSUE_ID)
        assert remove_subscriber(settings, SECOND)
        again = send_issue(smtp, ISSUE_ID, resend_failed=True)
        assert (again.sent, again.failed) == (0, [])
        assert server.rcpt_seen == [FIRST, SECOND, THIRD]
    assert delivery_rows(settings)[SECOND] == "failed"


def test_the_cli_option(settings_for, workdir, monkeypatch) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    with ScriptedServer() as server:
        server.rcpt_script[SECOND] = [REFUSED]
        for key, value in smtp_env(server.port).items():
            monkeypatch.setenv(key, value)
        first = renkei_cli("send", ISSUE_ID, cwd=workdir)
        assert first.returncode == 1
        assert f"  failed: {SECOND}: {REFUSED}" in first.stdout.splitlines()
        resent = renkei_cli("send", ISSUE_ID, "--resend-failed", cwd=workdir)
        assert resent.returncode == 0, resent.stderr
        assert resent.stdout.splitlines()[-1] == (
            f"issue {ISSUE_ID}: 1 sent, 2 already had it, 0 failed"
        )
        assert server.rcpt_seen == [FIRST, SECOND, THIRD, SECOND]
    assert delivery_rows(settings) == dict.fromkeys([FIRST, SECOND, THIRD], "sent")
