"""The `renkei.submission.received` event: how a submitted file reaches the Prefect server.

Contract (shared with prefect.yaml's ``on-submission`` trigger): resource
``{"prefect.resource.id": "renkei.submission.<sha256>", "prefect.resource.name": <file>}``,
payload ``{"member_id", "path" (absolute), "sha256"}``.
"""

from __future__ import annotations

from pathlib import Path

from renkei.core.errors import SubmissionError
from renkei.core.events import api_url, emit
from renkei.core.rawstore import sha256_file
from renkei.core.registry import load_registry, require_member
from renkei.core.settings import Settings

RECEIVED_EVENT = "renkei.submission.received"


def event_parts(path: Path, member_id: str, sha256: str) -> tuple[dict[str, str], dict[str, str]]:
    resource = {
        "prefect.resource.id": f"renkei.submission.{sha256}",
        "prefect.resource.name": path.name,
    }
    payload = {"member_id": member_id, "path": str(path.resolve()), "sha256": sha256}
    return resource, payload


def emit_received(path: Path, member_id: str, sha256: str) -> str | None:
    """Send the event and wait until the server has it; None when no API is configured."""
    resource, payload = event_parts(path, member_id, sha256)
    return emit(RECEIVED_EVENT, resource, payload)


def hand_over(settings: Settings, path: Path, member_id: str) -> str | None:
    """`renkei submit` with a Prefect API configured: emit the event for the file and
    return a line saying so; None when no API is configured (the caller ingests itself)."""
    api = api_url()
    if api is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"{path}: file not found")
    require_member(load_registry(settings.registry), member_id, settings.registry)
    with path.open("rb") as handle:
        sha256 = sha256_file(handle)  # in pieces: never the whole file at once
    event_id = emit_received(path, member_id, sha256)
    return (
        f"emitted {RECEIVED_EVENT} for {member_id}/{path.name} (sha256 {sha256[:12]}, "
        f"event {event_id}) to {api}; the on-submission deployment takes it in "
        "(--direct ingests here instead)"
    )
