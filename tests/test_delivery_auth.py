"""SMTP AUTH with the password from the named environment variable (the Prefect Secret block
path is in test_delivery_prefect.py)."""

from __future__ import annotations

import pytest
from delivery_support import ISSUE_ID, ScriptedServer, approve_issue, registry_rows, with_smtp

from renkei import pipeline
from renkei.core.errors import ConfigError
from renkei.core.mail_transport import smtp_password
from renkei.core.settings import MailSettings

PASSWORD = "s3cret-pass!"


def test_password_from_the_named_env_var_logs_in_and_sends(settings_for, monkeypatch) -> None:
    settings = settings_for(registry_rows(1))
    approve_issue(settings)
    monkeypatch.setenv("MY_SMTP_PASSWORD", PASSWORD)
    with ScriptedServer(password=PASSWORD) as server:
        smtp = with_smtp(
            settings, server.port, smtp_user="renkei", smtp_password_env="MY_SMTP_PASSWORD"
        )
        report = pipeline.send(smtp, ISSUE_ID)
    assert report.summary() == f"issue {ISSUE_ID}: 2 sent, 0 already had it, 0 failed"
    assert server.logins == [("renkei", PASSWORD)]  # one login: the connection is reused
    assert len(server.messages) == 2


def test_a_missing_password_variable_is_a_config_error_naming_it() -> None:
    mail = MailSettings(smtp_user="renkei", smtp_password_env="RENKEI_TEST_UNSET_PASSWORD")
    with pytest.raises(ConfigError, match="RENKEI_TEST_UNSET_PASSWORD is not set"):
        smtp_password(mail)
