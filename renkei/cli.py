"""The `renkei` command. Each command loads the config, calls one library function, prints.

Command names and options are a public contract: scripts outside the project use them.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import click
import polars as pl
import typer

from renkei import feed_reparse, pipeline
from renkei.errors import RenkeiError
from renkei.runs import tracked_run
from renkei.settings import DEFAULT_CONFIG, Settings, load_settings

R = TypeVar("R")

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


def _stage(config: Path, stage: str, call: Callable[[Settings], R]) -> R:
    """Load the config, run one library stage as a recorded run, print its summary."""
    settings = _settings(config)
    with tracked_run(settings, stage) as run:
        result = call(settings)
        run.summary = result.summary()  # type: ignore[attr-defined]
    typer.echo(run.summary)
    return result


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
def ingest_feeds(
    all_feeds: Annotated[
        bool, typer.Option("--all", help="Also feeds not yet due (backoff, max-age).")
    ] = False,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Fetch the due member feeds, keep the raw bytes, stage the items."""
    report = _stage(config, "ingest_feeds", lambda s: pipeline.ingest_feeds(s, force=all_feeds))
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
    from renkei import feed_health

    frame = feed_health.read_health(_settings(config))
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
    settings = _settings(config)
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
    from renkei.submission_event import hand_over

    if not direct and period is None:
        note = hand_over(_settings(config), file, member)
        if note:
            typer.echo(note)
            return
    outcome = _stage(
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
    from renkei.inbox_watch import watch_inbox

    watch_inbox(_settings(config), inbox, echo=typer.echo)


@app.command()
def requeue(
    sha256: Annotated[str, typer.Option("--sha256", help="Submission hash (6+ hex digits).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Process a submission again from its kept bytes; rows that now pass are staged.

    For after a fix of the registry or the column mapping; a new receipt is written."""
    from renkei.intake import requeue as requeue_submission

    for outcome in requeue_submission(_settings(config), sha256):
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
    from renkei import submission_overview as overview

    month = overview.parse_period(period)
    frame = overview.read_overview(_settings(config), month)
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
    from renkei.submission_template import write_template

    for path in write_template(format, out):
        typer.echo(f"wrote {path}")


@app.command()
def normalize(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Clean, classify and deduplicate staged rows into the activities table."""
    _stage(config, "normalize", pipeline.normalize)


@app.command()
def rebuild(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Drop the activities table and recompute it from staging (overrides are kept)."""
    _stage(config, "rebuild", pipeline.rebuild)


@app.command()
def classify(
    activity_id: Annotated[str, typer.Argument(help="The activity to classify.")],
    category: Annotated[
        str, typer.Argument(help="event | call | news | success_case | training | other")
    ],
    by: Annotated[str, typer.Option("--by", help="Who decides (recorded).")] = "事務局",
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Set an activity's category by hand; it wins over the rules and survives rebuilds."""
    typer.echo(pipeline.classify(_settings(config), activity_id, category, by))


@app.command()
def draft(
    period: Annotated[str, typer.Option(help="Issue period, YYYY-MM.")],
    editorial: Annotated[str | None, typer.Option(help="Editorial note (巻頭言).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Compile the newsletter draft for a period and hold it for approval."""
    try:
        _stage(
            config, "compile_newsletter", lambda s: pipeline.draft(s, period, editorial=editorial)
        )
    except ValueError as exc:
        raise RenkeiError(f"--period: {exc}") from None


@app.command()
def approve(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    by: Annotated[str, typer.Option("--by", help="Name of the person approving.")],
    sha: Annotated[
        str | None, typer.Option(help="Content hash (prefix) of the draft you reviewed.")
    ] = None,
    comment: Annotated[str | None, typer.Option(help="Reviewer's comment.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Record a named person's approval of the current draft (resumes a waiting flow run)."""
    from renkei.approval import announce_approval, resume_waiting_run
    from renkei.approval_input import Approval

    settings = _settings(config)
    digest = pipeline.approve(settings, issue_id, by=by, content_sha256=sha, comment=comment)
    typer.echo(f"issue {issue_id} approved by {by} (content sha256 {digest[:12]})")
    # the waiting run first: once announced, the send may take the warehouse for a while
    answer = Approval(approved=True, reviewer=by, comment=comment or "", recorded=True)
    note = resume_waiting_run(settings, issue_id, answer)
    if note:
        typer.echo(note)
    typer.echo(announce_approval(issue_id))


@app.command()
def reject(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    by: Annotated[str, typer.Option("--by", help="Name of the person rejecting.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Return an issue to draft with the reason (resumes a waiting flow run)."""
    from renkei.approval import resume_waiting_run
    from renkei.approval_input import Approval

    settings = _settings(config)
    pipeline.reject(settings, issue_id, by=by, reason=reason)
    typer.echo(f"issue {issue_id} returned to draft by {by}: {reason}")
    answer = Approval(approved=False, reviewer=by, comment=reason, recorded=True)
    note = resume_waiting_run(settings, issue_id, answer)
    if note:
        typer.echo(note)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip() or not text.strip():
            raise RenkeiError(f"{option} {value!r}: write ACTIVITY_ID=text")
        pairs[key.strip()] = text.strip()
    return pairs


@app.command()
def edit(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    by: Annotated[str, typer.Option("--by", help="Name of the person editing.")],
    drop: Annotated[list[str], typer.Option(help="Activity id to leave out.")] = [],  # noqa: B006
    pin: Annotated[list[str], typer.Option(help="Activity id to keep above the cap.")] = [],  # noqa: B006
    undo: Annotated[list[str], typer.Option(help="Activity id whose edits to remove.")] = [],  # noqa: B006
    title: Annotated[list[str], typer.Option(help="ACTIVITY_ID=new title.")] = [],  # noqa: B006
    summary: Annotated[list[str], typer.Option(help="ACTIVITY_ID=new summary.")] = [],  # noqa: B006
    order: Annotated[str | None, typer.Option(help="Sections, e.g. calls,events,news.")] = None,
    editorial: Annotated[str | None, typer.Option(help="Editorial note (巻頭言).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Edit a draft (drop, pin, retitle, reorder, editorial) and recompile it."""
    from renkei.editing import edit_issue

    report = edit_issue(
        _settings(config), issue_id, by=by, drop=drop, pin=pin, undo=undo,
        titles=_pairs(title, "--title"), summaries=_pairs(summary, "--summary"),
        order=order.split(",") if order else None, editorial=editorial,
    )  # fmt: skip
    typer.echo(report.summary())


@app.command("send-test")
def send_test(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    to: Annotated[str, typer.Option("--to", help="The one address to send the test to.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Send the draft to one address, subject marked [TEST] (no delivery is recorded)."""
    from renkei.review import send_test as send_one

    typer.echo(send_one(_settings(config), issue_id, to))


@app.command()
def preview(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Write a review page: the mail at desktop and phone widths, and the text part."""
    from renkei.review import preview as write_preview

    typer.echo(write_preview(_settings(config), issue_id))


@app.command()
def send(
    issue_id: Annotated[str, typer.Argument(help="Approved issue id.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Send an approved issue to every subscribed contact, once each."""
    report = _stage(config, "send_newsletter", lambda s: pipeline.send(s, issue_id))
    for line in report.failed:
        typer.echo(f"  failed: {line}")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def deliveries(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Who got an issue: counts per delivery status and every failure with its reply."""
    from renkei.mail_send import delivery_report

    report = delivery_report(_settings(config), issue_id)
    typer.echo(report.summary())
    for row in report.failures:
        typer.echo(f"  {row['status']}: {row['recipient']} ({row['member_id']}): {row['detail']}")


@app.command()
def unsubscribe(
    token: Annotated[str, typer.Argument(help="The token from an unsubscribe link (t=...).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Apply one unsubscribe token (e.g. from a mailto: request); forged tokens are refused."""
    from renkei.unsubscribe import apply_unsubscribe

    item = apply_unsubscribe(_settings(config), token, via="cli")
    typer.echo(f"unsubscribed {item.email} (issue {item.issue_id})")


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8025,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Serve the unsubscribe page and the RFC 8058 one-click POST (behind your https proxy)."""
    from renkei.unsubscribe_server import serve as serve_app

    typer.echo(f"unsubscribe endpoint on http://{host}:{port}/ (Ctrl-C stops)")
    serve_app(_settings(config), host, port)


# The earlier name keeps working (hidden from --help).
app.command("unsubscribe-server", hidden=True)(serve)


subscribers_app = typer.Typer(
    help="List, add, remove and import the contacts who receive the bulletin.",
    no_args_is_help=True,
)
app.add_typer(subscribers_app, name="subscribers")


@subscribers_app.command("list")
def subscribers_list(
    member: Annotated[str | None, typer.Option(help="Only this member_id.")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """List contacts with their opt-in state, language and interests."""
    from renkei.subscribers import list_subscribers

    frame = list_subscribers(_settings(config), member)
    for row in frame.iter_rows(named=True):
        typer.echo(
            f"{row['email']}\t{row['member_id']}\t{row['status']}\t{row['language']}\t"
            f"{row['interests'] or ''}"
        )
    typer.echo(f"{frame.height} contacts", err=True)


@subscribers_app.command("add")
def subscribers_add(
    email: Annotated[str, typer.Argument(help="The contact's e-mail address.")],
    member: Annotated[str, typer.Option("--member", help="Their member_id.")],
    language: Annotated[str, typer.Option(help="ja or en.")] = "ja",
    interests: Annotated[
        str, typer.Option(help="Tags, e.g. 'sector:academia;prefecture:広島県;category:event'.")
    ] = "",
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Add or re-subscribe a contact (an explicit opt-in by the secretariat)."""
    from renkei.subscribers import SubscriberError, add_subscriber, make_subscriber

    try:
        subscriber = make_subscriber(email, member, language, interests)
    except ValueError as exc:
        raise SubscriberError(str(exc)) from None
    add_subscriber(_settings(config), subscriber)
    typer.echo(f"subscribed {subscriber.email} ({subscriber.member_id})")


@subscribers_app.command("remove")
def subscribers_remove(
    email: Annotated[str, typer.Argument(help="The contact's e-mail address.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Unsubscribe a contact (kept as unsubscribed so a registry reload cannot re-add it)."""
    from renkei.subscribers import SubscriberError, remove_subscriber

    if not remove_subscriber(_settings(config), email):
        raise SubscriberError(f"{email}: no such contact")
    typer.echo(f"unsubscribed {email}")


@subscribers_app.command("import")
def subscribers_import(
    file: Annotated[Path, typer.Argument(help="CSV: email, member_id[, language, interests].")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Import contacts from a CSV file; every bad row is reported and nothing is saved."""
    from renkei.subscribers import import_subscribers

    count = import_subscribers(_settings(config), file)
    typer.echo(f"imported {count} contacts from {file}")


@app.command()
def publish(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Write the open-data release (data package, events, calendar, feed, stats, page)."""
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


@app.command()
def doctor(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Check config, warehouse, registry, Prefect API and SMTP; say what to fix."""
    from renkei.doctor import configured_api, diagnose

    checks = diagnose(config, configured_api())
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


def _flowing(doc: str) -> str:
    """A docstring's wrapped lines joined into paragraphs (Typer's rich help keeps single
    line breaks, which leaves ragged lines in a terminal of any other width)."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _flow_help(group: typer.Typer) -> None:
    for command in group.registered_commands:
        if command.callback is not None and command.callback.__doc__:
            command.callback.__doc__ = _flowing(command.callback.__doc__)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _flow_help(sub.typer_instance)


_flow_help(app)


def main() -> None:
    try:
        app(standalone_mode=True)
    except RenkeiError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
