"""From reading to collaborating: a reader follows 「この取組について相談する」 from a caught
bulletin, asks; the secretariat introduces both parties (mail on aiosmtpd); the outcome is
recorded and counted. Links cannot be altered to another item, reader or issue."""

from __future__ import annotations

import re
import shutil
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from conftest import skip_or_fail
from console_support import ISSUE, PASSWORDS, console_at, console_folder
from delivery_support import ScriptedServer, smtp_env
from playwright.sync_api import expect, sync_playwright

from renkei import pipeline
from renkei.core.consult_link import ConsultLinkRefused, link_maker, read_link
from renkei.core.registry import load_registry
from renkei.core.settings import load_settings
from renkei.core.signin import console_key
from warehouse.connection import open_warehouse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PUBLIC = "https://console.example.jp"
READER = "info@okayama-cci.example.jp"


def with_public_url(config: Path) -> None:
    text = config.read_text("utf-8")
    config.write_text(text + f'\n[console]\npublic_url = "{PUBLIC}"\n', encoding="utf-8")


def test_a_reader_asks_the_secretariat_introduces_and_the_figures_count_it(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if CHROMIUM is None:
        skip_or_fail("chromium not installed (.ci/run installs Debian's chromium in CI)")
    config = console_folder(tmp_path_factory, tmp_path / "w")
    with_public_url(config)
    with ScriptedServer() as smtp:
        for key, value in smtp_env(smtp.port).items():
            monkeypatch.setenv(key, value)
        settings = load_settings(config)
        pipeline.draft(settings, ISSUE, as_of=pipeline_date())
        pipeline.approve(settings, ISSUE, by="承認 太郎（shonin）")
        pipeline.send(settings, ISSUE)
        bulletin = next(raw for to, raw in smtp.messages if READER in to)
        text = (
            message_from_bytes(bulletin, policy=policy.default).get_body(("plain",)).get_content()
        )
        links = re.findall(re.escape(PUBLIC) + r"(/portal/consult/[^\s]+)", text)
        assert links, text
        reachable = {m.member_id for m in load_registry(settings.registry) if m.contact_emails}
        with open_warehouse(settings.warehouse, read_only=True) as con:
            owners = dict(con.execute("SELECT activity_id, member_id FROM activities").fetchall())
        organisers = {a for a, m in owners.items() if m in reachable and m != "ind-04"}
        link = next(p for p in links if p.split("/")[4] in organisers)
        with console_at(config) as (base, _), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            reader = browser.new_page(viewport={"width": 375, "height": 800})
            reader.goto(base + link)
            expect(reader.locator("h1")).to_have_text("この取組について相談する")
            expect(reader.locator("form")).to_contain_text("岡山県商工会議所連合会")
            reader.select_option("select[name=purpose]", "共同研究")
            reader.fill(
                "textarea[name=message]", "御社の技術について共同研究の可能性を伺いたいです。"
            )
            reader.click("button[type=submit]")
            expect(reader.locator("h1")).to_have_text("ご相談を受け付けました")
            staff = browser.new_page(viewport={"width": 1280, "height": 900})
            staff.on("dialog", lambda dialog: dialog.accept())
            staff.goto(base + "/login")
            staff.fill("input[name=login]", "henshu")
            staff.fill("input[name=password]", PASSWORDS["henshu"][2])
            staff.click("form[action='/login'] button[type=submit]")
            staff.goto(base + "/consultations")
            staff.click("table a")
            before = len(smtp.messages)
            staff.click("form button.primary")
            expect(staff.locator("p.flash")).to_contain_text("紹介のメールを送りました")
            staff.select_option("select[name=outcome]", "面談・打合せ")
            staff.click("form.row button[type=submit]")
            expect(staff.locator("p.flash")).to_contain_text("結果を記録しました")
            staff.select_option("select[name=outcome]", "共同研究・事業化に進展")
            staff.click("form.row button[type=submit]")
            staff.goto(base + "/consultations")
            figures = staff.locator("section.card table").inner_text()
            browser.close()
    introduced = [(to, raw) for to, raw in smtp.messages[before:]]
    assert len(introduced) >= 2  # one mail, to both parties
    recipients = {address for to, _ in introduced for address in to}
    assert READER in recipients and len(recipients) >= 2
    subject = message_from_bytes(introduced[0][1], policy=policy.default)["Subject"]
    assert subject.startswith("【ご紹介】")
    assert "\t1\t1\t1\t1" in figures  # requests, introductions, meetings, collaborations


def pipeline_date():
    from console_support import SEND_DATE

    return SEND_DATE


def test_a_link_cannot_be_altered_to_another_item_reader_or_issue(tmp_path: Path) -> None:
    key = "k" * 40
    make = link_maker(key, PUBLIC, READER, "2026-11")
    reader, activity, mac = make("a1b2c3").split("/")[-3:]
    assert read_link(key, reader, activity, mac, days=90).email == READER
    other_reader = link_maker(key, PUBLIC, "x@example.jp", "2026-11")("a1b2c3").split("/")[-3]
    for parts in ((reader, "ffffff", mac), (other_reader, activity, mac), (reader, activity, "x")):
        with pytest.raises(ConsultLinkRefused):
            read_link(key, *parts, days=90)
    with pytest.raises(ConsultLinkRefused):
        read_link("other-key" * 5, reader, activity, mac, days=90)


def test_a_link_expires_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    key = "k" * 40
    reader, activity, mac = link_maker(key, PUBLIC, READER, "2026-11")("a1").split("/")[-3:]
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 91 * 86400)
    with pytest.raises(ConsultLinkRefused, match="有効期限が切れています"):
        read_link(key, reader, activity, mac, days=90)


def test_the_console_key_signs_the_links(tmp_path_factory, tmp_path: Path) -> None:
    config = console_folder(tmp_path_factory, tmp_path / "w")
    settings = load_settings(config)
    assert console_key(settings.console) == console_key(settings.console)


def test_requests_without_an_outcome_are_listed_to_the_secretariat(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from renkei.collaboration.reminders import remind
    from renkei.collaboration.requests import create_request

    config = console_folder(tmp_path_factory, tmp_path / "w")
    settings = load_settings(config)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        (activity,) = con.execute("SELECT min(activity_id) FROM activities").fetchone() or ("",)
    number = create_request(
        settings,
        activity_id=activity,
        issue_id=None,
        email=READER,
        member_id="ind-04",
        name="岡山 花子",
        purpose="技術相談",
        message="分析装置の利用について相談したい",
        consent_share=False,
    )
    assert remind(settings, weeks=4).endswith("nothing mailed")
    later = datetime.now(UTC) + timedelta(weeks=5)
    assert remind(settings, weeks=4, now=later).startswith("consultations: 1 without an outcome")
    mail = next((settings.mail.outbox / "consultations" / "reminders").glob("*.eml")).read_bytes()
    body = message_from_bytes(mail, policy=policy.default).get_body(("plain",)).get_content()
    assert f"・相談 {number}（" in body and "新規" in body


def test_personal_parts_are_erased_after_the_retention_period_and_the_counts_stay(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from renkei.collaboration.reminders import purge_expired
    from renkei.collaboration.requests import create_request, figures

    config = console_folder(tmp_path_factory, tmp_path / "w")
    settings = load_settings(config)
    with open_warehouse(settings.warehouse, read_only=True) as con:
        (activity,) = con.execute("SELECT min(activity_id) FROM activities").fetchone() or ("",)
    create_request(
        settings,
        activity_id=activity,
        issue_id=None,
        email=READER,
        member_id="ind-04",
        name="岡山 花子",
        purpose="技術相談",
        message="個人的な事情を含む相談",
        consent_share=True,
    )
    counted = figures(settings)
    purge_expired(settings, now=datetime.now(UTC) + timedelta(days=37 * 30))
    with open_warehouse(settings.warehouse, read_only=True) as con:
        row = con.execute(
            "SELECT requester_email, requester_name, message FROM consultations"
        ).fetchall()
    assert row == [("", None, "（保存期間を過ぎたため削除）")]
    assert figures(settings) == counted


def test_an_introduction_that_fails_halfway_records_what_went_out_and_stays_open(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from renkei.collaboration.requests import (
        ConsultationError,
        create_request,
        get_request,
        introduce,
    )

    config = console_folder(tmp_path_factory, tmp_path / "w")
    with ScriptedServer() as smtp:
        for key, value in smtp_env(smtp.port).items():
            monkeypatch.setenv(key, value)
        settings = load_settings(config)
        with open_warehouse(settings.warehouse, read_only=True) as con:
            (activity,) = con.execute(
                "SELECT min(activity_id) FROM activities WHERE member_id = 'aca-23'"
            ).fetchone() or ("",)
        number = create_request(
            settings,
            activity_id=activity,
            issue_id=None,
            email=READER,
            member_id="ind-04",
            name="岡山 花子",
            purpose="共同研究",
            message="共同研究のご相談",
            consent_share=False,
        )
        smtp.rcpt_script[READER] = ["550 5.1.1 User unknown"]  # the second mail is refused
        with pytest.raises(ConsultationError, match="紹介のメールを送り切れませんでした"):
            introduce(settings, number, by="編集 花子（henshu）")
        row = get_request(settings, number)
    assert row["status"] == "new" and row["outcome"] is None
    [failed] = [e for e in row["events"] if e["kind"] == "introduce_failed"]
    assert failed["note"] == (  # in Japanese, the server's own words after it
        f"送信済み：{row['organiser_emails'][0]}。届かなかった：{READER}："
        "メールサーバーがこの宛先を受け付けませんでした（サーバーの応答：550 5.1.1 User unknown）"
    )
