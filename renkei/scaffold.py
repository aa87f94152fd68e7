"""`renkei init DIR`: a working folder a new secretariat can start from."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from renkei.core.errors import RenkeiError

FOLDERS = ("inbox", "outbox", "publish", "raw")


def init_folder(target: Path, *, registry: bytes | None = None) -> list[Path]:
    """Create DIR with renkei.toml, members.csv and empty folders; never overwrite."""
    target.mkdir(parents=True, exist_ok=True)
    config = target / "renkei.toml"
    members = target / "members.csv"
    for path in (config, members):
        if path.exists():
            raise RenkeiError(f"{path}: already exists; renkei init never overwrites files")
    data = resources.files("renkei").joinpath("data")
    config.write_text(data.joinpath("renkei.toml").read_text("utf-8"), encoding="utf-8")
    members.write_bytes(
        registry if registry is not None else data.joinpath("members.csv").read_bytes()
    )
    created = [config, members]
    for name in FOLDERS:
        folder = target / name
        folder.mkdir(exist_ok=True)
        created.append(folder)
    return created
