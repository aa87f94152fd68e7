from pathlib import Path

import pytest
from conftest import SHARED

from renkei.errors import RegistryError
from renkei.registry import load_registry, parse_registry

HEADER = "member_id,name,sector,sector_ja,prefecture,scope,feed_url,contact_email\n"


def test_bundled_registry_has_the_councils_85_members() -> None:
    members = load_registry(Path(__file__).parents[1] / "renkei" / "data" / "members.csv")
    assert len(members) == 85
    counts = {
        s: sum(m.sector == s for m in members)
        for s in ("industry", "academia", "finance", "government")
    }
    assert counts == {"industry": 13, "academia": 35, "finance": 5, "government": 32}


@pytest.mark.skipif(
    not (SHARED / "data" / "members.csv").exists(), reason="shared/ not beside the repo"
)
def test_bundled_registry_matches_the_shared_member_list() -> None:
    import csv

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
