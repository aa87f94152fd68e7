"""The Typer application and what every command shares: the config option, loading it,
and running one library stage as a recorded run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from renkei.core.runs import tracked_run
from renkei.core.settings import Settings, load_settings

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


def stage(config: Path, name: str, call: Callable[[Settings], R]) -> R:
    """Load the config, run one library stage as a recorded run, print its summary."""
    settings = load_settings(config)
    with tracked_run(settings, name) as run:
        result = call(settings)
        run.report(result)
    typer.echo(run.summary)
    return result
