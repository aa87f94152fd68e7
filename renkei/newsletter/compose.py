"""Choose what an issue carries and in which section: a pure function of its inputs.

The warehouse hands over candidate rows (``issue_candidates.sql``); this module sorts
them into sections, applies caps and builds the ``Issue`` the renderer draws.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from renkei.core.settings import Settings
from renkei.newsletter.model import Issue, Issuer, Item, Organiser, Related, Section
from renkei.newsletter.selection import Exclusion, duplicate, over_cap, place
from transforms.text import strip_invisible_text

SECTOR_ORDER = {"industry": 0, "academia": 1, "finance": 2, "government": 3}


class PeriodError(ValueError):
    """The period text is not YYYY-MM (the CLI reports it as a --period error)."""


@dataclass(frozen=True)
class Period:
    issue_id: str  # YYYY-MM
    start: date
    end: date  # inclusive

    @classmethod
    def parse(cls, text: str) -> Period:
        try:
            year, month = (int(p) for p in text.split("-"))
            last = calendar.monthrange(year, month)[1]
        except (ValueError, calendar.IllegalMonthError):
            raise PeriodError(f"period {text!r} is not YYYY-MM") from None
        return cls(f"{year:04d}-{month:02d}", date(year, month, 1), date(year, month, last))

    @classmethod
    def containing(cls, moment: datetime) -> Period:
        local = moment.astimezone(ZoneInfo("Asia/Tokyo"))
        return cls.parse(f"{local.year:04d}-{local.month:02d}")

    @property
    def label(self) -> str:
        return f"{self.start.year}年{self.start.month}月"


def _clean(text: Any) -> Any:
    """No control or invisible character reaches the renderer, whatever the source (an edit
    or a registry name did not come through normalise); None stays None."""
    return strip_invisible_text(text) if isinstance(text, str) else text


def _item(row: dict, *, reminder: bool = False) -> Item:
    url = _clean(row["url"] if (row["url"] or "").startswith("https://") else None)
    publisher = Organiser(
        member_id=row["member_id"],
        name=_clean(row["member_name"]),
        sector=row["sector"],
        prefecture=row["prefecture"],
        contact=_clean(row["contact"]),
    )
    co_hosts = tuple(
        Organiser(o["member_id"], _clean(o["name"]), o["sector"], o["prefecture"])
        for o in row.get("organisers") or ()
        if o["member_id"] != publisher.member_id
    )
    return Item(
        activity_id=row["activity_id"],
        title=_clean(row["title"]),
        summary=_clean(row["summary"] or ""),
        url=url,
        category=row["category"],
        organisers=(publisher, *co_hosts),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        all_day=bool(row["all_day"]),
        venue=_clean(row["venue"]),
        deadline_at=row["deadline_at"],
        published_at=row["published_at"],
        is_reminder=reminder,
        # Facts read from text (migration 013); .get(): candidate frames built by hand
        # in tests may not carry them.
        online=row.get("online"),
        fee=_clean(row.get("fee_text")),
        capacity=_clean(row.get("capacity_text")),
        audience=_clean(row.get("audience_text")),
        schedule=_clean(row.get("schedule_text")),
        fact_notes=_clean(row.get("fact_notes")),
        related=_related(row.get("related")),
    )


def _related(value: dict | None) -> Related | None:
    """The 「関連：」 line's activity (issue_candidates.sql best_related), if any."""
    if not value or not value.get("title"):
        return None
    return Related(_clean(value["title"]), _clean(value["member_name"] or ""), value["sector"])


@dataclass(frozen=True)
class Edits:
    """The secretariat's edits to one issue (see `renkei edit`)."""

    dropped: frozenset[str] = frozenset()
    pinned: frozenset[str] = frozenset()  # kept above the section cap, even if shown before
    titles: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    order: tuple[str, ...] = ()  # section keys, first to last
    ranks: dict[str, int] = field(default_factory=dict)  # position in its section (moves)

    @classmethod
    def from_rows(cls, rows: list[dict]) -> Edits:
        by_action: dict[str, dict[str, str]] = {}
        for r in rows:
            by_action.setdefault(r["action"], {})[r["activity_id"]] = r["value"] or ""
        order = by_action.get("order", {}).get("", "")
        return cls(
            dropped=frozenset(by_action.get("drop", {})),
            pinned=frozenset(by_action.get("pin", {})),
            titles=by_action.get("title", {}),
            summaries=by_action.get("summary", {}),
            order=tuple(k for k in order.split(",") if k),
            ranks={
                a: int(v)
                for a, v in by_action.get("rank", {}).items()
                if v.strip().lstrip("-").isdigit()
            },
        )


def _apply_edits(rows: list[dict], edits: Edits) -> list[dict]:
    kept = []
    for r in rows:
        r = dict(r)
        r["title"] = edits.titles.get(r["activity_id"], r["title"])
        r["summary"] = edits.summaries.get(r["activity_id"], r["summary"])
        kept.append(r)
    return kept


def edited_item(row: dict, edits: Edits) -> Item:
    """One candidate row as its card would show it, with the editor's overrides."""
    return _item(_apply_edits([row], edits)[0])


SECTION_TITLES = {
    "collaboration": "連携ハイライト（機関・地域をまたぐ取組）",
    "events": "開催予定のイベント",
    "calls": "公募・助成のご案内",
    "spotlight": "成功事例スポットライト",
    "news": "会員機関のお知らせ・成果",
}


@dataclass(frozen=True)
class Selection:
    """What the draft carries and what it leaves out, each with its reason."""

    sections: tuple[Section, ...]  # non-empty sections
    shown: list[tuple[str, str]]  # (activity_id, section) pairs actually shown
    excluded: tuple[Exclusion, ...] = ()  # candidates left out, and pinned stale warnings

    @property
    def warnings(self) -> tuple[Exclusion, ...]:
        return tuple(e for e in self.excluded if e.included)

    @property
    def left_out(self) -> tuple[Exclusion, ...]:
        return tuple(e for e in self.excluded if not e.included)


def _order(key: str, rows: list[dict]) -> list[dict]:
    if key == "calls":
        return sorted(
            rows,
            key=lambda r: (r["deadline_at"] is None, r["deadline_at"] or datetime.max, r["title"]),
        )
    if key == "news":
        return sorted(rows, key=lambda r: (SECTOR_ORDER.get(r["sector"], 9), r["reported_at"]))
    return rows


def _exclusion(row: dict, reason: str, *, included: bool = False) -> Exclusion:
    return Exclusion(
        row["activity_id"], _clean(row["title"]), _clean(row["member_name"]), reason, included
    )


def _ranked(rows: list[dict], ranks: dict[str, int]) -> list[dict]:
    """The section's shown rows in the order the editor gave (``renkei edit --up/--down``).

    The rule: the cap chooses first (pins, then the section's natural order), then the
    shown rows are sorted, stably, by their rank where one was given and by their natural
    index (pins first) where not. A ranked row takes the position it was given; on a tie
    with an unranked row the natural order decides. Moving an item stores a rank for every
    item of its section, so only items new since the move fall back to their index."""
    if not ranks:
        return rows
    natural = {r["activity_id"]: i for i, r in enumerate(rows)}
    return sorted(rows, key=lambda r: ranks.get(r["activity_id"], natural[r["activity_id"]]))


def sort_into_sections(
    candidates: pl.DataFrame,
    period: Period,
    *,
    as_of: date,
    cap: int,
    more_url: str,
    edits: Edits = Edits(),  # frozen; never mutated
) -> Selection:
    """Sort the candidates into sections for an issue sent on ``as_of`` (JST date); every
    candidate left out is named with its reason (see renkei.newsletter.selection)."""
    rows = _apply_edits(candidates.to_dicts(), edits)
    rank = {r["activity_id"]: i for i, r in enumerate(rows)}
    notes: list[Exclusion] = []
    placed: dict[str, list[tuple[dict, bool]]] = {key: [] for key in SECTION_TITLES}
    for r in rows:
        pinned = r["activity_id"] in edits.pinned
        if r["activity_id"] in edits.dropped and not r.get("hidden"):
            notes.append(_exclusion(r, "編集で除外"))
            continue
        where = place(r, start=period.start, end=period.end, as_of=as_of, pinned=pinned)
        if where.section is None:
            notes.append(_exclusion(r, where.reason or ""))
            continue
        if where.reason:  # pinned, though stale
            notes.append(_exclusion(r, where.reason, included=True))
        placed[where.section].append((r, where.reminder))
    sections = []
    for key, title in SECTION_TITLES.items():
        chosen = _order(key, [r for r, _ in placed[key]])
        reminders = {r["activity_id"] for r, reminder in placed[key] if reminder}
        pins = [r for r in chosen if r["activity_id"] in edits.pinned]
        rest = [r for r in chosen if r["activity_id"] not in edits.pinned]
        room = max(0, cap - len(pins))
        notes += [_exclusion(r, over_cap(title, cap)) for r in rest[room:]]
        shown_rows = _ranked(pins + rest[:room], edits.ranks)
        items = tuple(_item(r, reminder=r["activity_id"] in reminders) for r in shown_rows)
        sections.append(Section(key, title, items, len(rest[room:]), more_url))
    if edits.order:
        order = {key: i for i, key in enumerate(edits.order)}
        sections.sort(key=lambda s: order.get(s.key, len(order)))
    shown = [s for s in sections if s.items]
    pairs = [(i.activity_id, s.key) for s in shown for i in s.items]
    notes.sort(key=lambda e: (rank.get(e.activity_id, len(rank)), e.reason))
    for r in rows:  # merged duplicates of any candidate, after the candidates themselves
        title = _clean(r["title"])
        notes += [
            Exclusion(
                d["activity_id"],
                title,
                _clean(d["member_name"] or ""),
                duplicate(r["activity_id"], title),
            )
            for d in r.get("duplicates") or ()
        ]
    return Selection(tuple(shown), pairs, tuple(notes))


def build_issue(
    sections: tuple[Section, ...],
    period: Period,
    *,
    number: int,
    settings: Settings,
    editorial: str | None,
    generated_at: datetime,
) -> Issue:
    # What the mail carries: the preheader's counts agree with the 目次 and the greeting.
    counts = {s.key: len(s.items) for s in sections}
    parts = [
        f"イベント{counts['events']}件" if counts.get("events") else "",
        f"公募{counts['calls']}件" if counts.get("calls") else "",
        f"お知らせ{counts.get('news', 0) + counts.get('spotlight', 0)}件"
        if counts.get("news") or counts.get("spotlight")
        else "",
    ]
    title = settings.newsletter.title
    issuer = settings.issuer
    return Issue(
        issue_id=period.issue_id,
        number=number,
        period_start=period.start,
        period_end=period.end,
        title=title,
        subject=f"{title} 第{number}号（{period.label}）",
        preheader="・".join(p for p in parts if p) + f"｜{period.label}の産学官連携情報",
        issuer=Issuer(
            name=issuer.name,
            postal_address=issuer.postal_address,
            contact_email=str(issuer.contact_email),
            website=issuer.website,
            unsubscribe_url=issuer.unsubscribe_url,
        ),
        sections=sections,
        editorial=_clean(editorial),
        generated_at=generated_at,
        # per-recipient 「相談する」 links need the portal's public address
        extra={"consult": "1"} if settings.console.public_url else {},
    )


def events_until(period: Period, weeks: int) -> date:
    return period.end + timedelta(weeks=weeks)
