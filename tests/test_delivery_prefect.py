"""Delivery on a real Prefect server (the session-wide ``prefect_server`` of conftest): the
SMTP password from a Secret block, and the send flow's table artifact of counts and
failures."""

from __future__ import annotations

import asyncio
import json

import pytest
from delivery_support import ISSUE_ID, ScriptedServer, approve_issue, registry_rows, with_smtp

from renkei import pipeline
from renkei.core.errors import ConfigError
from renkei.core.mail_transport import smtp_password
from renkei.core.settings import MailSettings

pytestmark = pytest.mark.prefect

PASSWORD = "block-pass-2026"


def test_password_from_a_prefect_secret_block(prefect_server, settings_for, monkeypatch) -> None:
    from prefect.blocks.system import Secret

    Secret(value=PASSWORD).save("renkei-smtp-test", overwrite=True)
    monkeypatch.setenv("RENKEI_SMTP_PASSWORD", "not-this-one")  # the block wins
    settings = settings_for(registry_rows(1))
    approve_issue(settings)
    with ScriptedServer(password=PASSWORD) as server:
        smtp = with_smtp(
            settings, server.port, smtp_user="renkei", smtp_password_block="renkei-smtp-test"
        )
        report = pipeline.send(smtp, ISSUE_ID)
    assert report.sent == 2
    assert server.logins == [("renkei", PASSWORD)]
    with pytest.raises(ConfigError, match="cannot load Prefect Secret block 'no-such-block'"):
        smtp_password(MailSettings(smtp_user="renkei", smtp_password_block="no-such-block"))


async def _artifact(key: str) -> dict:
    from prefect.client.orchestration import get_client

    body = {"limit": 1, "offset": 0, "sort": "CREATED_DESC", "artifacts": {"key": {"any_": [key]}}}
    async with get_client() as client:
        response = await client._client.post("/artifacts/filter", json=body)
    return response.json()[0]


def test_send_flow_publishes_counts_and_failures_as_a_table_artifact(
    prefect_server, settings_for, workdir, monkeypatch
) -> None:
    from flows.newsletter import send_newsletter

    settings = settings_for(registry_rows(2))
    approve_issue(settings)
    with ScriptedServer() as server:
        server.rcpt_script["renkei@member01.example.jp"] = ["550 5.1.1 No such user here"]
        for key, value in {
            "RENKEI_MAIL__TRANSPORT": "smtp",
            "RENKEI_MAIL__SMTP_HOST": "127.0.0.1",
            "RENKEI_MAIL__SMTP_PORT": str(server.port),
            "RENKEI_MAIL__SMTP_SECURITY": "none",
            "RENKEI_MAIL__RATE_PER_SECOND": "1000",
        }.items():
            monkeypatch.setenv(key, value)
        summary = send_newsletter(issue_id=ISSUE_ID, config=str(workdir / "renkei.toml"))
    assert summary == f"issue {ISSUE_ID}: 2 sent, 0 already had it, 1 failed"
    artifact = asyncio.run(_artifact(f"deliveries-{ISSUE_ID}"))
    assert artifact["type"] == "table"
    assert artifact["description"] == (
        f"issue {ISSUE_ID}: 2 sent, 1 failed, 0 unknown, 0 in progress or interrupted"
    )
    table = artifact["data"] if isinstance(artifact["data"], list) else json.loads(artifact["data"])
    assert table == [
        {"status": "sent", "recipient": "(2)", "member_id": "", "detail": "count"},
        {"status": "failed", "recipient": "(1)", "member_id": "", "detail": "count"},
        {"status": "unknown", "recipient": "(0)", "member_id": "", "detail": "count"},
        {"status": "sending", "recipient": "(0)", "member_id": "", "detail": "count"},
        {
            "status": "failed",
            "recipient": "renkei@member01.example.jp",
            "member_id": "aca-01",
            "detail": "550 5.1.1 No such user here",
        },
    ]
