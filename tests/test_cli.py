"""The `renkei` command as users and scripts run it: real files; a real process where one
matters (the demo), Typer's CliRunner in this process for the error paths."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import renkei_cli
from console_demo_support import assert_the_printed_console_opens, run_demo
from typer.testing import CliRunner

from renkei.cli import app, main

COMMANDS = sorted(app.registered_commands, key=lambda c: c.name or c.callback.__name__)  # type: ignore[union-attr]
CONTRACT = {
    "demo",
    "init",
    "ingest-feeds",
    "submit",
    "normalize",
    "draft",
    "approve",
    "send",
    "publish",
    "status",
    "sql",
}


def renkei(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "renkei", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_contract_command_exists() -> None:
    names = {c.name or c.callback.__name__ for c in COMMANDS}  # type: ignore[union-attr]
    assert CONTRACT <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name or c.callback.__name__)
def test_every_command_has_help_text(command) -> None:
    assert (command.callback.__doc__ or "").strip(), f"{command.name} has no help text"
    result = CliRunner().invoke(app, [command.name or command.callback.__name__, "--help"])
    assert result.exit_code == 0


def test_help_paragraphs_flow_at_any_terminal_width() -> None:
    result = CliRunner().invoke(app, ["submit", "--help"], env={"COLUMNS": "200"})
    lines = [line.strip() for line in result.output.splitlines()]
    assert "Take in one member's report: keep it, judge and stage its rows, write the receipt." in (
        lines
    )
    assert (
        "The receipt (受付結果) is written beside the file. With a Prefect API configured, emit "
        "renkei.submission.received for the on-submission deployment instead (--direct or "
        "--period: ingest here)."
    ) in lines


def test_missing_config_is_one_line_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``main`` itself (the console script), in this process: one line, the exit code."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["renkei", "normalize", "--config", "missing.toml"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: missing.toml: config file not found (create one with `renkei init DIR`, "
        "or pass --config PATH)"
    ]


def test_broken_registry_row_names_the_row(tmp_path: Path) -> None:
    assert renkei_cli("init", "w", cwd=tmp_path).returncode == 0
    registry = tmp_path / "w" / "members.csv"
    lines = registry.read_text("utf-8").splitlines()
    lines[3] = lines[3].replace("industry", "press")
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = renkei_cli("ingest-feeds", "--config", "w/renkei.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'w' / 'members.csv'}: row 4: sector 'press' is not one of "
        "industry, academia, finance, government"
    ]


def test_unreadable_csv_gives_the_cause_and_keeps_the_file(tmp_path: Path) -> None:
    renkei_cli("init", "w", cwd=tmp_path)
    bad = tmp_path / "report.csv"
    bad.write_bytes(b"\x81\x00\xff\xfe\x80\x80\xa0")
    result = renkei_cli(
        "submit", str(bad), "--member", "ind-04", "--config", "w/renkei.toml", cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: report.csv: 文字コードを判別できません"
        "（UTF-8・Shift_JIS(CP932)・UTF-16 のいずれでもありません）"
    ]
    kept = renkei_cli(
        "sql",
        "SELECT source_ref FROM raw_payloads",
        "-f",
        "json",
        "--config",
        "w/renkei.toml",
        cwd=tmp_path,
    )
    assert json.loads(kept.stdout) == [{"source_ref": "report.csv"}]


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    assert renkei_cli("init", "w", cwd=tmp_path).returncode == 0
    again = renkei_cli("init", "w", cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_demo_twice_same_counts_and_nothing_sent_twice(tmp_path: Path) -> None:
    first = run_demo(tmp_path)  # its process group is empty once it has ended
    assert first.returncode == 0, first.stderr
    assert "DEMO ONLY" in first.stdout
    out = tmp_path / "demo-out"
    for name in (
        "renkei.duckdb",
        "newsletter/2026-11.html",
        "newsletter/2026-11.txt",
        "publish/activities.csv",
        "publish/activities.parquet",
        "publish/activities.json",
    ):
        assert (out / name).is_file(), name
        assert str(out / name) in first.stdout  # it says where each output is
    emls = sorted((out / "outbox" / "2026-11").glob("*.eml"))
    assert len(emls) == 11  # 10 demo members, one with two addresses

    def activities() -> int:
        result = renkei("sql", "SELECT count(*) AS n FROM activities", "-f", "json", cwd=out)
        return json.loads(result.stdout)[0]["n"]

    assert activities() == 42  # 43 rows, the co-hosted forum merged into one
    second = renkei("demo", "--out", "demo-out", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "already sent; nothing sent again" in second.stdout
    files = re.compile(r"\((\d+) files in ")  # the files there, not only those written now
    assert files.findall(second.stdout) == files.findall(first.stdout) == ["28"]
    assert activities() == 42  # 43 rows, the co-hosted forum merged into one
    assert sorted((out / "outbox" / "2026-11").glob("*.eml")) == emls
    sent = renkei(
        "sql", "SELECT count(*) AS n FROM deliveries WHERE status = 'sent'", "-f", "csv", cwd=out
    )
    assert sent.stdout.splitlines() == ["n", "11"]

    assert_the_printed_console_opens(first.stdout, tmp_path)
    html = (out / "newsletter" / "2026-11.html").read_text("utf-8")
    assert "<mj-" not in html and "@media" in html  # compiled, responsive MJML output

    status = renkei("status", cwd=out)
    assert "pending approvals: none" in status.stdout


@pytest.fixture(scope="module")
def normalized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an (empty) normalised warehouse, shared by the read-only sql tests."""
    folder = tmp_path_factory.mktemp("sql")
    renkei_cli("init", "w", cwd=folder)
    renkei_cli("normalize", "--config", "w/renkei.toml", cwd=folder)
    return folder


def test_sql_json_dates_are_iso_8601(normalized: Path) -> None:
    tmp_path = normalized
    result = renkei_cli(
        "sql",
        "SELECT TIMESTAMPTZ '2026-11-10 10:00:00+09' AS t, DATE '2026-11-10' AS d",
        "--format",
        "json",
        "--config",
        "w/renkei.toml",
        cwd=tmp_path,
    )
    assert json.loads(result.stdout) == [{"t": "2026-11-10T10:00:00+09:00", "d": "2026-11-10"}]


def test_sql_error_is_one_line(normalized: Path) -> None:
    result = renkei_cli("sql", "SELEC nonsense", "--config", "w/renkei.toml", cwd=normalized)
    assert result.returncode == 1
    assert result.stderr.startswith("error: sql: ") and "Traceback" not in result.stderr


def test_sql_cannot_write(normalized: Path) -> None:
    result = renkei_cli(
        "sql", "DELETE FROM activities", "--config", "w/renkei.toml", cwd=normalized
    )
    assert result.returncode == 1
    assert "read-only" in result.stderr


def _sql(folder: Path, text: str) -> tuple[int, str]:
    result = renkei_cli("sql", text, "--config", "w/renkei.toml", cwd=folder)
    return result.returncode, result.stderr


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("COPY (SELECT 1) TO 'copied.csv'", "COPY"),
        ("INSTALL httpfs", "LOAD"),
        ("LOAD httpfs", "LOAD"),
        ("ATTACH 'other.duckdb' AS other", "ATTACH"),
        ("PRAGMA enable_profiling", "PRAGMA"),
        ("SET enable_external_access = true", "SET"),
        ("CALL pragma_version()", "CALL"),
        ("EXPORT DATABASE 'dump'", "EXPORT"),
    ],
)
def test_sql_refuses_every_statement_that_is_not_a_query(
    normalized: Path, text: str, kind: str
) -> None:
    code, stderr = _sql(normalized, text)

    assert code == 1
    assert stderr == (
        f"error: sql: only a query (SELECT) is allowed here, not {kind}; renkei sql is read-only\n"
    )
    assert not (normalized / "copied.csv").exists() and not (normalized / "dump").exists()


def test_sql_refuses_a_query_followed_by_a_second_statement(normalized: Path) -> None:
    code, stderr = _sql(normalized, "SELECT 1; COPY (SELECT 1) TO 'copied.csv'")

    assert (code, stderr) == (1, "error: sql: give exactly one query (got 2 statements)\n")
    assert not (normalized / "copied.csv").exists()


@pytest.mark.parametrize(
    "reader", ["read_text", "read_csv", "read_blob", "read_json_objects", "glob"]
)
def test_sql_cannot_read_the_unsubscribe_key_or_any_other_file(
    normalized: Path, reader: str
) -> None:
    key = normalized / "w" / "unsubscribe.key"
    key.write_text("s3cret-signing-key\n", encoding="utf-8")

    code, stderr = _sql(normalized, f"SELECT * FROM {reader}('w/unsubscribe.key')")

    assert code == 1
    assert stderr.startswith("error: sql: Permission Error: Cannot access file")
    assert "file system operations are disabled by configuration" in stderr
    assert "s3cret" not in stderr


def test_sql_cannot_reach_the_network(normalized: Path) -> None:
    code, stderr = _sql(normalized, "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')")

    assert code == 1
    assert "disabled by configuration" in stderr


def test_sql_still_answers_a_plain_query_after_refusals(normalized: Path) -> None:
    result = renkei_cli(
        "sql", "WITH n AS (SELECT count(*) AS c FROM activities) SELECT c FROM n", "-f", "csv",
        "--config", "w/renkei.toml", cwd=normalized,
    )  # fmt: skip

    assert (result.returncode, result.stdout) == (0, "c\n0\n")
