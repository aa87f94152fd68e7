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
from renkei.newsletter.model import Issue, Issuer, Item, Organiser, Section
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
    )


def _section(key: str, title: str, rows: list[dict], cap: int, more_url: str, **kw) -> Section:
    pinned = kw.get("pinned", frozenset())
    rows = sorted(rows, key=lambda r: r["activity_id"] not in pinned)  # stable: pinned first
    items = tuple(_item(r, reminder=kw.get("reminders", False) and r["shown_before"]) for r in rows)
    return Section(key, title, items[:cap], max(0, len(items) - cap), more_url)


@dataclass(frozen=True)
class Edits:
    """The secretariat's edits to one issue (see `renkei edit`)."""

    dropped: frozenset[str] = frozenset()
    pinned: frozenset[str] = frozenset()  # kept above the section cap, even if shown before
    titles: dict[str, str] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    order: tuple[str, ...] = ()  # section keys, first to last

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
        )


def _apply_edits(rows: list[dict], edits: Edits) -> list[dict]:
    kept = []
    for r in rows:
        if r["activity_id"] in edits.dropped:
            continue
        r = dict(r)
        r["title"] = edits.titles.get(r["activity_id"], r["title"])
        r["summary"] = edits.summaries.get(r["activity_id"], r["summary"])
        if r["activity_id"] in edits.pinned:
            r["shown_before"] = False  # a pinned item is shown again on purpose
        kept.append(r)
    return kept


def sort_into_sections(
    candidates: pl.DataFrame,
    period: Period,
    *,
    cap: int,
    more_url: str,
    edits: Edits = Edits(),  # frozen; never mutated
) -> tuple[tuple[Section, ...], list[tuple[str, str]]]:
    """Return non-empty sections and (activity_id, section) pairs actually shown."""
    rows = _apply_edits(candidates.to_dicts(), edits)
    # co-hosted across sectors or prefectures: the council's highlight (産学金官連携)
    collab = [r for r in rows if r.get("collaboration") and not r["shown_before"]]
    collab_ids = {r["activity_id"] for r in collab}
    rows = [r for r in rows if r["activity_id"] not in collab_ids]
    events = [r for r in rows if r["starts_at"] is not None and r["category"] != "call"]
    event_ids = {r["activity_id"] for r in events}
    calls = sorted(
        (r for r in rows if r["category"] == "call" and not r["shown_before"]),
        key=lambda r: (r["deadline_at"] is None, r["deadline_at"] or datetime.max, r["title"]),
    )
    call_ids = {r["activity_id"] for r in calls}
    in_period = [
        r
        for r in rows
        if r["activity_id"] not in event_ids | call_ids
        and not r["shown_before"]
        and period.start <= r["reported_at"].date() <= period.end
    ]
    cases = [r for r in in_period if r["category"] == "success_case"]
    news = sorted(
        (r for r in in_period if r["category"] != "success_case"),
        key=lambda r: (SECTOR_ORDER.get(r["sector"], 9), r["reported_at"]),
    )
    pin = {"pinned": edits.pinned}
    sections = [
        _section(
            "collaboration",
            "連携ハイライト（機関・地域をまたぐ取組）",
            collab,
            cap,
            more_url,
            **pin,
        ),
        _section("events", "開催予定のイベント", events, cap, more_url, reminders=True, **pin),
        _section("calls", "公募・助成のご案内", calls, cap, more_url, **pin),
        _section("spotlight", "成功事例スポットライト", cases, cap, more_url, **pin),
        _section("news", "会員機関のお知らせ・成果", news, cap, more_url, **pin),
    ]
    if edits.order:
        rank = {key: i for i, key in enumerate(edits.order)}
        sections.sort(key=lambda s: rank.get(s.key, len(rank)))
    shown = [s for s in sections if s.items]
    pairs = [(i.activity_id, s.key) for s in shown for i in s.items]
    return tuple(shown), pairs


def build_issue(
    sections: tuple[Section, ...],
    period: Period,
    *,
    number: int,
    settings: Settings,
    editorial: str | None,
    generated_at: datetime,
) -> Issue:
    counts = {s.key: len(s.items) + s.more_count for s in sections}
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
    )


def events_until(period: Period, weeks: int) -> date:
    return period.end + timedelta(weeks=weeks)
