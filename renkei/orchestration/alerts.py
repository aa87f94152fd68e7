"""Failure alerts: one short Japanese e-mail to the secretariat per failed or crashed flow run.

Why flow hooks (``on_failure``/``on_crashed``) and not a Prefect automation:

- A hook runs wherever the flow runs — under a worker, with ``prefect_test_harness``, or
  from a plain ``python -c`` — so alerts need no server-side setup that could be
  forgotten on a fresh server, and ``prefect deploy --all`` is the whole deployment.
- It sends through renkei's own mail settings (``[mail]``: outbox or SMTP, the password
  from the environment), so there is no second copy of the SMTP credentials in a Prefect
  block, and the text is ours (Japanese, the error line, the link to the run).
- Prefect calls ``on_failure`` once, for the final state only: a run that fails and is
  retried alerts only if the last attempt fails. When the flow's process itself dies
  (killed, out of memory), the process worker runs ``on_crashed`` for it.

Every alert is first recorded as *pending* in the alert journal (``alerts/`` next to the
warehouse, see :mod:`renkei.orchestration.alert_journal`), named after the flow run id and
created atomically, so the same run is never reported twice even if both the engine and the
worker report the crash. It becomes ``.sent`` only after the mail server accepted it; an
alert that could not be mailed stays pending, is retried at the start of every flow run
(:func:`retry_pending`), and is listed by ``renkei status`` and failed by ``renkei doctor``
until delivered. The second route, which needs no SMTP: the hook also attaches the alert
text to the failed run as a Prefect markdown artifact (key ``failure-alert``), saying
whether the mail went out. What a hook cannot report is a worker machine that is itself
down: `renkei doctor` checks that the work pool has a live worker.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, TypedDict
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactCreate

from renkei.core.errors import ConfigError
from renkei.core.settings import Settings, load_settings
from renkei.orchestration import alert_journal

logger = logging.getLogger("renkei.orchestration.alerts")

ALERTS_FOLDER = alert_journal.ALERTS_FOLDER  # next to the warehouse: the alert journal
ARTIFACT_KEY = "failure-alert"


def run_url(settings: Settings, flow_run_id: str) -> str:
    return f"{settings.orchestration.ui_url.rstrip('/')}/runs/flow-run/{flow_run_id}"


def error_line(message: str | None) -> str:
    """The line a person needs: the last non-empty line of the state message, shortened."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    line = lines[-1] if lines else "（エラー内容は記録されていません）"
    line = line.removeprefix("Flow run encountered an exception: ")
    return line if len(line) <= 300 else line[:299] + "…"


def compose(
    settings: Settings, *, flow_name: str, run_name: str, flow_run_id: str, state: str, error: str
) -> EmailMessage:
    """The alert message: subject names the flow; body has the error line and the link."""
    word = "異常終了" if state == "Crashed" else "失敗"
    message = EmailMessage()
    message["Subject"] = f"【renkei】{flow_name} が{word}しました"
    message["From"] = str(settings.issuer.contact_email)
    message["To"] = str(settings.orchestration.alert_to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="renkei.invalid")
    message.set_content(
        f"フロー「{flow_name}」の実行（{run_name}）が{word}しました（状態: {state}）。\n\n"
        f"エラー: {error}\n\n"
        f"実行の詳細: {run_url(settings, flow_run_id)}\n\n"
        "原因を確認し、必要なら Prefect の画面から再実行してください。\n"
        "（renkei 自動通知）\n"
    )
    return message


def send_alert(
    settings: Settings, *, flow_name: str, run_name: str, flow_run_id: str, state: str, error: str
) -> bool:
    """Record the run's alert as pending, then mail it; True only when the server took it.

    False when there is no alert address, when this run was already alerted (or recorded by
    another process), and when the mail could not be sent — the alert then stays pending
    in the journal and the next flow run retries it."""
    to = settings.orchestration.alert_to
    if to is None:
        logger.warning("flow %s %s (%s): no [orchestration] alert_to, no alert", flow_name,
                       state, error)  # fmt: skip
        return False
    message = compose(settings, flow_name=flow_name, run_name=run_name,
                      flow_run_id=flow_run_id, state=state, error=error)  # fmt: skip
    recorded = alert_journal.record(
        settings, message=message.as_bytes(), recipient=str(to),
        sender=str(settings.issuer.contact_email), flow_name=flow_name,
        flow_run_id=flow_run_id, state=state, error=error,
    )  # fmt: skip
    if recorded is None:
        return False
    delivered, _ = alert_journal.deliver_pending(settings, only=flow_run_id)
    return delivered == 1


def retry_pending(settings: Settings) -> None:
    """Deliver alerts left pending by earlier runs; called at the start of every flow.

    Costs one directory listing when nothing is pending, and never fails the flow: what
    still cannot be mailed stays pending (``renkei status`` lists it)."""
    try:
        delivered, left = alert_journal.deliver_pending(settings)
    except OSError as exc:  # the journal folder itself: say so, do not fail the flow
        logger.error("pending failure alerts not retried: %s", exc)
        return
    if delivered or left:
        logger.warning("pending failure alerts: %d delivered, %d still pending", delivered, left)


def _artifact(settings: Settings, flow_run_id: str, text: str) -> None:
    """Attach the alert to the failed run in Prefect (the route that needs no SMTP)."""
    if settings.orchestration.alert_to is None:
        mail = "[orchestration] alert_to が未設定のため、メールでは通知していません。"
    elif (alert_journal.folder_of(settings) / f"{flow_run_id}{alert_journal.SENT}").exists():
        mail = f"{settings.orchestration.alert_to} にメールで通知しました。"
    else:
        mail = (
            "**メールは未送信です（保留中）。** 次のフロー実行の開始時に再送し、"
            "届くまで `renkei status` と `renkei doctor` に表示されます。"
        )
    with get_client(sync_client=True) as client:
        client.create_artifact(
            ArtifactCreate(
                key=ARTIFACT_KEY, type="markdown", flow_run_id=UUID(flow_run_id),
                description="失敗の通知（renkei）", data=f"{text}\n\n{mail}\n",
            )
        )  # fmt: skip


def _settings_for(parameters: dict[str, Any]) -> Settings | None:
    try:
        return load_settings(Path(str(parameters.get("config") or "renkei.toml")))
    except ConfigError as exc:
        logger.error("failure alert not sent: %s", exc)
        return None


def on_flow_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect ``on_failure``/``on_crashed`` hook: alert the secretariat, never raise."""
    settings = _settings_for(dict(flow_run.parameters or {}))
    if settings is None:
        return
    name = state.name or state.type.value
    error = error_line(state.message)
    try:
        send_alert(
            settings, flow_name=flow.name, run_name=flow_run.name, flow_run_id=str(flow_run.id),
            state=name, error=error,
        )  # fmt: skip
    except OSError as exc:  # the journal could not be written: Prefect's log still has it
        logger.error("failure alert for flow run %s not recorded: %s", flow_run.id, exc)
    try:
        _artifact(settings, str(flow_run.id), f"フロー「{flow.name}」が{name}: {error}")
    except Exception as exc:  # no API reachable: the journal and the log still hold it
        logger.error("failure alert artifact for flow run %s not created: %s", flow_run.id, exc)


class FlowHooks(TypedDict):
    """The ``@flow`` keyword arguments of :data:`HOOKS` (typed so ``**HOOKS`` checks)."""

    on_failure: list[Any]
    on_crashed: list[Any]


HOOKS: FlowHooks = {"on_failure": [on_flow_failure], "on_crashed": [on_flow_failure]}
