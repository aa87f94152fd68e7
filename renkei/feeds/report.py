"""What a feed ingest run did, for the CLI, the flows and the console: ``FeedReport``.

Imports nothing of ours; filled in by renkei.feeds.ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FeedReport"]


@dataclass
class FeedReport:
    feeds: int = 0
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    items_staged: int = 0
    bozo: list[str] = field(default_factory=list)
    parsed: int = 0  # bodies that were new and parsed
    not_modified: int = 0  # 304: nothing parsed, nothing stored
    unchanged: int = 0  # 200 with the same sha256 as last time: nothing parsed
    moved: list[str] = field(default_factory=list)  # "member: old -> new (why)"
    all_unreachable: bool = False  # no feed got an HTTP answer: not counted against them
    not_due: list[str] = field(default_factory=list)  # waiting (backoff, Retry-After, max-age)
    disabled: list[str] = field(default_factory=list)  # disabled now (410 Gone)
    still_disabled: list[str] = field(default_factory=list)  # disabled earlier: not fetched
    pages: int = 0  # HTML pages (homepages) kept in the raw store
    items_same: int = 0  # items of changed bodies left unparsed: same bytes as last time
    over_limit: list[str] = field(default_factory=list)  # feeds with items past max_items

    def summary(self) -> str:
        text = (
            f"{self.feeds} feeds, {self.ok} fetched, {len(self.failed)} failed, "
            f"{self.items_staged} new staged items ({self.parsed} parsed, "
            f"{self.not_modified} not modified, {self.unchanged} unchanged)"
        )
        notes = (  # each only when there is something to say
            (self.items_same, f"{self.items_same} unchanged items not parsed again"),
            (self.over_limit, f"{len(self.over_limit)} over the item limit"),
            (self.moved, f"{len(self.moved)} moved"),
            (self.not_due, f"{len(self.not_due)} not due"),
            (self.disabled, f"{len(self.disabled)} disabled now (410 Gone)"),
            (self.still_disabled, f"{len(self.still_disabled)} disabled"),
            (
                self.all_unreachable,
                "no feed reachable (our network?): not counted against the feeds",
            ),
        )
        text += "".join(f"; {note}" for present, note in notes if present)
        return text

    def summary_ja(self) -> str:
        """The run in Japanese, for the console's dashboard."""
        text = (
            f"フィード {self.feeds} 件：取得 {self.ok}・失敗 {len(self.failed)}、"
            f"新しい項目 {self.items_staged} 件（解析 {self.parsed}・更新なし "
            f"{self.not_modified}・内容が同じ {self.unchanged}）"
        )
        notes = (
            (self.items_same, f"変わらない項目 {self.items_same} 件は読み直さず"),
            (self.over_limit, f"項目数の上限を超えたフィード {len(self.over_limit)}"),
            (self.moved, f"移転 {len(self.moved)}"),
            (self.not_due, f"取得を待っているフィード {len(self.not_due)}"),
            (self.disabled, f"停止（410 Gone）{len(self.disabled)}"),
            (self.still_disabled, f"停止中 {len(self.still_disabled)}"),
            (
                self.all_unreachable,
                "どのフィードにもつながりませんでした（こちらのネットワークの問題かもしれない"
                "ため、フィードの失敗には数えません）",
            ),
        )
        return text + "".join(f"；{note}" for present, note in notes if present)

    def details(self) -> list[str]:
        """One line per feed that needs a look: failed, moved, disabled, backing off."""
        return [
            *(f"failed: {line}" for line in self.failed),
            *(f"moved: {line}" for line in self.moved),
            *(f"over the item limit: {line}" for line in self.over_limit),
            *(f"disabled: {line}" for line in self.disabled),
            *(f"still disabled: {line}" for line in self.still_disabled),
            *(f"waiting: {line}" for line in self.not_due if "failures in a row" in line),
        ]
