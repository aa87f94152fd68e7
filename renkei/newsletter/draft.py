"""Compile an issue's draft: the period's candidates, sorted into sections with the
secretariat's edits, rendered (HTML + text) and stored with its content hash.

A draft is a pure function of activities plus the secretariat's edits and hides; it is
recompiled until it is sent, and a recompile that changes the content changes the hash
(so an earlier approval no longer applies).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import astuple, dataclass, field, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import duckdb
import polars as pl

from renkei.core.audit import audit
from renkei.core.settings import Settings
from renkei.core.staging import write_batch
from renkei.newsletter.compose import (
    Edits,
    Period,
    Selection,
    build_issue,
    events_until,
    sort_into_sections,
)
from renkei.newsletter.model import Issue, Rendered, Section, content_digest
from renkei.newsletter.needs_section import needs_section
from renkei.newsletter.render import (
    NewsletterTooLarge,
    SkippedItem,
    render_issue,
    unrenderable_items,
)
from renkei.newsletter.selection import EXCLUDED_MARK, WARNING_MARK, Exclusion
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

logger = logging.getLogger("renkei.newsletter.draft")
EXCLUSION_SCHEMA = {
    "position": pl.Int32, "activity_id": pl.String, "title": pl.String,
    "member_name": pl.String, "reason": pl.String, "included": pl.Boolean,
}  # fmt: skip


@dataclass
class DraftReport:
    issue_id: str
    created: bool
    item_count: int = 0
    content_sha256: str | None = None
    status: str | None = None
    note: str | None = None
    note_ja: str | None = None  # the note in Japanese (summary_ja)
    # section title -> (items shown, items cut by the cap)
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)
    # items left out because they break the renderer (named, with the renderer's error)
    skipped: list[SkippedItem] = field(default_factory=list)
    # the send date the selection was made for (JST)
    as_of: date | None = None
    # candidates left out, each with its reason; pinned stale items (``included``) too
    excluded: list[Exclusion] = field(default_factory=list)

    def summary_ja(self) -> str:
        """The run in Japanese, for the console's dashboard: what it did then (a draft made
        then may have been approved and sent since)."""
        counts = "".join((
            f"、除外 {len(self.excluded)} 件" if self.excluded else "",
            f"、表示できず外した項目 {len(self.skipped)} 件" if self.skipped else "",
        ))  # fmt: skip
        if not self.created:
            return f"{self.issue_id}号：{self.note_ja or self.note}{counts}"
        when = f"、送信予定日 {self.as_of.isoformat()}" if self.as_of else ""
        return f"{self.issue_id}号の下書きを作りました（{self.item_count} 件{when}{counts}）"

    def summary(self) -> str:
        left_out = "".join(f"\n  skipped (does not render): {s.line()}" for s in self.skipped)
        left_out += "".join(
            f"\n  {WARNING_MARK if e.included else EXCLUDED_MARK}{e.line()}" for e in self.excluded
        )
        if not self.created:
            return f"issue {self.issue_id}: {self.note}{left_out}"
        when = f" (send date {self.as_of.isoformat()})" if self.as_of else ""
        return (
            f"issue {self.issue_id}: draft with {self.item_count} items{when}, "
            f"sha256 {self.content_sha256[:12] if self.content_sha256 else '-'}; awaiting approval"
            + left_out
        )


def _without(sections: tuple[Section, ...], ids: set[str]) -> tuple[Section, ...]:
    kept = (
        replace(s, items=tuple(i for i in s.items if i.activity_id not in ids)) for s in sections
    )
    return tuple(s for s in kept if s.items)


def _render(
    sections: tuple[Section, ...], make_issue: Callable[[tuple[Section, ...]], Issue]
) -> tuple[tuple[Section, ...], Issue, Rendered | None, list[SkippedItem]]:
    """Render the issue; when it fails, leave out the items that fail on their own (each
    named, with a warning) and render the rest. A failure that is not one item's (the
    editorial, the templates) and a too-large issue still fail the draft."""
    issue = make_issue(sections)
    try:
        return sections, issue, render_issue(issue), []
    except NewsletterTooLarge:
        raise
    except Exception:
        skipped = unrenderable_items(issue)
        if not skipped:
            raise
    for item in skipped:
        logger.warning(
            "issue %s: item left out, it does not render: %s", issue.issue_id, item.line()
        )
    sections = _without(sections, {s.activity_id for s in skipped})
    if not sections:
        return sections, issue, None, skipped
    issue = make_issue(sections)
    return sections, issue, render_issue(issue), skipped


@dataclass(frozen=True)
class Selected:
    """The inputs of an issue's selection and its result (what a compile would carry)."""

    candidates: pl.DataFrame
    edits: Edits
    selection: Selection


def select_items(
    con: duckdb.DuckDBPyConnection, settings: Settings, period: Period, as_of: date
) -> Selected:
    """Select the period's items for a send on ``as_of`` with the issue's edits, as the
    compile does (read only: the move and the console's workbench use it too)."""
    candidates = run_query(con, "issue_candidates", {
        "issue_id": period.issue_id, "period_start": period.start, "period_end": period.end,
        "events_until": events_until(period, settings.newsletter.upcoming_weeks),
        "as_of": as_of,
    })  # fmt: skip
    edits = Edits.from_rows(run_query(con, "issue_edits", {"issue_id": period.issue_id}).to_dicts())
    selection = sort_into_sections(
        candidates, period, as_of=as_of, cap=settings.newsletter.section_cap,
        more_url=settings.newsletter.dataset_url, edits=edits,
    )  # fmt: skip
    return Selected(candidates, edits, selection)


def draft(
    settings: Settings,
    period_text: str | None = None,
    *,
    editorial: str | None = None,
    as_of: date | None = None,
) -> DraftReport:
    """Compile the draft for ``period_text`` (YYYY-MM; default: the current month in JST),
    to be sent on ``as_of`` (default: today in JST): what has ended or closed by then is
    left out, and named with its reason."""
    period = Period.parse(period_text) if period_text else Period.containing(datetime.now(UTC))
    as_of = as_of or datetime.now(ZoneInfo("Asia/Tokyo")).date()
    with open_warehouse(settings.warehouse, stage="compile_newsletter") as con:
        existing = run_query(con, "issue_by_id", {"issue_id": period.issue_id})
        if existing.height and existing["status"][0] == "sent":
            status = existing["status"][0]
            return DraftReport(
                period.issue_id,
                False,
                status=status,
                note=f"already {status}; the draft is not recompiled",
                note_ja="送信済みのため、下書きは作り直しません",
            )
        if editorial is None and existing.height:  # an editorial note survives recompiles
            editorial = existing["editorial"][0]
        selection = select_items(con, settings, period, as_of).selection
        sections, shown = selection.sections, selection.shown
        if shown:  # approved needs and seeds ride along with an issue; they never make one
            needs = run_query(con, "needs_public", {"on": as_of}).to_dicts()
            sections = (*sections, *needs_section(needs))
        excluded = list(selection.excluded)
        if not shown:
            return DraftReport(
                period.issue_id,
                False,
                note="nothing new in this period: no issue compiled (新着なし)",
                note_ja="この期間の新着がないため、会報は作りませんでした（新着なし）",
                as_of=as_of,
                excluded=excluded,
            )
        before = run_query(con, "issue_count_before", {"period_start": period.start})["n"][0]
        generated_at = datetime.now(UTC)

        def make_issue(chosen: tuple[Section, ...]) -> Issue:
            return build_issue(
                chosen,
                period,
                number=settings.newsletter.first_number + int(before),
                settings=settings,
                editorial=editorial,
                generated_at=generated_at,
            )

        sections, issue, rendered, skipped = _render(sections, make_issue)
        if rendered is None:
            return DraftReport(
                period.issue_id,
                False,
                note="every item failed to render: no issue compiled",
                note_ja="どの項目も表示できなかったため、会報は作りませんでした",
                skipped=skipped,
                as_of=as_of,
                excluded=excluded,
            )
        left_out = {s.activity_id for s in skipped}
        shown = [pair for pair in shown if pair[0] not in left_out]
        digest = content_digest(rendered.subject, rendered.html, rendered.text)
        now = datetime.now(UTC)
        with transaction(con):
            execute(
                con,
                "upsert_issue_draft",
                {
                    "issue_id": issue.issue_id,
                    "number": issue.number,
                    "period_start": period.start,
                    "period_end": period.end,
                    "subject": rendered.subject,
                    "html": rendered.html,
                    "text": rendered.text,
                    "content_sha256": digest,
                    "item_count": len(shown),
                    "editorial": editorial,
                    "now": now,
                },
            )
            execute(con, "delete_issue_items", {"issue_id": issue.issue_id})
            write_batch(
                con,
                "insert_issue_items",
                pl.DataFrame(shown, schema=["activity_id", "section"], orient="row"),
                issue_id=issue.issue_id,
            )
            execute(con, "set_issue_as_of", {"issue_id": issue.issue_id, "as_of": as_of})
            execute(con, "delete_issue_exclusions", {"issue_id": issue.issue_id})
            write_batch(
                con,
                "insert_issue_exclusions",
                pl.DataFrame(
                    [(n, *astuple(e)) for n, e in enumerate(excluded)],
                    schema=EXCLUSION_SCHEMA,
                    orient="row",
                ),
                issue_id=issue.issue_id,
            )
            audit(
                con,
                "renkei",
                "draft",
                issue.issue_id,
                content_sha256=digest,
                items=len(shown),
                as_of=as_of.isoformat(),
                excluded=len(selection.left_out),
                **({"skipped": [vars(s) for s in skipped]} if skipped else {}),
            )
    counts = {s.title: (len(s.items), s.more_count) for s in sections}
    return DraftReport(
        issue.issue_id, True, len(shown), digest, "draft", sections=counts, skipped=skipped,
        as_of=as_of, excluded=excluded,
    )  # fmt: skip
