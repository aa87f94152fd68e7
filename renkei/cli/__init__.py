"""Application: the `renkei` command. Each command loads the config, calls one library
function (a stage in ``renkei.pipeline`` or a stage package's function), prints.

Command names and options are a public contract: scripts outside the project use them.
The commands live by what they are about (``intake``, ``newsletter``, ``delivery``,
``admin``); importing them registers them on ``app``. May import everything below it;
nothing imports the CLI.
"""

from __future__ import annotations

import inspect
import sys

import click
import typer

from renkei.cli import admin, collaboration, console, delivery, intake, newsletter
from renkei.cli.app import app
from renkei.core.errors import EXPECTED

__all__ = ["admin", "app", "collaboration", "console", "delivery", "intake", "main", "newsletter"]


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
    except EXPECTED as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
