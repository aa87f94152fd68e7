"""Each run's summary in Japanese (the console's dashboard shows it; commands, flows and
logs print the English one): what each stage's report says, word for word."""

from __future__ import annotations

from datetime import date

from renkei.core.runs import RunRecord
from renkei.delivery.bounce_mailbox import BounceReport
from renkei.delivery.bounce_rules import Recorded
from renkei.delivery.send import SendReport
from renkei.feeds.report import FeedReport
from renkei.newsletter.draft import DraftReport
from renkei.normalize.activities import NormalizeReport


def test_a_feed_run_in_japanese() -> None:
    report = FeedReport(feeds=7, ok=6, failed=["aca-03: ConnectError"], items_staged=32,
                        parsed=5, not_modified=1, moved=["x: a -> b"])  # fmt: skip
    assert report.summary_ja() == (
        "フィード 7 件：取得 6・失敗 1、新しい項目 32 件（解析 5・更新なし 1・内容が同じ 0）"
        "；移転 1"
    )


def test_a_normalise_run_in_japanese() -> None:
    assert NormalizeReport(43, 42, 0, 1).summary_ja() == (
        "全件の整理：取り込んだ 43 行 → 活動 42 件（要確認で保留 0 件・統合 1 件）"
    )
    assert NormalizeReport(10, 9, 1, mode="incremental").summary_ja() == (
        "差分の整理：取り込んだ 10 行 → 活動 9 件（要確認で保留 1 件）"
    )


def test_a_draft_run_says_what_it_did_then() -> None:
    made = DraftReport("2026-11", True, item_count=26, as_of=date(2026, 11, 25))
    assert made.summary_ja() == "2026-11号の下書きを作りました（26 件、送信予定日 2026-11-25）"
    none = DraftReport("2026-12", False, note="nothing new", note_ja="この期間の新着がないため")
    assert none.summary_ja() == "2026-12号：この期間の新着がないため"


def test_a_send_run_in_japanese() -> None:
    report = SendReport("2026-11", sent=11, skipped=2, failed=["a@x.jp"], unknown=["b@x.jp"],
                        suppressed={"bounced": 3})  # fmt: skip
    assert report.summary_ja() == (
        "2026-11号：送信 11・受信済みのため省略 2・失敗 1・結果不明 1（最後の応答がありません"
        "でした）；配信停止中の宛先 3 件は送っていません"
    )
    assert SendReport("2026-11", already_sent=True).summary_ja() == (
        "2026-11号：送信済みのため、送り直していません"
    )


def test_a_bounce_run_in_japanese() -> None:
    recorded = [Recorded("k1", "hard", "a@x.jp", "2026-11", "verp", "suppressed"),
                Recorded("k2", "autoreply", None, None, "none", None)]  # fmt: skip
    assert BounceReport(read=2, recorded=recorded).summary_ja() == (
        "不達メール 2 通を確認（自動返信 1・恒久的な不達 1）；配信を止めた宛先 1 件"
    )


def test_a_run_record_takes_both_summaries_from_a_report() -> None:
    run = RunRecord()
    assert run.report(NormalizeReport(1, 1, 0)) == "1 staged rows -> 1 activities, 0 quarantined"
    assert run.summary_ja == "全件の整理：取り込んだ 1 行 → 活動 1 件（要確認で保留 0 件）"

    class English:
        def summary(self) -> str:
            return "done"

    assert (run.report(English()), run.summary_ja) == ("done", "")
