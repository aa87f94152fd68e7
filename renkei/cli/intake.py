"""Commands that bring data in: feeds, submitted reports, the inbox watcher."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from renkei import pipeline
from renkei.cli.app import ConfigOpt, app, stage
from renkei.core.settings import DEFAULT_CONFIG, load_settings
from renkei.feeds import health as feed_health
from renkei.feeds import reparse as feed_reparse
from renkei.submissions import overview
from renkei.submissions.event import hand_over
from renkei.submissions.intake import requeue as requeue_submission
from renkei.submissions.template import write_template


@app.command("ingest-feeds")
def ingest_feeds(
    all_feeds: Annotated[
        bool, typer.Option("--all", help="Also feeds not yet due (backoff, max-age).")
    ] = False,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Fetch the due member feeds, keep the raw bytes, stage the items."""
    report = stage(config, "ingest_feeds", lambda s: pipeline.ingest_feeds(s, force=all_feeds))
    for line in report.details():
        typer.echo(f"  {line}")


@app.command()
def feeds(
    sort: Annotated[
        str, typer.Option("--sort", help="status | member | failures | last-success | items")
    ] = "status",
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Feed health: last success and attempt, failures, items in 30/90 days, status."""
    frame = feed_health.read_health(load_settings(config))
    frame = feed_health.sort_health(frame, feed_health.sort_key(sort))
    typer.echo(feed_health.format_table(feed_health.table_rows(frame)))
    typer.echo(feed_health.counts_line(frame))
    typer.echo(feed_health.LEGEND)


@app.command()
def reparse(
    since: Annotated[
        str, typer.Option("--since", help="YYYY-MM-DD (Japan time): bodies seen since.")
    ],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Parse stored feed bodies again into staging (after a parser fix); then `renkei normalize`."""
    settings = load_settings(config)
    report = feed_reparse.reparse(settings, feed_reparse.parse_since(since))
    typer.echo(report.summary())
    for line in report.failed:
        typer.echo(f"  failed: {line}")


@app.command()
def submit(
    file: Annotated[Path, typer.Argument(help="The submitted CSV/TSV/xlsx file.")],
    member: Annotated[str, typer.Option("--member", help="Submitting member_id.")],
    period: Annotated[
        str | None,
        typer.Option(help="Report month YYYY-MM (default: from the file name, else this month)."),
    ] = None,
    direct: Annotated[
        bool, typer.Option("--direct", help="Ingest here even when a Prefect API is set.")
    ] = False,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Take in one member's report: keep it, judge and stage its rows, write the receipt.

    The receipt (受付結果) is written beside the file. With a Prefect API configured, emit
    renkei.submission.received for the on-submission deployment instead (--direct or
    --period: ingest here)."""
    if not direct and period is None:
        note = hand_over(load_settings(config), file, member)
        if note:
            typer.echo(note)
            return
    outcome = stage(
        config,
        "ingest_submission",
        lambda s: pipeline.ingest_submission(s, file, member, period=period),
    )
    typer.echo(f"receipt: {outcome.receipt_path}")
    if outcome.mail_error:
        typer.echo(f"receipt not mailed: {outcome.mail_error}")


@app.command()
def watch(
    inbox: Annotated[
        Path | None, typer.Option(help="Folder to watch (default: the config's inbox).")
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Watch inbox/<member_id>/ and take in each new or changed file; Ctrl-C stops.

    A file is taken once it has settled. With a Prefect API set, this emits
    renkei.submission.received instead of ingesting here."""
    pipeline.watch_inbox(load_settings(config), inbox, typer.echo)


@app.command()
def requeue(
    sha256: Annotated[str, typer.Option("--sha256", help="Submission hash (6+ hex digits).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Process a submission again from its kept bytes; rows that now pass are staged.

    For after a fix of the registry or the column mapping; a new receipt is written."""
    for outcome in requeue_submission(load_settings(config), sha256):
        typer.echo(f"{outcome.member_id}/{outcome.summary()}")
        typer.echo(f"receipt: {outcome.receipt_path}")


@app.command()
def submissions(
    period: Annotated[
        str | None,
        typer.Option("--period", help="Report month YYYY-MM (default: this month, Japan time)."),
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """A report month's submissions per member, and who has sent nothing yet.

    Per member: rows accepted, rows to fix, rejected files and replaced ones; then the
    members without a feed who have sent nothing for the month (未提出)."""
    month = overview.parse_period(period)
    frame = overview.read_overview(load_settings(config), month)
    typer.echo(overview.format_overview(frame))
    typer.echo(overview.counts_line(frame, month))
    typer.echo(overview.LEGEND)


@app.command()
def template(
    format: Annotated[str, typer.Option("--format", help="xlsx or csv.")] = "xlsx",
    out: Annotated[Path | None, typer.Option(help="File to write.")] = None,
) -> None:
    """Write the submission template members fill in (xlsx or csv).

    Japanese headers, an example row, and notes on each column and the date forms accepted."""
    for path in write_template(format, out):
        typer.echo(f"wrote {path}")
