from pathlib import Path

import pytest

from renkei.core.errors import ConfigError
from renkei.core.settings import load_settings


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_missing_setting_names_the_setting_and_the_file(tmp_path: Path) -> None:
    config = tmp_path / "renkei.toml"
    config.write_text('[issuer]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(config)
    message = str(err.value)
    assert str(config) in message
    assert "issuer.postal_address is required but missing" in message


def test_wrong_value_and_unknown_key_are_reported(workdir: Path) -> None:
    config = workdir / "renkei.toml"
    text = config.read_text("utf-8").replace('transport = "outbox"', 'transport = "pigeon"')
    config.write_text(text + '\nwarehose = "typo.duckdb"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(config)
    assert "mail.transport" in str(err.value)
    assert "warehose is not a known setting" in str(err.value)


def test_relative_paths_are_anchored_at_the_config_folder(workdir: Path) -> None:
    settings = load_settings(workdir / "renkei.toml")
    assert settings.warehouse == (workdir / "renkei.duckdb").resolve()
    assert settings.mail.outbox == (workdir / "outbox").resolve()


def test_environment_overrides_the_file(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENKEI_WAREHOUSE", "/tmp/elsewhere.duckdb")
    monkeypatch.setenv("RENKEI_NEWSLETTER__SECTION_CAP", "5")
    settings = load_settings(workdir / "renkei.toml")
    assert settings.warehouse == Path("/tmp/elsewhere.duckdb")
    assert settings.newsletter.section_cap == 5


def test_smtp_transport_requires_a_host(workdir: Path) -> None:
    config = workdir / "renkei.toml"
    text = config.read_text("utf-8").replace('transport = "outbox"', 'transport = "smtp"')
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="smtp_host is required"):
        load_settings(config)
