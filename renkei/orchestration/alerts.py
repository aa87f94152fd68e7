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

Every alert is claimed first with a marker file named after the flow run id (created with
O_EXCL), so the same run is never reported twice even if both the engine and the worker
report the crash. What a hook cannot report is a worker machine that is itself down:
watch for that with the Prefect UI or `renkei doctor`.
"""

from __future__ import annotations

import logging
import os
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, TypedDict

from renkei.core.errors import ConfigError
from renkei.core.mail_transport import DeliveryError, make_transport
from renkei.core.settings import Settings, load_settings

logger = logging.getLogger("renkei.orchestration.alerts")

ALERTS_FOLDER = "alerts"  # next to the warehouse: one marker per alerted flow run


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


def _claim(settings: Settings, flow_run_id: str) -> bool:
    """Create the run's marker file; False when this run was already alerted."""
    folder = settings.warehouse.parent / ALERTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(folder / f"{flow_run_id}.sent", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def send_alert(
    settings: Settings, *, flow_name: str, run_name: str, flow_run_id: str, state: str, error: str
) -> bool:
    """Send the alert once per flow run; return whether a message was handed over."""
    to = settings.orchestration.alert_to
    if to is None:
        logger.warning("flow %s %s (%s): no [orchestration] alert_to, no alert", flow_name,
                       state, error)  # fmt: skip
        return False
    if not _claim(settings, flow_run_id):
        return False
    message = compose(settings, flow_name=flow_name, run_name=run_name,
                      flow_run_id=flow_run_id, state=state, error=error)  # fmt: skip
    transport = make_transport(settings.mail)
    try:
        transport.deliver(
            message.as_bytes(), sender=str(settings.issuer.contact_email), recipient=str(to),
            issue_id=f"alert-{flow_run_id}", handed_over=lambda: None,
        )  # fmt: skip
    finally:
        transport.close()
    return True


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
    try:
        send_alert(
            settings, flow_name=flow.name, run_name=flow_run.name, flow_run_id=str(flow_run.id),
            state=state.name or state.type.value, error=error_line(state.message),
        )  # fmt: skip
    except (DeliveryError, OSError) as exc:  # the failure itself is still in Prefect's log
        logger.error("failure alert for flow run %s not sent: %s", flow_run.id, exc)


class FlowHooks(TypedDict):
    """The ``@flow`` keyword arguments of :data:`HOOKS` (typed so ``**HOOKS`` checks)."""

    on_failure: list[Any]
    on_crashed: list[Any]


HOOKS: FlowHooks = {"on_failure": [on_flow_failure], "on_crashed": [on_flow_failure]}
