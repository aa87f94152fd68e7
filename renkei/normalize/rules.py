"""Load the keyword dictionary the secretariat edits (bundled default, or a file in config)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from renkei.core.errors import ConfigError
from transforms.classify import Rules, rules_from_mapping


def load_rules(path: Path | None) -> Rules:
    if path is None:
        text = resources.files("renkei").joinpath("data", "classification.toml").read_text("utf-8")
        where = "bundled classification.toml"
    else:
        if not path.is_file():
            raise ConfigError(f"{path}: classification file not found (setting `classification`)")
        text, where = path.read_text(encoding="utf-8"), str(path)
    try:
        return rules_from_mapping(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
