"""Delivery states say what is known: `sent` only after the server's 250 to the end of DATA;
a connection lost before the final "." is retried; lost after it, `unknown`: listed, not
resent by a rerun, resent by `--resend-unknown` with the same Message-ID. And `send` sends
only the approved content."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from conftest import renkei_cli
from delivery_support import (
    ISSUE_ID,
    approve_issue,
    delivery_rows,
    registry_rows,
    smtp_env,
    with_smtp,
)
from fault_smtp import FaultServer, read_log

from renkei import pipeline
from renkei.core.errors import ApprovalError
from renkei.delivery.report import artifact_rows, delivery_report
from warehouse.connection import open_warehouse

WHO = "renkei@member01.example.jp"
OTHERS = ["renkei@member00.example.jp", "tanaka@member00.example.jp"]
LOST = (
    "no reply after the final '.' (SMTPServerDisconnected: Connection unexpectedly closed); "
    "the server last said '354 End data with <CR><LF>.<CR><LF>'"
)


def stored(log) -> Counter[str]:
    return Counter(e["rcpt"] for e in read_log(log) if e["event"] == "stored")


def test_reply_lost_after_the_final_dot_is_unknown_listed_and_not_resent(
    settings_for, workdir, tmp_path, monkeypatch
) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    log = tmp_path / "server.jsonl"
    with FaultServer({WHO: ["drop-after-body-kept"]}, log) as server:
        smtp = with_smtp(settings, server.port)
        report = pipeline.send(smtp, ISSUE_ID)
        assert report.summary() == (
            f"issue {ISSUE_ID}: 2 sent, 0 already had it, 0 failed, "
            "1 unknown (no reply after the final '.')"
        )
        assert report.unknown == [f"{WHO}: {LOST}"]
        assert delivery_rows(settings) == {**dict.fromkeys(OTHERS, "sent"), WHO: "unknown"}

        shown = renkei_cli("deliveries", ISSUE_ID, cwd=workdir)
        lines = shown.stdout.splitlines()
        assert (
            lines[0]
            == f"issue {ISSUE_ID}: 2 sent, 0 failed, 1 unknown, 0 in progress or interrupted"
        )
        assert re.fullmatch(
            rf"  unknown: {WHO} \(aca-01\): tried \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d JST; "
            + re.escape(LOST),
            lines[1],
        ), lines[1]
        assert len(lines) == 2
        table = artifact_rows(delivery_report(settings, ISSUE_ID))  # the send flow's artifact
        assert [r["recipient"] for r in table if r["status"] == "unknown"] == ["(1)", WHO]

        again = pipeline.send(smtp, ISSUE_ID)  # a rerun: the issue is done, the unknown stays
        assert again.summary() == (
            f"issue {ISSUE_ID}: already sent; nothing sent again; 1 unknown from an earlier run, "
            f"not resent (`renkei deliveries {ISSUE_ID}` lists them; "
            f"`renkei send {ISSUE_ID} --resend-unknown` resends them)"
        )
        assert stored(log) == Counter({WHO: 1, OTHERS[0]: 1, OTHERS[1]: 1})

        for key, value in smtp_env(server.port).items():
            monkeypatch.setenv(key, value)
        resent = renkei_cli("send", ISSUE_ID, "--resend-unknown", cwd=workdir)
    assert resent.returncode == 0, resent.stderr
    assert resent.stdout.splitlines()[-1] == f"issue {ISSUE_ID}: 1 sent, 2 already had it, 0 failed"
    assert stored(log) == Counter({WHO: 2, OTHERS[0]: 1, OTHERS[1]: 1})  # the secretariat's call
    ids = [e["message_id"] for e in read_log(log) if e["event"] == "stored" and e["rcpt"] == WHO]
    assert len(ids) == 2 and ids[0] == ids[1]  # the receiving side can tell it is the same
    assert set(delivery_rows(settings).values()) == {"sent"}


@pytest.mark.parametrize(
    ("script", "status", "copies"),
    [
        (["drop-before-dot"], "sent", 1),  # never had the ".": tried again, one copy
        (["drop-before-dot", "drop-before-dot"], "sent", 1),
        (["451-end", "451-end"], "sent", 1),  # 4xx to the end of DATA: retried
        (["554-end"], "failed", 0),  # 5xx: failed for good, nothing kept
        (["drop-after-body-lost"], "unknown", 0),  # the sender cannot know: not `sent`
    ],
)
def test_each_server_behaviour_gives_the_state_that_is_known(
    settings_for, tmp_path, script: list[str], status: str, copies: int
) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    log = tmp_path / "server.jsonl"
    with FaultServer({WHO: script}, log) as server:
        pipeline.send(with_smtp(settings, server.port), ISSUE_ID)
    assert delivery_rows(settings) == {**dict.fromkeys(OTHERS, "sent"), WHO: status}
    assert stored(log)[WHO] == copies
    replied = {e["rcpt"] for e in read_log(log) if e["event"] == "replied"}
    assert replied == set(OTHERS) | ({WHO} if status == "sent" else set())


def test_send_refuses_content_that_is_not_the_approved_content(settings_for, tmp_path) -> None:
    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    with open_warehouse(settings.warehouse) as con:  # changed behind the approval's back
        con.execute("UPDATE newsletter_issues SET html = replace(html, 'セミナー', 'ウェビナー')")
    log = tmp_path / "server.jsonl"
    with FaultServer({}, log) as server:
        with pytest.raises(ApprovalError) as refused:
            pipeline.send(with_smtp(settings, server.port), ISSUE_ID)
    assert re.fullmatch(
        rf"issue {ISSUE_ID}: the content about to be sent \(sha256 [0-9a-f]{{12}}\) is not the "
        r"approved content \(sha256 [0-9a-f]{12}\); nothing sent — review the draft and "
        r"approve it again",
        str(refused.value),
    )
    assert read_log(log) == []
    assert delivery_rows(settings) == {}
