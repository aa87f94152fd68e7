"""The `renkei` command. Each command loads the config, calls one library function, prints.

Command names and options are a public contract: scripts outside the project use them.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import click
import polars as pl
import typer

from renkei import pipeline
from renkei.errors import RenkeiError
from renkei.runs import tracked_run
from renkei.settings import DEFAULT_CONFIG, Settings, load_settings

app = typer.Typer(
    help="renkei (連携): member activity feeds and reports → warehouse → newsletter and open data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="Config file (default ./renkei.toml).")
]


def _settings(config: Path) -> Settings:
    return load_settings(config)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Working folder for the demo.")] = Path("demo-out"),
) -> None:
    """Run every stage on the bundled examples into demo-out/ (auto-approves the draft)."""
    from renkei.demo import run_demo

    run_demo(out, echo=typer.echo)


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="Folder to create.")]) -> None:
    """Create a working folder: commented renkei.toml, the 85-member registry, empty folders."""
    from renkei.scaffold import init_folder

    for path in init_folder(directory):
        typer.echo(f"created {path}")
    typer.echo(f"next: edit {directory / 'renkei.toml'} ([issuer]), then `renkei ingest-feeds`")


@app.command("ingest-feeds")
def ingest_feeds(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Fetch every member feed, keep the raw bytes, stage the items."""
    settings = _settings(config)
    with tracked_run(settings, "ingest_feeds") as run:
        report = pipeline.ingest_feeds(settings)
        run.summary = report.summary()
    typer.echo(report.summary())
    for line in report.failed:
        typer.echo(f"  failed: {line}")


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="The submitted CSV/TSV file.")],
    member: Annotated[str, typer.Option("--member", help="Submitting member_id.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Take in one member's CSV report: keep the file, stage its rows."""
    settings = _settings(config)
    with tracked_run(settings, "ingest_submission") as run:
        receipt = pipeline.ingest_submission(settings, file, member)
        run.summary = receipt.summary()
    typer.echo(receipt.summary())


@app.command()
def normalize(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Clean, classify and deduplicate staged rows into the activities table."""
    settings = _settings(config)
    with tracked_run(settings, "normalize") as run:
        report = pipeline.normalize(settings)
        run.summary = report.summary()
    typer.echo(report.summary())


@app.command()
def draft(
    period: Annotated[str, typer.Option(help="Issue period, YYYY-MM.")],
    editorial: Annotated[str | None, typer.Option(help="Editorial note (巻頭言).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Compile the newsletter draft for a period and hold it for approval."""
    settings = _settings(config)
    try:
        with tracked_run(settings, "compile_newsletter") as run:
            report = pipeline.draft(settings, period, editorial=editorial)
            run.summary = report.summary()
    except ValueError as exc:
        raise RenkeiError(f"--period: {exc}") from None
    typer.echo(report.summary())


@app.command()
def approve(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    by: Annotated[str, typer.Option("--by", help="Name of the person approving.")],
    sha: Annotated[
        str | None, typer.Option(help="Content hash (prefix) of the draft you reviewed.")
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Record a named person's approval of the current draft."""
    settings = _settings(config)
    digest = pipeline.approve(settings, issue_id, by=by, content_sha256=sha)
    typer.echo(f"issue {issue_id} approved by {by} (content sha256 {digest[:12]})")


@app.command()
def send(
    issue_id: Annotated[str, typer.Argument(help="Approved issue id.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Send an approved issue to every subscribed contact, once each."""
    settings = _settings(config)
    with tracked_run(settings, "send_newsletter") as run:
        report = pipeline.send(settings, issue_id)
        run.summary = report.summary()
    typer.echo(report.summary())
    for line in report.failed:
        typer.echo(f"  failed: {line}")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def publish(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Write the open dataset (CSV for Excel, Parquet, JSON) to the publish folder."""
    settings = _settings(config)
    with tracked_run(settings, "publish_dataset") as run:
        files = pipeline.publish(settings)
        run.summary = f"{len(files)} files"
    for path in files:
        typer.echo(f"wrote {path}")


@app.command()
def status(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Counts per stage, last runs, issues awaiting approval, broken feeds."""
    from renkei.status import read_status

    state = read_status(_settings(config))
    typer.echo("stage counts:")
    for row in state.counts.iter_rows(named=True):
        typer.echo(f"  {row['stage']:<22}{row['n']:>8}")
    typer.echo("last runs:")
    for row in state.runs.iter_rows(named=True):
        typer.echo(
            f"  {row['stage']:<22}{row['status']:<8}{row['started_at']:%Y-%m-%d %H:%M}  "
            f"{row['summary'] or ''}"
        )
    pending = state.pending_approvals
    typer.echo(f"pending approvals: {', '.join(pending) if pending else 'none'}")
    broken = state.feeds.filter(pl.col("error").is_not_null())
    typer.echo(f"feeds: {state.feeds.height} known, {broken.height} broken")
    for row in broken.iter_rows(named=True):
        typer.echo(f"  {row['member_id']}: {row['error']} ({row['feed_url']})")


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
    """Run a read-only SQL query on the warehouse (table, csv or json output)."""
    from renkei.status import query as run_sql

    try:
        frame = run_sql(_settings(config), query)
    except Exception as exc:  # a user's SQL error is an expected failure
        if isinstance(exc, RenkeiError):
            raise
        raise RenkeiError(f"sql: {exc}") from None
    if format is OutputFormat.json:
        typer.echo(json.dumps(frame.to_dicts(), ensure_ascii=False, default=_jsonable))
    elif format is OutputFormat.csv:
        typer.echo(frame.write_csv(), nl=False)
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
            typer.echo(str(frame))


def main() -> None:
    try:
        app(standalone_mode=True)
    except RenkeiError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
