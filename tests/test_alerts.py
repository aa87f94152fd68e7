"""Failure alerts: one short Japanese e-mail per failed flow run, to the alert address."""

from __future__ import annotations

from pathlib import Path

from delivery_support import ScriptedServer, with_smtp

from renkei.core.settings import Settings, load_settings
from renkei.orchestration.alerts import error_line, send_alert

RUN_ID = "0193a5c2-7f00-7000-8000-000000000001"


def _settings(workdir: Path, port: int, alert_to: str | None = "alerts@example.jp") -> Settings:
    settings = with_smtp(load_settings(workdir / "renkei.toml"), port)
    options = settings.orchestration.model_copy(
        update={"alert_to": alert_to, "ui_url": "http://prefect.example.jp:4200/"}
    )
    return settings.model_copy(update={"orchestration": options})


def _alert(settings: Settings) -> bool:
    return send_alert(
        settings,
        flow_name="normalize",
        run_name="brave-otter",
        flow_run_id=RUN_ID,
        state="Failed",
        error="RenkeiError: warehouse busy: ingest_feeds holds renkei.duckdb",
    )


def test_a_failed_run_is_reported_once_with_flow_error_and_link(workdir: Path) -> None:
    with ScriptedServer() as smtp:
        settings = _settings(workdir, smtp.port)
        sent = [_alert(settings), _alert(settings)]  # e.g. the engine and the worker both report

        assert sent == [True, False]
        [message] = smtp.parsed()
    assert smtp.messages[0][0] == ["alerts@example.jp"]
    assert message["Subject"] == "【renkei】normalize が失敗しました"
    assert message.get_content() == (
        "フロー「normalize」の実行（brave-otter）が失敗しました（状態: Failed）。\n\n"
        "エラー: RenkeiError: warehouse busy: ingest_feeds holds renkei.duckdb\n\n"
        f"実行の詳細: http://prefect.example.jp:4200/runs/flow-run/{RUN_ID}\n\n"
        "原因を確認し、必要なら Prefect の画面から再実行してください。\n"
        "（renkei 自動通知）\n"
    )


def test_without_an_alert_address_nothing_is_sent(workdir: Path) -> None:
    with ScriptedServer() as smtp:
        assert _alert(_settings(workdir, smtp.port, alert_to=None)) is False
    assert smtp.messages == []


def test_the_error_line_is_the_last_line_without_prefects_preamble() -> None:
    message = (
        "Flow run encountered an exception: Traceback (most recent call last):\n"
        '  File "flows/normalize.py", line 9\n'
        "Flow run encountered an exception: SubmissionError: --member x: not in the registry\n\n"
    )

    assert error_line(message) == "SubmissionError: --member x: not in the registry"
    assert error_line(None) == "（エラー内容は記録されていません）"
    assert error_line("x" * 400) == "x" * 299 + "…"
