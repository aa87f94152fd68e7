"""`renkei doctor` names each broken part of a setup and what to do about it."""

from __future__ import annotations

from pathlib import Path

from delivery_support import free_port
from prefect.settings import PREFECT_API_URL, temporary_settings
from typer.testing import CliRunner

from renkei.cli import app
from renkei.core.settings import load_settings
from renkei.demo import examples_dir, prepare_folder
from renkei.doctor import diagnose
from warehouse.connection import open_warehouse


def _demo_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    prepare_folder(folder, examples_dir(), "http://127.0.0.1:9")
    with open_warehouse(load_settings(folder / "renkei.toml").warehouse):
        pass  # the schema, as after the demo's first stage
    return folder


def _break(config: Path, smtp_port: int) -> None:
    text = config.read_text("utf-8").replace('registry = "members.csv"', 'registry = "gone.csv"')
    text = text.replace(
        '[mail]\ntransport = "outbox"\n',
        f'[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\n'
        'smtp_security = "none"\n',
    )
    config.write_text(text, encoding="utf-8")


def test_doctor_on_the_demo_setup_prints_no_problem_and_exits_zero(tmp_path: Path) -> None:
    config = _demo_folder(tmp_path) / "renkei.toml"

    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = CliRunner().invoke(app, ["doctor", "--config", str(config)])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "✓ config", "✓ warehouse", "✓ registry", "✓ issuer", "✓ unsubscribe key",
        "– Prefect API", "– SMTP", "– failure alerts", "✓ activities invariants", "✓ runs",
    ]  # fmt: skip
    assert "✗" not in result.output
    assert lines[-1] == "all checks passed"


def test_doctor_names_the_wrong_smtp_port_the_unreachable_api_and_the_missing_registry(
    tmp_path: Path,
) -> None:
    config = _demo_folder(tmp_path) / "renkei.toml"
    closed = free_port()  # nothing listens here
    _break(config, closed)
    api = f"http://127.0.0.1:{closed}/api"

    with temporary_settings(updates={PREFECT_API_URL: api}):
        result = CliRunner().invoke(app, ["doctor", "--config", str(config)])

    assert result.exit_code == 1
    broken = [line for line in result.output.splitlines() if line.startswith("✗")]
    registry = (config.parent / "gone.csv").resolve()
    assert broken == [
        f"✗ registry: {registry}: file not found (the `registry` setting names it)",
        f"✗ Prefect API: {api} unreachable ([Errno 111] Connection refused)",
        f"✗ SMTP: 127.0.0.1:{closed} (none): [Errno 111] Connection refused",
    ]
    assert "→ start it (`prefect server start`) or fix PREFECT_API_URL" in result.output
    assert "3 problem(s): registry, Prefect API, SMTP" in result.output


def test_doctor_reports_an_unreadable_config_and_checks_nothing_else(tmp_path: Path) -> None:
    config = tmp_path / "renkei.toml"
    config.write_text("warehouse = [\n", encoding="utf-8")

    checks = diagnose(config, api=None)

    assert [(c.name, c.mark) for c in checks] == [("config", "broken")]
    assert checks[0].detail.startswith(f"{config}: not valid TOML")
