"""The `renkei.submission.received` event: how a submitted file reaches the Prefect server.

Contract (shared with prefect.yaml's ``on-submission`` trigger): resource
``{"prefect.resource.id": "renkei.submission.<sha256>", "prefect.resource.name": <file>}``,
payload ``{"member_id", "path" (absolute), "sha256"}``.
"""

from __future__ import annotations

from pathlib import Path

RECEIVED_EVENT = "renkei.submission.received"


def prefect_api() -> str | None:
    """The configured Prefect API (PREFECT_API_URL or the active profile), or None."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def event_parts(path: Path, member_id: str, sha256: str) -> tuple[dict[str, str], dict[str, str]]:
    resource = {
        "prefect.resource.id": f"renkei.submission.{sha256}",
        "prefect.resource.name": path.name,
    }
    payload = {"member_id": member_id, "path": str(path.resolve()), "sha256": sha256}
    return resource, payload


def emit_received(path: Path, member_id: str, sha256: str) -> str | None:
    """Send the event and wait until the server has it; None when no API is configured."""
    from renkei.orchestration import emit

    resource, payload = event_parts(path, member_id, sha256)
    return emit(RECEIVED_EVENT, resource, payload)


def hand_over(settings, path: Path, member_id: str) -> str | None:
    """`renkei submit` with a Prefect API configured: emit the event for the file and
    return a line saying so; None when no API is configured (the caller ingests itself)."""
    from renkei.errors import SubmissionError
    from renkei.rawstore import sha256_hex
    from renkei.registry import load_registry

    api = prefect_api()
    if api is None:
        return None
    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"{path}: file not found")
    if member_id not in {m.member_id for m in load_registry(settings.registry)}:
        raise SubmissionError(f"--member {member_id}: not in the registry {settings.registry}")
    sha256 = sha256_hex(path.read_bytes())
    event_id = emit_received(path, member_id, sha256)
    return (
        f"emitted {RECEIVED_EVENT} for {member_id}/{path.name} (sha256 {sha256[:12]}, "
        f"event {event_id}) to {api}; the on-submission deployment takes it in "
        "(--direct ingests here instead)"
    )
