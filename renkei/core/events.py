"""Prefect events, the one way a stage tells the orchestrator something happened.

A leaf: it imports nothing of ours, so every stage may use it. Prefect is imported inside
the functions because it is heavy (about a second) and most commands never emit.
"""

from __future__ import annotations

from typing import Any


def api_url() -> str | None:
    """The configured Prefect API (PREFECT_API_URL or the active profile), if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def emit(event: str, resource: dict[str, str], payload: dict[str, Any]) -> str | None:
    """Send one event to the configured Prefect API and wait until it is handed over.

    Returns None when no API is configured (nothing is sent: there is nobody to react).
    """
    url = api_url()
    if url is None:
        return None
    from prefect.events.clients import PrefectEventsClient
    from prefect.events.schemas.events import Event
    from prefect.utilities.asyncutils import run_coro_as_sync

    # model_validate: pydantic turns the plain dict into a Resource (the constructor's
    # signature asks for a Resource already).
    record = Event.model_validate({"event": event, "resource": resource, "payload": payload})

    async def _send() -> None:
        async with PrefectEventsClient(api_url=url) as client:
            await client.emit(record)

    run_coro_as_sync(_send())
    return str(record.id)
