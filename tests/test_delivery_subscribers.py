"""Subscribers: several contacts per member, opt-in state, interests, one copy per person."""

from __future__ import annotations

import pytest
from delivery_support import (
    FIXTURES,
    ISSUE_ID,
    ScriptedServer,
    approve_issue,
    registry_rows,
    with_smtp,
)
from typer.testing import CliRunner

from renkei import pipeline
from renkei.cli import app
from renkei.delivery.subscribers import (
    SubscriberError,
    import_subscribers,
    list_subscribers,
    parse_interests,
)


def rows(settings) -> list[tuple[str, str, str, str, str]]:
    frame = list_subscribers(settings)
    return [
        (r["email"], r["member_id"], r["status"], r["language"], r["interests"])
        for r in frame.iter_rows(named=True)
    ]


def test_interests_are_validated_and_normalised() -> None:
    assert parse_interests(
        "category:event; sector:academia；prefecture:広島県,sector:academia"
    ) == (
        "category:event",
        "prefecture:広島県",
        "sector:academia",
    )
    with pytest.raises(ValueError, match="expected one of sector, prefecture, category:VALUE"):
        parse_interests("hobby:golf")
    with pytest.raises(ValueError, match="unknown prefecture"):
        parse_interests("prefecture:広島")
    with pytest.raises(ValueError, match="category must be one of event, call, news"):
        parse_interests("category:golf")


def test_import_normalises_addresses_and_keeps_one_row_per_person(settings_for) -> None:
    settings = settings_for(registry_rows(3))
    assert import_subscribers(settings, FIXTURES / "subscribers.csv") == 3
    assert rows(settings) == [
        ("renkei@member00.example.jp", "aca-00", "subscribed", "ja", ""),
        ("tanaka@member00.example.jp", "aca-00", "subscribed", "ja", ""),
        (
            "yamada@member01.example.jp",
            "aca-01",
            "subscribed",
            "ja",
            "category:event,sector:academia",
        ),
        # listed by the registry for aca-01 and by the import for aca-02: one contact
        ("renkei@member01.example.jp", "aca-02", "subscribed", "ja", ""),
        ("renkei@member02.example.jp", "aca-02", "subscribed", "ja", ""),
        ("sato@member02.example.jp", "aca-02", "subscribed", "en", "prefecture:広島県"),
    ]


def test_a_bad_import_names_every_row_and_saves_nothing(settings_for) -> None:
    settings = settings_for(registry_rows(2))
    with pytest.raises(SubscriberError) as caught:
        import_subscribers(settings, FIXTURES / "subscribers_bad.csv")
    message = str(caught.value)
    assert "row 2: 'not-an-address' is not a valid e-mail address" in message
    assert "row 3: language 'fr': expected one of ja, en" in message
    assert "row 4: interest 'hobby:golf'" in message
    pipeline.sync_registry(settings)
    assert len(rows(settings)) == 3


def test_cli_add_remove_list_and_the_send_follows(settings_for, workdir, monkeypatch) -> None:
    settings = settings_for(registry_rows(2))
    monkeypatch.chdir(workdir)
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["subscribers", "add", " Suzuki@Member01.EXAMPLE.jp ", "--member", "aca-01",
         "--interests", "category:event"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output == "subscribed suzuki@member01.example.jp (aca-01)\n"
    refused = runner.invoke(app, ["subscribers", "add", "x@y.example.jp", "--member", "nobody"])
    assert isinstance(refused.exception, SubscriberError)  # main() prints it, exits 2
    assert str(refused.exception) == f"member nobody: not in the registry {settings.registry}"
    removed = runner.invoke(app, ["subscribers", "remove", "renkei@member00.example.jp"])
    assert removed.exit_code == 0 and removed.output == "unsubscribed renkei@member00.example.jp\n"
    listed = runner.invoke(app, ["subscribers", "list", "--member", "aca-00"])
    assert listed.stdout.splitlines() == [
        "renkei@member00.example.jp\taca-00\tunsubscribed\tja\t",
        "tanaka@member00.example.jp\taca-00\tsubscribed\tja\t",
    ]

    approve_issue(settings)  # reloads the registry: the removed address stays removed
    with ScriptedServer() as server:
        report = pipeline.send(with_smtp(settings, server.port), ISSUE_ID)
    assert report.sent == 3
    assert sorted(r[0] for r, _ in server.messages) == [
        "renkei@member01.example.jp",
        "suzuki@member01.example.jp",
        "tanaka@member00.example.jp",
    ]
