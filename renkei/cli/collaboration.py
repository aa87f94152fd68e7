"""`renkei consultations`: the consultation requests (「この取組について相談する」) from the
shell — the queue, the figures, and the reminder mail the scheduled flow also sends."""

from __future__ import annotations

from typing import Annotated

import typer

from renkei.cli.app import ConfigOpt, app
from renkei.collaboration.reminders import purge_expired, remind
from renkei.collaboration.requests import STATUS_JA, figures, list_requests
from renkei.core.settings import DEFAULT_CONFIG, load_settings

consultations = typer.Typer(help="Consultation requests: list, figures, remind.",
                            no_args_is_help=True)  # fmt: skip
app.add_typer(consultations, name="consultations")


@consultations.command("list")
def consultations_list(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Every request: number, date, status, outcome, item, requester (tab-separated)."""
    rows = list_requests(load_settings(config))
    if not rows:
        typer.echo("no consultation requests")
    for r in rows:
        typer.echo(
            f"{r['consultation_id']}\t{r['created_at']:%Y-%m-%d}\t"
            f"{STATUS_JA.get(r['status'], r['status'])}\t{r['outcome'] or '-'}\t"
            f"{r['title'] or '-'}\t{r['requester_member_name'] or r['requester_member']}"
        )


@consultations.command("figures")
def consultations_figures(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Per quarter and sector pair: requests, introductions, meetings, collaborations."""
    rows = figures(load_settings(config))
    typer.echo("quarter\trequester\torganiser\trequests\tintroductions\tmeetings\tcollaborations")
    for r in rows:
        typer.echo(
            f"{r['quarter']}\t{r['requester_sector']}\t{r['organiser_sector']}\t{r['requests']}\t"
            f"{r['introductions']}\t{r['meetings']}\t{r['collaborations']}"
        )


@consultations.command("remind")
def consultations_remind(
    weeks: Annotated[
        int | None, typer.Option(help="Weeks without an outcome (default: the config's).")
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Mail the secretariat the requests with no outcome for WEEKS weeks."""
    typer.echo(remind(load_settings(config), weeks=weeks))


@consultations.command("purge")
def consultations_purge(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """Erase personal parts of requests and needs/seeds past the retention period."""
    typer.echo(purge_expired(load_settings(config)))
