"""Commands for the working folder: demo, init, publish, status, doctor, sql."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from renkei import pipeline
from renkei.cli.app import ConfigOpt, app
from renkei.core.errors import EXPECTED, RenkeiError
from renkei.core.events import api_url
from renkei.core.runs import tracked_run
from renkei.core.settings import DEFAULT_CONFIG, load_settings
from renkei.demo import run_demo
from renkei.doctor import diagnose
from renkei.scaffold import init_folder
from renkei.status import query as run_sql
from renkei.status import read_status


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Working folder for the demo.")] = Path("demo-out"),
) -> None:
    """Run every stage on the bundled examples into demo-out/ (auto-approves the draft)."""
    run_demo(out, echo=typer.echo)


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="Folder to create.")]) -> None:
    """Create a working folder: commented renkei.toml, the 85-member registry, empty folders."""
    for path in init_folder(directory):
        typer.echo(f"created {path}")
    typer.echo(f"next: edit {directory / 'renkei.toml'} ([issuer]), then `renkei ingest-feeds`")


@app.command()
def publish(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Write the open-data release (data package, events, calendar, feed, stats, page)."""
    settings = load_settings(config)
    with tracked_run(settings, "publish_dataset") as run:
        files = pipeline.publish(settings)
        run.summary = f"{len(files)} files"
        run.summary_ja = f"公開データのファイル {len(files)} 件を書き出しました"
    for path in files:
        typer.echo(f"wrote {path}")


@app.command()
def status(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Counts per stage, last runs, issues awaiting approval, broken feeds, pending alerts."""
    state = read_status(load_settings(config))
    typer.echo("stage counts:")
    for row in state.counts.iter_rows(named=True):
        typer.echo(f"  {row['stage']:<22}{row['n']:>8}")
    typer.echo("last runs:")
    for row in state.runs.iter_rows(named=True):
        typer.echo(
            f"  {row['stage']:<22}{row['status']:<10}{row['started_at']:%Y-%m-%d %H:%M}  "
            f"{row['summary'] or ''}"
        )
    pending = state.pending_approvals
    typer.echo(f"pending approvals: {', '.join(pending) if pending else 'none'}")
    broken = state.feeds.filter(pl.col("error").is_not_null())
    typer.echo(f"feeds: {state.feeds.height} known, {broken.height} broken")
    for row in broken.iter_rows(named=True):
        typer.echo(f"  {row['member_id']}: {row['error']} ({row['feed_url']})")
    typer.echo(
        f"members no bulletin reaches (every contact bounced or complained): "
        f"{state.unreachable.height or 'none'}"
    )
    for row in state.unreachable.iter_rows(named=True):
        typer.echo(f"  {row['member_id']} {row['name']}: {row['why']}")
    figures = state.consultations
    if figures.height:
        totals = {k: int(figures[k].sum()) for k in
                  ("requests", "introductions", "meetings", "collaborations")}  # fmt: skip
        typer.echo(
            "consultations: {requests} requests, {introductions} introductions, {meetings} "
            "meetings, {collaborations} collaborations (by quarter and sector pair: "
            "`renkei consultations figures`)".format(**totals)
        )
    else:
        typer.echo("consultations: none yet")
    typer.echo(f"failure alerts not delivered: {len(state.alerts) or 'none'}")
    for alert in state.alerts:
        typer.echo(
            f"  {alert.recorded_at:%Y-%m-%d %H:%M}  {alert.flow_name} {alert.state}: "
            f"{alert.error}  (to {alert.recipient}; {alert.attempts} attempt(s), "
            f"last error: {alert.last_error or 'none yet'}; retried by the next flow run)"
        )


@app.command()
def doctor(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Check config, issuer, keys, Prefect pool and worker, SMTP, alerts, runs; say what to fix."""
    checks = diagnose(config, api_url())
    for check in checks:
        typer.echo(check.line())
    broken = [c.name for c in checks if c.mark == "broken"]
    if broken:
        typer.echo(f"{len(broken)} problem(s): {', '.join(broken)}", err=True)
        raise typer.Exit(1)
    typer.echo("all checks passed")


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run read-only on the warehouse.")],
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.table
    ),
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Run one read-only query (SELECT) on the warehouse; no files, network or settings."""
    try:
        frame = run_sql(load_settings(config), query)
    except Exception as exc:  # a user's SQL error is an expected failure
        if isinstance(exc, EXPECTED):
            raise
        raise RenkeiError(f"sql: {exc}") from None
    if format is OutputFormat.json:
        typer.echo(json.dumps(frame.to_dicts(), ensure_ascii=False, default=_jsonable))
    elif format is OutputFormat.csv:
        typer.echo(frame.write_csv(), nl=False)
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
            typer.echo(str(frame))
