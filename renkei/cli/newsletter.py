"""Commands that make the bulletin: normalise, classify, draft, edit, review, approve."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import typer

from renkei import pipeline
from renkei.cli.app import ConfigOpt, app, stage
from renkei.core.errors import RenkeiError
from renkei.core.settings import DEFAULT_CONFIG, load_settings
from renkei.delivery.proof import send_test as send_one
from renkei.newsletter.approval import approve_and_release, reject_and_release
from renkei.newsletter.compose import PeriodError
from renkei.newsletter.editing import edit_issue, move_item
from renkei.newsletter.review import preview as write_preview


@app.command()
def normalize(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Clean, classify and deduplicate staged rows into the activities table (only what is
    new or changed since the last run; `renkei rebuild` recomputes everything)."""
    report = stage(config, "normalize", pipeline.normalize)
    typer.echo(report.processed())


@app.command()
def rebuild(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Drop the activities table and recompute it from staging (overrides are kept)."""
    stage(config, "rebuild", pipeline.rebuild)


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
    typer.echo(pipeline.classify(load_settings(config), activity_id, category, by))


def _send_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise RenkeiError(f"--as-of {text!r}: write the send date as YYYY-MM-DD") from None


@app.command()
def draft(
    period: Annotated[str, typer.Option(help="Issue period, YYYY-MM.")],
    editorial: Annotated[str | None, typer.Option(help="Editorial note (巻頭言).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Send date, YYYY-MM-DD (default: today, JST).")
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Compile the newsletter draft for a period and hold it for approval; list every
    candidate left out, with its reason (ended, deadline passed, already sent, cap, ...)."""
    when = _send_date(as_of)
    try:
        stage(
            config,
            "compile_newsletter",
            lambda s: pipeline.draft(s, period, editorial=editorial, as_of=when),
        )
    except PeriodError as exc:
        raise RenkeiError(f"--period: {exc}") from None
    except ValueError as exc:  # the draft itself (e.g. an http:// link), not the period
        raise RenkeiError(f"draft {period}: {exc}") from None


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
    """Record a named person's approval of the current draft (resumes a waiting flow run).
    The last person who edited the draft may not approve it ([newsletter] four_eyes)."""
    settings = load_settings(config)
    result = approve_and_release(
        settings, issue_id, by=by, content_sha256=sha, comment=comment,
        four_eyes=settings.newsletter.four_eyes,
    )  # fmt: skip
    for line in result.notes:
        typer.echo(line)


@app.command()
def reject(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    by: Annotated[str, typer.Option("--by", help="Name of the person rejecting.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Return an issue to draft with the reason (resumes a waiting flow run)."""
    result = reject_and_release(load_settings(config), issue_id, by=by, reason=reason)
    for line in result.notes:
        typer.echo(line)


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
    up: Annotated[str | None, typer.Option("--up", help="Activity id to move up one.")] = None,
    down: Annotated[
        str | None, typer.Option("--down", help="Activity id to move down one.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Send date, YYYY-MM-DD (default: the draft's send date)."),
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Edit a draft (drop, pin, retitle, reorder, move an item up or down within its
    section, editorial) and recompile it."""
    settings, when = load_settings(config), _send_date(as_of)
    moves: list[tuple[str, Literal["up", "down"]]] = [(up, "up")] if up else []
    moves += [(down, "down")] if down else []
    report = None
    if not moves or drop or pin or undo or title or summary or order or editorial is not None:
        report = edit_issue(
            settings, issue_id, by=by, drop=drop, pin=pin, undo=undo,
            titles=_pairs(title, "--title"), summaries=_pairs(summary, "--summary"),
            order=order.split(",") if order else None, editorial=editorial, as_of=when,
        )  # fmt: skip
    for activity_id, direction in moves:
        report = move_item(settings, issue_id, activity_id, direction, by=by, as_of=when)
    assert report is not None  # an edit, a move, or both
    typer.echo(report.summary())


@app.command("send-test")
def send_test(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    to: Annotated[str, typer.Option("--to", help="The one address to send the test to.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Send the draft to one address, subject marked [TEST] (no delivery is recorded)."""
    typer.echo(send_one(load_settings(config), issue_id, to))


@app.command()
def preview(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Write a review page: the mail at desktop and phone widths, and the text part."""
    typer.echo(write_preview(load_settings(config), issue_id))


@app.command()
def hide(
    activity_id: Annotated[str, typer.Argument(help="The activity to hide from public view.")],
    by: Annotated[str, typer.Option("--by", help="Who hides it (recorded).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded, shown by `hidden`).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Hide an activity: left out of drafts, the open dataset and the archive from the next
    compile/publish; kept in the warehouse with who, when and why (survives rebuilds)."""
    typer.echo(pipeline.hide(load_settings(config), activity_id, by=by, reason=reason))


@app.command()
def unhide(
    activity_id: Annotated[str, typer.Argument(help="The hidden activity to show again.")],
    by: Annotated[str, typer.Option("--by", help="Who shows it again (recorded).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Show a hidden activity again (in drafts and the dataset from the next compile/publish)."""
    typer.echo(pipeline.unhide(load_settings(config), activity_id, by=by))


@app.command()
def hidden(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """List the hidden activities: id, title (member), when, by whom, why (tab-separated)."""
    rows = pipeline.hidden_activities(load_settings(config))
    if not rows:
        typer.echo("no hidden activities")
    for row in rows:
        typer.echo(row.line())
