"""Commands that send the bulletin and manage who receives it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from renkei import pipeline
from renkei.cli.app import ConfigOpt, app, stage
from renkei.core.settings import DEFAULT_CONFIG, load_settings
from renkei.delivery.bounce_mailbox import process_bounces
from renkei.delivery.bounce_rules import list_suppressed, restore
from renkei.delivery.report import delivery_report
from renkei.delivery.subscribers import (
    SubscriberError,
    add_subscriber,
    import_subscribers,
    list_subscribers,
    make_subscriber,
    remove_subscriber,
)
from renkei.delivery.unsubscribe import apply_unsubscribe


class _Written:
    """The publish stage's result as `stage` prints it."""

    def __init__(self, files: list) -> None:
        self.files = files

    def summary(self) -> str:
        return f"{len(self.files)} files written"


@app.command()
def send(
    issue_id: Annotated[str, typer.Argument(help="Approved issue id.")],
    resend_unknown: Annotated[
        bool,
        typer.Option(
            "--resend-unknown",
            help="Send again exactly the deliveries whose outcome is unknown (the final '.' "
            "was written, no reply came), with the same Message-ID. They may get two copies.",
        ),
    ] = False,
    resend_failed: Annotated[
        bool,
        typer.Option(
            "--resend-failed",
            help="Send again exactly the deliveries that failed (5xx too: check the address "
            "first), with the same Message-ID. Unsubscribed contacts are never sent to.",
        ),
    ] = False,
    publish: Annotated[
        bool,
        typer.Option(
            "--publish",
            help="After a complete send, write the open-data release (what the after-send "
            "deployment does when Prefect runs the send).",
        ),
    ] = False,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Send an approved issue to every subscribed contact, at most once each."""
    report = stage(
        config,
        "send_newsletter",
        lambda s: pipeline.send(
            s, issue_id, resend_unknown=resend_unknown, resend_failed=resend_failed
        ),
    )
    if publish and not (report.failed or report.unknown or report.already_sent):
        stage(config, "publish_dataset", lambda s: _Written(pipeline.publish(s)))
    for line in report.failed:
        typer.echo(f"  failed: {line}")
    for line in report.unknown:
        typer.echo(f"  unknown: {line}")
    if report.failed or report.unknown:
        raise typer.Exit(1)


@app.command()
def deliveries(
    issue_id: Annotated[str, typer.Argument(help="Issue id (its period, YYYY-MM).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Who got an issue: counts per status; every failure and unknown outcome with its reply."""
    report = delivery_report(load_settings(config), issue_id)
    typer.echo(report.summary())
    for row in report.failures:
        typer.echo(f"  {row['status']}: {row['recipient']} ({row['member_id']}): {row['detail']}")
    for row in report.bounces:
        said = " ".join(str(x) for x in (row["status_code"], row["diagnostic"]) if x)
        typer.echo(f"  bounce {row['kind']}: {row['recipient']}: {said or '-'}")


@app.command()
def unsubscribe(
    token: Annotated[str, typer.Argument(help="The token from an unsubscribe link (t=...).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Apply one unsubscribe token (e.g. from a mailto: request); forged tokens are refused."""
    item = apply_unsubscribe(load_settings(config), token, via="cli")
    typer.echo(f"unsubscribed {item.email} (issue {item.issue_id})")


@app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8025,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Serve the unsubscribe page and the RFC 8058 one-click POST (behind your https proxy)."""
    from renkei.delivery.unsubscribe_server import serve as serve_app

    typer.echo(f"unsubscribe endpoint on http://{host}:{port}/ (Ctrl-C stops)")
    serve_app(load_settings(config), host, port)


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
    frame = list_subscribers(load_settings(config), member)
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
    try:
        subscriber = make_subscriber(email, member, language, interests)
    except ValueError as exc:
        raise SubscriberError(str(exc)) from None
    add_subscriber(load_settings(config), subscriber)
    typer.echo(f"subscribed {subscriber.email} ({subscriber.member_id})")


@subscribers_app.command("remove")
def subscribers_remove(
    email: Annotated[str, typer.Argument(help="The contact's e-mail address.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Unsubscribe a contact (kept as unsubscribed so a registry reload cannot re-add it)."""
    if not remove_subscriber(load_settings(config), email):
        raise SubscriberError(f"{email}: no such contact")
    typer.echo(f"unsubscribed {email}")


@subscribers_app.command("import")
def subscribers_import(
    file: Annotated[Path, typer.Argument(help="CSV: email, member_id[, language, interests].")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Import contacts from a CSV file; every bad row is reported and nothing is saved."""
    count = import_subscribers(load_settings(config), file)
    typer.echo(f"imported {count} contacts from {file}")


bounces_app = typer.Typer(
    help="Bounces and complaints: read the bounce mailbox, list and restore suppressed addresses.",
    no_args_is_help=True,
)
app.add_typer(bounces_app, name="bounces")


@bounces_app.command("process")
def bounces_process(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Read new messages from the bounce mailbox (the bounces table of renkei.toml), record each
    once (hard, soft, delayed, complaint, autoreply, unknown) and suppress addresses by
    the rules; messages are marked processed only after they are recorded."""
    report = stage(config, "process_bounces", process_bounces)
    for item in report.recorded:
        if item.action:
            typer.echo(f"  {item.action}: {item.recipient} ({item.kind}, issue {item.issue_id})")


@bounces_app.command("list")
def bounces_list(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Addresses the bulletin skips because of a bounce or complaint, with the reason."""
    frame = list_suppressed(load_settings(config))
    for row in frame.iter_rows(named=True):
        typer.echo(
            f"{row['email']}\t{row['member_id']}\t{row['suppression']}\t"
            f"{row['since']:%Y-%m-%d}\t{row['reason'] or ''}"
        )
    typer.echo(f"{frame.height} suppressed addresses", err=True)


@bounces_app.command("restore")
def bounces_restore(
    email: Annotated[str, typer.Argument(help="The bounced address to send to again.")],
    by: Annotated[str, typer.Option("--by", help="Who restores it (audited).")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Send to a bounced address again (e.g. the member fixed their mailbox); audited.
    An address unsubscribed after a complaint needs a new opt-in (`subscribers add`)."""
    typer.echo(restore(load_settings(config), email, by))
