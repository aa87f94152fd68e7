"""Needs and seeds: a member posts one anonymously; after the secretariat's approval it is
public without any trace of the poster; an answer about it is relayed, never revealing
the poster."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from console_support import console_at, console_folder, csrf_of, signed_in_client
from test_portal import CONTACT, portal_client

from renkei.collaboration.needs import public_needs
from renkei.collaboration.requests import create_request, introduce
from renkei.core.settings import load_settings

TITLE = "微細加工の共同開発先を探しています"


@pytest.fixture
def config(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return console_folder(tmp_path_factory, tmp_path / "w")


def test_an_anonymous_need_is_published_after_approval_without_the_poster(config: Path) -> None:
    expires = (date.today() + timedelta(days=60)).isoformat()
    with console_at(config) as (base, settings):
        member = portal_client(base, settings)
        page = member.get("/portal/needs").text
        posted = member.post(
            "/portal/needs",
            data={
                "csrf": csrf_of(page),
                "kind": "need",
                "title": TITLE,
                "anonymous": "yes",
                "body": "樹脂部品の微細加工で、量産に向けた共同開発先を探しています。",
                "expires_on": expires,
            },
        )
        before = public_needs(settings, date.today())
        staff = signed_in_client(base, "henshu")
        queue = staff.get("/needs").text
        number = re.search(r'action="/needs/(\d+)"', queue)
        assert number
        approved = staff.post(
            f"/needs/{number.group(1)}", data={"csrf": csrf_of(queue), "do": "approve", "note": ""}
        )
    assert posted.status_code == 303 and before == []
    assert approved.status_code == 303
    assert "岡山県商工会議所連合会" in queue and "匿名で掲載" in queue
    [need] = public_needs(settings, date.today())
    assert need["title"] == TITLE and need["kind"] == "need"
    assert need["member_name"] is None and need["sector"] is None and need["prefecture"] is None
    assert CONTACT not in repr(need)


def test_an_answer_to_an_anonymous_need_is_relayed_without_naming_the_poster(
    config: Path,
) -> None:
    from renkei.collaboration.needs import post_need, review_need

    settings = load_settings(config)
    number = post_need(
        settings,
        member_id="ind-04",
        email=CONTACT,
        kind="seed",
        title="分析装置を開放します",
        body="大型の表面分析装置を会員に開放します。",
        anonymous=True,
        expires_on=date.today() + timedelta(days=30),
    )
    review_need(settings, number, approve=True, by="編集 花子（henshu）")
    request = create_request(
        settings,
        activity_id=f"need-{number}",
        issue_id=None,
        email="info@hiroshima-u.example.jp",
        member_id="aca-13",
        name="広島 太郎",
        purpose="施設利用",
        message="装置を使わせていただけますか。",
        consent_share=True,
    )
    sent = introduce(settings, request, by="編集 花子（henshu）")
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in (settings.mail.outbox / "consultations").rglob("*.eml")
    ]
    to_requester = [m for m in mails if "hiroshima" in m["To"]]
    assert sent and to_requester
    body = to_requester[0].get_body(("plain",)).get_content()
    assert CONTACT not in body and "岡山県商工会議所連合会" not in body
    assert all(CONTACT not in str(m["To"]) for m in to_requester)


def test_an_approved_anonymous_need_is_in_the_next_draft_and_the_data_without_the_poster(
    config: Path,
) -> None:
    import csv

    from console_support import ISSUE, SEND_DATE

    from renkei import pipeline
    from renkei.collaboration.needs import post_need, review_need
    from renkei.newsletter.review import load_draft

    settings = load_settings(config)
    number = post_need(
        settings,
        member_id="ind-04",
        email=CONTACT,
        kind="need",
        title=TITLE,
        body="樹脂部品の微細加工で、量産に向けた共同開発先を探しています。",
        anonymous=True,
        expires_on=SEND_DATE + timedelta(days=60),
        today=SEND_DATE - timedelta(days=10),
    )
    draft_before = pipeline.draft(settings, ISSUE, as_of=SEND_DATE)
    assert TITLE not in load_draft(settings, ISSUE).text  # not before the review
    review_need(settings, number, approve=True, by="編集 花子（henshu）")
    told = next(
        (settings.mail.outbox / "consultations" / f"needs-{number}").glob("*.eml")
    ).read_bytes()
    told_body = message_from_bytes(told, policy=policy.default).get_body(("plain",)).get_content()
    assert f"「{TITLE}」を確認しました" in told_body and "機関名は出しません" in told_body
    assert pipeline.draft(settings, ISSUE, as_of=SEND_DATE).content_sha256 != (
        draft_before.content_sha256
    )
    draft = load_draft(settings, ISSUE)
    card = draft.text.split(TITLE, 1)[1].split("◇", 1)[0].split("━━", 1)[0]
    assert "匿名の会員機関より" in card and "岡山" not in card and CONTACT not in card
    pipeline.publish(settings)
    published = settings.publish_dir
    with (published / "needs_seeds.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [
        (r["題名"], r["種類"], r["機関名（匿名は空）"], r["区分"], r["都道府県"]) for r in rows
    ] == [(TITLE, "技術ニーズ", "", "", "")]
    for path in published.rglob("*"):  # nothing published ties the need to its poster
        if path.is_file() and path.suffix in (".csv", ".json", ".html", ".atom", ".ics"):
            text = path.read_text("utf-8", errors="replace")
            assert CONTACT not in text, path
            if TITLE in text:
                assert path.name == "needs_seeds.csv", path


def test_a_signed_in_member_answers_a_need_from_the_public_form(config: Path) -> None:
    from renkei.collaboration.needs import post_need, review_need
    from renkei.collaboration.requests import list_requests

    settings = load_settings(config)
    number = post_need(
        settings,
        member_id="aca-13",
        email="sangaku@hiroshima-u.example.jp",
        kind="seed",
        title="分析装置を開放します",
        body="表面分析装置を会員に開放します。",
        anonymous=True,
        expires_on=date.today() + timedelta(days=30),
    )
    review_need(settings, number, approve=True, by="編集 花子（henshu）")
    with console_at(config) as (base, _):
        member = portal_client(base, settings)
        form = member.get(f"/portal/consult?activity=need-{number}").text
        sent = member.post(
            "/portal/consult",
            data={
                "csrf": csrf_of(form),
                "activity_id": f"need-{number}",
                "purpose": "施設利用",
                "message": "装置を使わせてください。",
                "name": "岡山 花子",
            },
        )
    assert "（匿名の会員機関）" in form and "None" not in form
    assert 'name="consent" value="yes" >' in form  # not ticked until the reader ticks it
    assert sent.status_code == 200 and "ご相談を受け付けました" in sent.text
    [request] = list_requests(settings)
    assert request["activity_id"] == f"need-{number}" and request["consent_share"] is False
