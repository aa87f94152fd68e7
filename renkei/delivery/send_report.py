"""What a send run did, for the CLI, the flows and the console: ``SendReport``."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SendReport"]


@dataclass
class SendReport:
    issue_id: str
    sent: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    already_sent: bool = False
    resolved: int = 0  # rows a killed run left, decided (renkei.delivery.send)
    variants: int = 0  # orderings of the items prepared (interests first; one when none)
    unknown: list[str] = field(default_factory=list)  # decided unknown in this run
    unknown_before: int = 0  # unknown from earlier runs, left as they are (at most once)
    suppressed: dict[str, int] = field(default_factory=dict)  # skipped: bounced, complaint

    def summary_ja(self) -> str:
        """The run in Japanese, for the console's dashboard."""
        if self.already_sent:
            return f"{self.issue_id}号：送信済みのため、送り直していません"
        line = (
            f"{self.issue_id}号：送信 {self.sent}・受信済みのため省略 {self.skipped}・"
            f"失敗 {len(self.failed)}"
        )
        if self.unknown:
            line += f"・結果不明 {len(self.unknown)}（最後の応答がありませんでした）"
        if self.suppressed:
            line += f"；配信停止中の宛先 {sum(self.suppressed.values())} 件は送っていません"
        return line

    def summary(self) -> str:
        if self.already_sent:
            line = f"issue {self.issue_id}: already sent; nothing sent again"
        else:
            line = (
                f"issue {self.issue_id}: {self.sent} sent, {self.skipped} already had it, "
                f"{len(self.failed)} failed"
            )
            if self.unknown:
                line += f", {len(self.unknown)} unknown (no reply after the final '.')"
        if self.suppressed:
            why = ", ".join(f"{n} {k}" for k, n in sorted(self.suppressed.items()))
            line += f"; {sum(self.suppressed.values())} suppressed addresses skipped ({why})"
        if self.unknown_before:
            line += (
                f"; {self.unknown_before} unknown from an earlier run, not resent "
                f"(`renkei deliveries {self.issue_id}` lists them; "
                f"`renkei send {self.issue_id} --resend-unknown` resends them)"
            )
        return line
