"""Classifying the bounce mailbox's messages (no IMAP): every fixture as its manifest says,
and the return-path token that names a delivery."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from renkei.delivery.bounce_parse import classify_bytes
from renkei.delivery.verp import find_token, return_path

FIXTURES = Path(__file__).parent / "fixtures" / "bounces"
SECRET = b"bounce-fixture-secret-0123456789abcdef"
EXPECTED = list(csv.DictReader((FIXTURES / "expected.csv").open(encoding="utf-8")))


def test_the_fixture_set_covers_the_formats_the_issue_names() -> None:
    names = " ".join(row["file"] for row in EXPECTED)
    assert len(EXPECTED) >= 30
    for shape in ("postfix", "exim", "o365", "exchange", "gmail", "ja_carrier", "arf", "autoreply"):
        assert shape in names, shape
    assert {row["kind"] for row in EXPECTED} >= {
        "hard",
        "soft",
        "complaint",
        "autoreply",
        "unknown",
    }


@pytest.mark.parametrize("row", EXPECTED, ids=[r["file"] for r in EXPECTED])
def test_each_fixture_is_classified_as_its_manifest_says(row: dict[str, str]) -> None:
    found = classify_bytes((FIXTURES / row["file"]).read_bytes())
    assert found.kind == row["kind"]
    assert (found.status or "") == row["status"]
    if row["kind"] in ("hard", "soft", "complaint") and row["matched_by"] == "verp":
        assert found.token is not None and found.token.issue_id == row["issue_id"]
        assert found.token.recipient(SECRET, [row["recipient"], "x@example.jp"]) == row["recipient"]
    if row["kind"] in ("hard", "soft", "delayed") and row["matched_by"] != "none":
        assert found.diagnostic  # the server's words are kept for the secretariat


def test_return_path_is_short_case_insensitive_and_verifiable() -> None:
    address = return_path(SECRET, "2026-11", "Renkei@Member00.example.jp", "Bounce.Example.jp")
    local, _, domain = address.partition("@")
    assert len(local) <= 64 and domain == "bounce.example.jp"
    token = find_token(address.upper(), "bounce.example.jp")  # an MTA that upper-cases it
    assert token is not None and token.issue_id == "2026-11"
    candidates = ["a@member00.example.jp", "renkei@member00.example.jp"]
    assert token.recipient(SECRET, candidates) == "renkei@member00.example.jp"
    assert token.recipient(b"another-secret-0123456789abcdef0123", candidates) is None


def test_a_forged_or_altered_token_names_nobody() -> None:
    address = return_path(SECRET, "2026-11", "renkei@member00.example.jp", "bounce.example.jp")
    altered = address.replace(address[-20], "a" if address[-20] != "a" else "b")
    token = find_token(altered)
    assert token is None or token.recipient(SECRET, ["renkei@member00.example.jp"]) is None
    assert find_token(address, "other.example.jp") is None


@pytest.mark.parametrize(
    ("kind", "status", "issue_id", "diagnostic", "expected"),
    [
        ("hard", "5.1.1", "2026-11", "550 5.1.1 user unknown",
         "恒久的な不達（5.1.1・2026-11号）：550 5.1.1 user unknown"),
        ("soft", "4.2.2", None, None, "一時的な不達（4.2.2）"),
        ("complaint", None, "2026-11", None, "苦情（2026-11号）"),
    ],
)  # fmt: skip
def test_a_suppression_reason_reads_in_japanese_with_the_servers_words_as_received(
    kind: str, status: str | None, issue_id: str | None, diagnostic: str | None, expected: str
) -> None:
    from renkei.delivery.bounce_parse import Classified
    from renkei.delivery.bounce_rules import reason_ja

    found = Classified(kind=kind, status=status, diagnostic=diagnostic)
    assert reason_ja(found, issue_id) == expected
