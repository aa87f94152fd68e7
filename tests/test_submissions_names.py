"""Hostile file names: a name too long for its receipt's name, CR/LF and bidi controls in a
name. Each is taken in, its receipt written and mailed, and no header carries a control."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from intake_support import ARRIVED, REGISTRY

from renkei.core.settings import Settings
from renkei.submissions import intake
from renkei.submissions.receipts import RECEIPT_SUFFIX, clean_name, receipt_name

GOOD = "件名,開催日\n技術セミナー,2026/12/5\n".encode()


@pytest.fixture
def settings(settings_for) -> Settings:
    return settings_for(REGISTRY)


def _drop(settings: Settings, name: str) -> Path:
    path = settings.inbox / "ind-04" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(GOOD)
    return path


def _mails(settings: Settings) -> list[email.message.EmailMessage]:
    found = sorted((settings.mail.outbox / "receipts").rglob("*.eml"))
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in found]


def test_a_248_byte_name_gets_a_shortened_receipt_and_its_mail(settings: Settings) -> None:
    name = "あ" * 80 + "abcd.csv"  # 248 bytes: with the receipt suffix, over NAME_MAX
    assert len(name.encode()) == 248
    path = _drop(settings, name)

    outcome = intake.ingest_submission(settings, path, "ind-04", now=ARRIVED)

    assert outcome.accepted == 1
    receipt = outcome.receipt_path
    assert receipt is not None and receipt.is_file()
    assert receipt.name == receipt_name(name)
    assert receipt.name.endswith(RECEIPT_SUFFIX) and len(receipt.name.encode()) <= 255 - 8
    assert receipt.name.startswith("あ" * 70)
    assert [m["Subject"] for m in _mails(settings)] == [f"【受付結果】{name}（1件受付）"] * 2


def test_cr_lf_and_bidi_controls_are_removed_from_the_name_in_headers_and_receipts(
    settings: Settings,
) -> None:
    path = _drop(settings, "report\r\nBcc: x@example.jp\u202egpj.csv")

    outcome = intake.ingest_submission(settings, path, "ind-04", now=ARRIVED)

    shown = "reportBcc: x@example.jpgpj.csv"
    assert (outcome.file_name, outcome.accepted) == (shown, 1)
    assert outcome.receipt_path == path.parent / (shown + RECEIPT_SUFFIX)
    mails = _mails(settings)
    assert [m["Subject"] for m in mails] == [f"【受付結果】{shown}（1件受付）"] * 2
    assert all(m["Bcc"] is None for m in mails)


def test_names_in_bytes_that_are_not_utf8_are_read_as_cp932() -> None:
    raw = "報告.csv".encode("cp932").decode("utf-8", "surrogateescape")
    assert clean_name(raw) == "報告.csv"
    assert clean_name("\x00\x1b[31m\u2066.csv") == "[31m.csv"
