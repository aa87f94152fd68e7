"""`renkei console` (the secretariat's web console) and `renkei users` (its accounts)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from renkei.cli.app import ConfigOpt, app
from renkei.core.settings import DEFAULT_CONFIG, load_settings
from renkei.core.staff import ROLE_JA, add_user, list_users, reset_password, set_disabled

users = typer.Typer(help="Console accounts: add, list, disable, enable, reset-password.",
                    no_args_is_help=True)  # fmt: skip
app.add_typer(users, name="users")
OPERATOR = "operator (CLI)"


@app.command("console")
def console_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on (the reverse proxy's side).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Serve the secretariat's web console (Japanese) until interrupted. Run it behind the
    organisation's HTTPS reverse proxy (README, "The console")."""
    from renkei.console.app import serve

    settings = load_settings(config)
    typer.echo(f"console: http://{host}:{port}/ (warehouse {settings.warehouse})")
    serve(settings, config, host, port)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from the first stdin line.")
]


@users.command("add")
def users_add(
    login: Annotated[str, typer.Argument(help="Login: lower-case letters, digits, . _ -")],
    name: Annotated[str, typer.Option("--name", help="Full name, as shown (氏名).")],
    role: Annotated[str, typer.Option("--role", help="editor | approver | admin")],
    password_stdin: StdinOpt = False,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Add a console account; the password comes from a prompt (or stdin)."""
    user = add_user(
        load_settings(config), login, name=name, role=role,
        password=_password(password_stdin), by=OPERATOR,
    )  # fmt: skip
    typer.echo(f"added {user.login} ({user.name}, {user.role})")


@users.command("list")
def users_list(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """List the accounts: login, name, role, state, last sign-in (tab-separated)."""
    for u in list_users(load_settings(config)):
        state = "disabled" if u["disabled"] else ("locked" if u["locked_until"] else "active")
        last = f"{u['last_login_at']:%Y-%m-%d %H:%M}" if u["last_login_at"] else "-"
        typer.echo(
            f"{u['login']}\t{u['name']}\t{u['role']} ({ROLE_JA[u['role']]})\t{state}\t{last}"
        )


@users.command("disable")
def users_disable(
    login: Annotated[str, typer.Argument(help="The account to disable.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Disable an account: sign-in refused, open sessions end within seconds."""
    set_disabled(load_settings(config), login, disabled=True, by=OPERATOR)
    typer.echo(f"disabled {login}")


@users.command("enable")
def users_enable(
    login: Annotated[str, typer.Argument(help="The account to enable again.")],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Enable a disabled account again."""
    set_disabled(load_settings(config), login, disabled=False, by=OPERATOR)
    typer.echo(f"enabled {login}")


@users.command("reset-password")
def users_reset_password(
    login: Annotated[str, typer.Argument(help="The account whose password to set.")],
    password_stdin: StdinOpt = False,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Set a new password (from a prompt or stdin); this also lifts a lockout."""
    reset_password(load_settings(config), login, password=_password(password_stdin), by=OPERATOR)
    typer.echo(f"password of {login} reset")
