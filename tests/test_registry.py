from pathlib import Path

import pytest
from conftest import SHARED, skip_or_fail, write_registry

from renkei import pipeline
from renkei.core.errors import RegistryError
from renkei.core.registry import load_registry, parse_registry
from warehouse.connection import open_warehouse

HEADER = "member_id,name,sector,sector_ja,prefecture,scope,feed_url,contact_email\n"


def test_bundled_registry_has_the_councils_85_members() -> None:
    members = load_registry(Path(__file__).parents[1] / "renkei" / "data" / "members.csv")
    assert len(members) == 85
    counts = {
        s: sum(m.sector == s for m in members)
        for s in ("industry", "academia", "finance", "government")
    }
    assert counts == {"industry": 13, "academia": 35, "finance": 5, "government": 32}


def test_bundled_registry_matches_the_shared_member_list() -> None:
    import csv

    if not (SHARED / "data" / "members.csv").exists():
        skip_or_fail(f"../shared/ not beside the repo (no {SHARED / 'data' / 'members.csv'})")

    shared = list(csv.DictReader((SHARED / "data" / "members.csv").open(encoding="utf-8")))
    ours = load_registry(Path(__file__).parents[1] / "renkei" / "data" / "members.csv")
    assert [(r["member_id"], r["name"]) for r in shared] == [(m.member_id, m.name) for m in ours]


def test_every_problem_is_reported_with_its_row_at_once() -> None:
    text = HEADER + (
        "aca-01,鳥取大学,academia,学,鳥取県,prefecture,https://a.example.jp/feed.rdf,a@a.example.jp\n"
        "aca-01,重複大学,academia,学,鳥取県,prefecture,,\n"
        "x-1,謎機関,media,?,東京府,city,ftp://x.example.jp/,not-an-address\n"
    )
    with pytest.raises(RegistryError) as err:
        parse_registry(text, "members.csv")
    assert err.value.problems == [
        "row 3: member_id 'aca-01' repeats row 2",
        "row 4: sector 'media' is not one of industry, academia, finance, government",
        "row 4: prefecture '東京府' is not a Japanese prefecture",
        "row 4: feed_url 'ftp://x.example.jp/' is not an http(s) URL",
        "row 4: contact_email 'not-an-address' is not a valid address",
    ]


def test_missing_columns_are_named() -> None:
    with pytest.raises(RegistryError, match=r"missing column.*feed_url, contact_email"):
        parse_registry("member_id,name,sector,prefecture\n", "members.csv")


def test_several_contacts_per_member_and_cp932_file(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    row = "fin-01,㈱山陰合同銀行,finance,金,島根県,region,,a@bank.example.jp; b@bank.example.jp\n"
    path.write_bytes((HEADER + row).encode("cp932"))
    (member,) = load_registry(path)
    assert member.name == "㈱山陰合同銀行"
    assert member.contact_emails == ("a@bank.example.jp", "b@bank.example.jp")


def test_reloading_the_registry_changes_only_the_members_that_changed(settings_for) -> None:
    registry = [
        "ind-04,岡山県商工会議所連合会,industry,産,岡山県,prefecture,,",
        "aca-13,国立大学法人広島大学,academia,学,広島県,prefecture,,",
    ]
    settings = settings_for(registry)

    def loaded() -> dict[str, tuple]:
        with open_warehouse(settings.warehouse, read_only=True) as con:
            found = con.execute("SELECT member_id, name, updated_at FROM members").fetchall()
        return {member_id: (name, at) for member_id, name, at in found}

    pipeline.sync_registry(settings)
    first = loaded()
    pipeline.sync_registry(settings)  # unchanged: nothing rewritten
    assert loaded() == first
    write_registry(settings.registry.parent, [registry[0].replace("連合会", "連合"), registry[1]])
    pipeline.sync_registry(settings)
    now = loaded()
    assert now["aca-13"] == first["aca-13"]
    assert now["ind-04"][0] == "岡山県商工会議所連合" and now["ind-04"][1] > first["ind-04"][1]


def test_aliases_are_read_checked_and_loaded(settings_for) -> None:
    text = HEADER.replace("contact_email\n", "contact_email,aliases\n") + (
        "aca-13,国立大学法人広島大学,academia,学,広島県,prefecture,,, 広大；広島大 ;広大\n"
        "aca-07,国立大学法人岡山大学,academia,学,岡山県,prefecture,,,岡大;広島大\n"
        "gov-04,広島県,government,官,広島県,prefecture,,,\n"
    )
    with pytest.raises(RegistryError) as err:
        parse_registry(text, "members.csv")
    assert err.value.problems == ["row 3: alias '広島大' is also an alias of row 2"]

    members = parse_registry(text.replace(";広島大\n", "\n"), "members.csv")
    assert [m.aliases for m in members] == [("広大", "広島大"), ("岡大",), ()]
    settings = settings_for([])
    settings.registry.write_text(text.replace(";広島大\n", "\n"), encoding="utf-8")
    pipeline.sync_registry(settings)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        found = con.execute("SELECT member_id, aliases FROM members ORDER BY ALL").fetchall()
    assert found == [("aca-07", "岡大"), ("aca-13", "広大;広島大"), ("gov-04", None)]


def test_the_bundled_members_carry_the_short_forms_people_write() -> None:
    members = {
        m.member_id: m.aliases
        for m in load_registry(Path(__file__).parents[1] / "renkei" / "data" / "members.csv")
    }
    assert members["aca-13"] == ("広大", "広島大")
    assert members["aca-07"] == ("岡大", "岡山大")
    assert members["aca-22"] == ("呉高専",)
    assert sum(bool(a) for a in members.values()) == 62
    examples = load_registry(Path(__file__).parents[1] / "examples" / "members.csv")
    assert {m.member_id: m.aliases for m in examples} == members


def test_a_feed_ingest_writes_the_registry_in_its_own_commit(settings_for, monkeypatch) -> None:
    """``ingest_feeds`` reads members.csv without the warehouse and writes members and
    contacts in the commit of its staged rows: one open of the file for writing per run."""
    registry = [
        "aca-13,国立大学法人広島大学,academia,学,広島県,prefecture,,a@example.jp",
        "ind-04,岡山県商工会議所連合会,industry,産,岡山県,prefecture,,",
    ]
    settings = settings_for(registry)

    def no_separate_sync(_settings):
        raise AssertionError("the feed ingest opened the warehouse for the registry alone")

    monkeypatch.setattr(pipeline, "sync_registry", no_separate_sync)
    report = pipeline.ingest_feeds(settings, fetch=lambda _settings, targets, _force: [])
    assert report.feeds == 0
    with open_warehouse(settings.warehouse, read_only=True) as con:
        members = con.execute("SELECT member_id, name FROM members ORDER BY 1").fetchall()
        contacts = con.execute("SELECT email, member_id FROM contacts").fetchall()
    assert members == [("aca-13", "国立大学法人広島大学"), ("ind-04", "岡山県商工会議所連合会")]
    assert contacts == [("a@example.jp", "aca-13")]
