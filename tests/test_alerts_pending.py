"""A failure alert that could not be mailed stays pending until a mail server accepts it.

Real parts only: an aiosmtpd server that is first down (its port has no listener yet) and
then up; the journal files next to a real warehouse; the flows on a real Prefect server."""

from __future__ import annotations

import ast
import asyncio
import base64
import fcntl
import json
import os
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from ast_support import parse_source
from conftest import renkei_cli
from delivery_support import ScriptedServer, with_smtp

from renkei.core.settings import Settings, load_settings
from renkei.orchestration import alert_journal
from renkei.orchestration.alerts import retry_pending, send_alert
from warehouse.connection import open_warehouse

RUN_ID = "0193a5c2-7f00-7000-8000-000000000002"
ROOT = Path(__file__).resolve().parents[1]


def _settings(workdir: Path, port: int) -> Settings:
    settings = with_smtp(load_settings(workdir / "renkei.toml"), port)
    options = settings.orchestration.model_copy(update={"alert_to": "alerts@example.jp"})
    return settings.model_copy(update={"orchestration": options})


def _alert(settings: Settings, run_id: str = RUN_ID) -> bool:
    return send_alert(
        settings, flow_name="send_newsletter", run_name="calm-heron", flow_run_id=run_id,
        state="Failed", error="ConnectionFailure: -1 ConnectionRefusedError",
    )  # fmt: skip


def test_an_alert_mailed_while_smtp_is_down_stays_pending_and_is_not_marked_sent(
    workdir: Path,
) -> None:
    smtp = ScriptedServer()  # not started: its port refuses connections
    settings = _settings(workdir, smtp.port)

    assert _alert(settings) is False

    [alert] = alert_journal.pending(settings)
    assert (alert.flow_run_id, alert.flow_name, alert.recipient, alert.attempts) == (
        RUN_ID, "send_newsletter", "alerts@example.jp", 1,
    )  # fmt: skip
    assert "Connection refused" in alert.last_error
    folder = workdir / "alerts"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        f"{RUN_ID}.pending.json"
    ]
    assert _alert(settings) is False  # the engine and the worker both report: one entry
    assert [a.attempts for a in alert_journal.pending(settings)] == [1]


def test_a_pending_alert_is_delivered_once_by_the_next_retry_after_smtp_returns(
    workdir: Path,
) -> None:
    smtp = ScriptedServer()
    settings = _settings(workdir, smtp.port)
    _alert(settings)
    stored = alert_journal.pending(settings)[0].path.read_text("utf-8")
    retry_pending(settings)  # still down: one more failed attempt, still pending
    assert [a.attempts for a in alert_journal.pending(settings)] == [2]

    with smtp:
        retry_pending(settings)
        retry_pending(settings)  # nothing left: sends nothing
        assert _alert(settings) is False  # the run was alerted: never again

    [(to, raw)] = smtp.messages
    message = message_from_bytes(raw, policy=policy.default)
    assert to == ["alerts@example.jp"]
    assert message["Subject"] == "【renkei】send_newsletter が失敗しました"
    assert message["Message-ID"] in _decoded_message(stored)  # the same message, resent
    assert alert_journal.pending(settings) == []
    assert (workdir / "alerts" / f"{RUN_ID}.sent").read_text("utf-8").split()[1:3] == [
        "250", "2.0.0",
    ]  # fmt: skip


def _decoded_message(journal_text: str) -> str:
    return base64.b64decode(json.loads(journal_text)["message"]).decode("utf-8")


def test_status_lists_the_pending_alert_until_it_is_delivered(workdir: Path) -> None:
    smtp = ScriptedServer()
    settings = _settings(workdir, smtp.port)
    with open_warehouse(settings.warehouse):
        pass  # an empty warehouse, as after the first stage
    _alert(settings)
    config = workdir / "renkei.toml"
    config.write_text(
        config.read_text("utf-8") + '\n[orchestration]\nalert_to = "alerts@example.jp"\n',
        encoding="utf-8",
    )

    before = renkei_cli("status", "--config", str(config)).stdout.splitlines()
    with smtp:
        retry_pending(settings)
    after = renkei_cli("status", "--config", str(config)).stdout.splitlines()

    i = before.index("failure alerts not delivered: 1")
    line = before[i + 1]
    assert line.startswith("  ") and line.endswith("; retried by the next flow run)")
    assert (
        "  send_newsletter Failed: ConnectionFailure: -1 ConnectionRefusedError  "
        "(to alerts@example.jp; 1 attempt(s), last error: "
    ) in line
    assert "Connection refused" in line
    assert after[-1] == "failure alerts not delivered: none"


def test_a_retry_pass_in_progress_elsewhere_is_skipped_not_waited_for(workdir: Path) -> None:
    smtp = ScriptedServer()
    settings = _settings(workdir, smtp.port)
    _alert(settings)
    fd = os.open(workdir / "alerts" / ".lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with smtp:
            assert alert_journal.deliver_pending(settings) == (0, 1)
    finally:
        os.close(fd)
    assert smtp.messages == []


def test_every_flow_retries_pending_alerts_first() -> None:
    """Each flow function's first statement after reading its settings is the retry."""
    for path in sorted((ROOT / "flows").glob("*.py")):
        for node in parse_source(path.read_text("utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(
                "flow" in ast.unparse(d) for d in node.decorator_list
            ):
                body = [ast.unparse(s) for s in node.body if not isinstance(s, ast.Expr)
                        or not isinstance(s.value, ast.Constant)]  # fmt: skip
                assert body[:2] == [
                    "settings = settings_from(config)",
                    "retry_pending(settings)",
                ], f"{path.name}:{node.name}"


@pytest.mark.prefect
def test_a_failed_flow_with_smtp_down_leaves_a_pending_alert_and_an_artifact_and_the_next_flow_delivers_it(  # noqa: E501
    prefect_server, workdir: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.ingest_submission import ingest_submission
    from flows.normalize import normalize

    smtp = ScriptedServer()
    config = workdir / "renkei.toml"
    config.write_text(
        config.read_text("utf-8").replace(
            'transport = "outbox"',
            f'transport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\n'
            'smtp_security = "none"',
            1,
        )
        + '\n[orchestration]\nalert_to = "alerts@example.jp"\n',
        encoding="utf-8",
    )
    settings = load_settings(config)

    state = ingest_submission(
        path=str(workdir / "missing.csv"), member_id="nobody", config=str(config),
        return_state=True,
    )  # fmt: skip

    assert state.is_failed()
    [alert] = alert_journal.pending(settings)
    assert alert.flow_name == "ingest_submission"

    async def artifacts() -> list[str]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["failure-alert"]))
            )
        return [str(a.data) for a in found if str(a.flow_run_id) == alert.flow_run_id]

    [text] = asyncio.run(artifacts())
    assert text.startswith("フロー「ingest_submission」がFailed: ")
    assert "**メールは未送信です（保留中）。**" in text

    with smtp:
        normalize(config=str(config))
    [(to, raw)] = smtp.messages
    assert to == ["alerts@example.jp"]
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == (
        "【renkei】ingest_submission が失敗しました"
    )
    assert alert_journal.pending(settings) == []
