"""The receipt reaches the member (mail through the transport seam), the template, and the
`renkei submit` choice between ingesting here and emitting the event."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from intake_support import ARRIVED, FIXTURES, REGISTRY, drop, rows

from renkei.core.settings import Settings
from renkei.submissions import intake
from renkei.submissions.template import write_template


@pytest.fixture
def settings(settings_for) -> Settings:
    return settings_for(REGISTRY)


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:  # aiosmtpd's Controller fails with port=0
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_receipt_is_mailed_to_every_contact_of_the_member(settings: Settings) -> None:
    sink = Sink()
    port = free_port()
    mail = settings.mail.model_copy(
        update={"transport": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port}
    )
    mail = mail.model_copy(update={"smtp_security": "none", "rate_per_second": 1000.0})
    smtp_settings = settings.model_copy(update={"mail": mail})
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        outcome = intake.ingest_submission(
            smtp_settings,
            drop(settings, "one_bad_row.csv"),
            "ind-04",
            now=ARRIVED,
            raise_on_reject=False,
        )
    finally:
        controller.stop()
    assert outcome.mailed_to == ["info@okayama-cci.example.jp", "jimu@okayama-cci.example.jp"]
    assert [to for to, _ in sink.messages] == [
        ["info@okayama-cci.example.jp"],
        ["jimu@okayama-cci.example.jp"],
    ]
    message = message_from_bytes(sink.messages[0][1], policy=policy.default)
    assert message["Subject"] == "【受付結果】one_bad_row.csv（3件受付・1件要修正）"
    assert message.get_content() == outcome.receipt_text


def test_with_the_outbox_transport_the_receipt_mail_is_a_file(settings: Settings) -> None:
    outcome = intake.ingest_submission(
        settings, drop(settings, "cp932_japanese.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    folder = settings.mail.outbox / "receipts" / outcome.sha256[:12]
    assert sorted(p.name for p in folder.iterdir()) == [
        "info@okayama-cci.example.jp.eml",
        "jimu@okayama-cci.example.jp.eml",
    ]


def test_a_file_submitted_from_elsewhere_gets_its_receipt_in_the_member_inbox(
    settings: Settings, tmp_path: Path
) -> None:
    outcome = intake.ingest_submission(
        settings, FIXTURES / "report.xlsx", "ind-04", now=ARRIVED, raise_on_reject=False
    )
    assert outcome.receipt_path == settings.inbox / "ind-04" / "report.xlsx.受付結果.txt"
    assert not (FIXTURES / "report.xlsx.受付結果.txt").exists()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_template_reads_whole_and_only_its_example_row_is_refused(
    settings: Settings, tmp_path: Path, fmt: str
) -> None:
    # Issue 17 changed this: the template used to be accepted as it is; its example row is
    # now refused as the example (every column is still read, and nothing else is wrong).
    written = write_template(fmt, tmp_path / f"ひな形.{fmt}")
    assert written[0].name == f"ひな形.{fmt}"
    if fmt == "csv":
        assert written[1].name == "ひな形.csv.記入方法.txt"
        assert written[0].read_bytes().startswith(b"\xef\xbb\xbf\xe4\xbb\xb6\xe5\x90\x8d")
    outcome = intake.ingest_submission(
        settings, written[0], "ind-04", now=ARRIVED, raise_on_reject=False
    )
    assert outcome.summary() == (
        f"ひな形.{fmt}: 1 rows read ({'xlsx' if fmt == 'xlsx' else 'utf-8-sig'}), 0 new, 1 rejected"
    )
    assert outcome.decided["reason"].to_list() == [
        "テンプレートの記入例の行です。削除してからご提出ください"
    ]


def test_the_xlsx_template_explains_each_column(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(write_template("xlsx", tmp_path / "t.xlsx")[0])
    assert book.sheetnames == ["提出用", "記入方法"]
    assert book["提出用"]["A1"].value == "件名（必須）"
    assert book["提出用"]["B1"].comment.text.startswith("開催日")
    notes = "\n".join(str(r[0].value or "") for r in book["記入方法"].iter_rows())
    assert "令和8年12月5日、R8.12.5" in notes


def test_submit_direct_ingests_here_even_when_a_prefect_api_is_set(
    settings: Settings, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RENKEI_"))}
    env.update(PREFECT_API_URL="http://127.0.0.1:9/api", PREFECT_HOME=str(tmp_path / "ph"))
    result = subprocess.run(
        [sys.executable, "-m", "renkei", "submit", str(FIXTURES / "cp932_japanese.csv"),
         "--member", "ind-04", "--direct", "--config", str(settings.source)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    receipt = settings.inbox / "ind-04" / "cp932_japanese.csv.受付結果.txt"
    assert result.stdout.splitlines() == [
        "cp932_japanese.csv: 4 rows read (cp932), 4 new",
        f"receipt: {receipt}",
    ]
    assert rows(settings, "SELECT count(*) FROM stg_items") == [(4,)]


def test_a_mailed_receipt_lists_fifty_rows_and_attaches_the_whole_receipt(
    settings: Settings,
) -> None:
    """Sixty rows without a title: the file beside the submission lists all sixty, the mail
    lists fifty, says how many more, and carries the whole receipt as an attachment."""
    path = settings.inbox / "ind-04" / "大量.csv"
    path.parent.mkdir(parents=True)
    lines = ["件名,開催日"] + [",2026/12/1"] * 60 + ["年末交流会,2026/12/20"]
    path.write_bytes("\r\n".join(lines).encode("cp932"))
    outcome = intake.ingest_submission(settings, path, "ind-04", now=ARRIVED, raise_on_reject=False)
    assert outcome.summary() == "大量.csv: 61 rows read (cp932), 1 new, 60 rejected"
    whole = path.with_name("大量.csv.受付結果.txt").read_bytes()
    listed = re.compile(r"^\d+行目", re.MULTILINE)
    assert len(listed.findall(whole.decode("utf-8-sig"))) == 60

    eml = settings.mail.outbox / "receipts" / outcome.sha256[:12]
    message = message_from_bytes(
        (eml / "info@okayama-cci.example.jp.eml").read_bytes(), policy=policy.default
    )
    body = message.get_body(("plain",)).get_content()
    assert len(listed.findall(body)) == 50
    assert "  …ほか 10行。すべての行は、添付の「大量.csv.受付結果.txt」にあります。" in body
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == "大量.csv.受付結果.txt"
    assert attached.get_payload(decode=True) == whole  # the receipt file, byte for byte


def test_a_short_receipt_is_mailed_whole_without_an_attachment(settings: Settings) -> None:
    outcome = intake.ingest_submission(
        settings, drop(settings, "one_bad_row.csv"), "ind-04", now=ARRIVED, raise_on_reject=False
    )
    eml = settings.mail.outbox / "receipts" / outcome.sha256[:12]
    message = message_from_bytes(
        (eml / "info@okayama-cci.example.jp.eml").read_bytes(), policy=policy.default
    )
    assert message.get_content() == outcome.receipt_text
    assert not list(message.iter_attachments())
