"""Moving an item up or down within its section (`renkei edit --up/--down`, the console):
the rank edits change the order of the mail and its hash, and survive recompiles."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import renkei_cli
from test_newsletter_selection import REGISTRY, activity, jst, upsert

from renkei import pipeline
from renkei.core.errors import ApprovalError
from renkei.core.settings import Settings
from renkei.newsletter.editing import edit_issue, move_item
from warehouse.connection import open_warehouse

SEND_DATE = date(2026, 11, 25)
EVENTS = ["知財セミナー（12月2日）", "技術交流会（12月5日）", "ものづくり展示会（12月10日～12日）"]


@pytest.fixture
def november(settings_for) -> Settings:
    return make_november(settings_for)


def make_november(settings_for) -> Settings:
    """Three upcoming events, one open call, one closed call, one news item; drafted for
    a send on 25 November (tests/test_workbench.py and test_approval_release.py too)."""
    settings = settings_for(REGISTRY)
    pipeline.sync_registry(settings)
    upsert(settings, [
        activity("ev-a", EVENTS[0], "event", jst(11, 1), starts=jst(12, 2, 13, 30),
                 ends=jst(12, 2, 16)),
        activity("ev-b", EVENTS[1], "event", jst(11, 2), starts=jst(12, 5)),
        activity("ev-c", EVENTS[2], "event", jst(11, 3), member_id="gov-04",
                 starts=jst(12, 10), ends=jst(12, 12)),
        activity("call-a", "共同研究助成", "call", jst(11, 5), deadline=jst(12, 20)),
        activity("call-old", "設備補助（締切済み）", "call", jst(11, 1), deadline=jst(11, 20)),
        activity("news-a", "新技術の開発に成功", "news", jst(11, 10), member_id="ind-04"),
    ])  # fmt: skip
    assert pipeline.draft(settings, "2026-11", as_of=SEND_DATE).created
    return settings


def stored(settings: Settings) -> dict:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return con.sql("SELECT * FROM newsletter_issues").pl().row(0, named=True)


def event_order(text: str) -> list[str]:
    return sorted(EVENTS, key=text.index)


def test_moving_an_item_changes_the_order_and_the_hash_and_survives_a_recompile(
    november: Settings,
) -> None:
    first = stored(november)
    assert event_order(first["text"]) == EVENTS
    report = move_item(november, "2026-11", "ev-c", "up", by="佐藤")
    assert report.as_of == SEND_DATE  # the draft's own send date, not today
    moved = stored(november)
    assert event_order(moved["text"]) == [EVENTS[0], EVENTS[2], EVENTS[1]]
    assert event_order(moved["html"].replace("\u200b", "")) == [EVENTS[0], EVENTS[2], EVENTS[1]]
    assert report.content_sha256 == moved["content_sha256"] != first["content_sha256"]
    again = pipeline.draft(november, "2026-11", as_of=SEND_DATE)
    assert again.content_sha256 == moved["content_sha256"]
    # other edits keep the order; so does an edit with no send date given
    assert edit_issue(november, "2026-11", by="佐藤", editorial="巻頭言").as_of == SEND_DATE
    assert event_order(stored(november)["text"]) == [EVENTS[0], EVENTS[2], EVENTS[1]]
    move_item(november, "2026-11", "ev-a", "down", by="佐藤")
    assert event_order(stored(november)["text"]) == [EVENTS[2], EVENTS[0], EVENTS[1]]
    with open_warehouse(november.warehouse, read_only=True) as con:
        ranks = con.execute(
            "SELECT activity_id, value, edited_by FROM issue_edits WHERE action = 'rank' "
            "ORDER BY value"
        ).fetchall()
    assert ranks == [("ev-c", "0", "佐藤"), ("ev-a", "1", "佐藤"), ("ev-b", "2", "佐藤")]


def test_moving_back_restores_the_original_content_hash(november: Settings) -> None:
    first = stored(november)["content_sha256"]
    assert move_item(november, "2026-11", "ev-b", "down", by="佐藤").content_sha256 != first
    assert move_item(november, "2026-11", "ev-b", "up", by="佐藤").content_sha256 == first


def test_a_move_past_the_end_or_of_an_item_not_in_the_draft_is_refused(
    november: Settings,
) -> None:
    with pytest.raises(ApprovalError, match="ev-a is already first in events"):
        move_item(november, "2026-11", "ev-a", "up", by="佐藤")
    with pytest.raises(ApprovalError, match="ev-c is already last in events"):
        move_item(november, "2026-11", "ev-c", "down", by="佐藤")
    with pytest.raises(ApprovalError, match="call-old is not in the draft"):
        move_item(november, "2026-11", "call-old", "up", by="佐藤")
    with pytest.raises(ApprovalError, match="no such issue"):
        move_item(november, "2026-12", "ev-a", "up", by="佐藤")


def test_undo_removes_the_rank_and_an_unranked_item_keeps_its_natural_place(
    november: Settings,
) -> None:
    move_item(november, "2026-11", "ev-c", "up", by="佐藤")  # ranks a0 c1 b2
    edit_issue(november, "2026-11", by="佐藤", undo=["ev-b"])  # b: natural index 1, ties c
    assert event_order(stored(november)["text"]) == [EVENTS[0], EVENTS[1], EVENTS[2]]


def test_the_cli_moves_an_item(november: Settings) -> None:
    config = str(november.warehouse.parent / "renkei.toml")
    ran = renkei_cli("edit", "2026-11", "--by", "佐藤", "--up", "ev-b", "--config", config)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("issue 2026-11: draft with 5 items (send date 2026-11-25)")
    assert event_order(stored(november)["text"]) == [EVENTS[1], EVENTS[0], EVENTS[2]]
