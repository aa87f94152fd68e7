"""Passwords renkei reads at run time and never stores in renkei.toml: from a Prefect Secret
block when one is named, else from an environment variable (SMTP, IMAP)."""

from __future__ import annotations

import os

from renkei.core.errors import ConfigError

__all__ = ["password"]


def password(block_setting: str, block: str | None, env_setting: str, env: str, what: str) -> str:
    """The password from Prefect Secret block ``block`` when set, else from the environment
    variable ``env``. ``*_setting`` name the settings in error messages; ``what`` is the
    service (SMTP, IMAP)."""
    if block:
        from prefect.blocks.system import Secret  # only when a block is configured

        try:
            secret = Secret.load(block)
            if not isinstance(secret, Secret):  # a coroutine: load() called in an event loop
                raise TypeError("Secret.load returned a coroutine (called from async code)")
            value = secret.get()
        except Exception as exc:  # no server, no such block, wrong type: all one cause
            raise ConfigError(
                f"{block_setting}: cannot load Prefect Secret block {block!r} "
                f"({type(exc).__name__}: {exc})"
            ) from None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{block_setting}: Secret block {block!r} is not a string")
        return value
    found = os.environ.get(env)
    if found is None:
        raise ConfigError(
            f"{env_setting}: environment variable {env} is not set "
            f"(the {what} password is never stored in renkei.toml)"
        )
    return found
