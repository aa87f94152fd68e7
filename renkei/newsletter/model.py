"""Plain data handed from composition (warehouse selection) to rendering (templates).

The renderer sees only these objects, never the warehouse, so templates can be
tested with hand-built issues and a designer can preview without a database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

SECTOR_JA = {"industry": "産", "academia": "学", "finance": "金", "government": "官"}

CATEGORY_JA = {
    "event": "イベント・セミナー",
    "call": "公募・助成",
    "news": "お知らせ・成果",
    "success_case": "成功事例",
    "training": "人材育成・研修",
    "other": "その他",
}


@dataclass(frozen=True)
class Issuer:
    """Who sends the bulletin. 特定電子メール法 requires name, postal address, contact."""

    name: str
    postal_address: str
    contact_email: str
    website: str
    unsubscribe_url: str  # https URL; per-recipient token is appended at send time


@dataclass(frozen=True)
class Organiser:
    member_id: str
    name: str
    sector: str  # industry | academia | finance | government
    prefecture: str
    contact: str | None = None  # e-mail, phone or URL for follow-up, when known


@dataclass(frozen=True)
class Related:
    """The best related activity of another member (related_activities, rank 1), shown as
    one line 「関連：<title>（<member>、<産学金官>）」 under the item."""

    title: str
    member_name: str
    sector: str  # industry | academia | finance | government


@dataclass(frozen=True)
class Item:
    activity_id: str
    title: str
    summary: str
    url: str | None  # absolute https:// (or http://) link to the source
    category: str  # key of CATEGORY_JA
    organisers: tuple[Organiser, ...]
    starts_at: datetime | None = None  # Asia/Tokyo
    ends_at: datetime | None = None
    all_day: bool = True
    venue: str | None = None
    deadline_at: datetime | None = None
    published_at: datetime | None = None
    is_reminder: bool = False  # 再掲: an upcoming event already shown in an earlier issue
    online: str | None = None  # 'online' | 'hybrid' | None (in person or unknown)
    fee: str | None = None  # as written: 無料, 3,000円
    capacity: str | None = None  # 50名
    audience: str | None = None  # 県内中小企業の技術者
    schedule: str | None = None  # 全2回（12月19日・1月16日）各日9:30～16:00 (separate days)
    # One line per fact read from free text (where it came from), for the reviewer's
    # preview page only: never rendered into the mail.
    fact_notes: str | None = None
    related: Related | None = None  # at most one line, only above the measured similarity


@dataclass(frozen=True)
class Section:
    key: str  # events | calls | news | ...
    title: str  # Japanese heading, e.g. 開催予定のイベント
    items: tuple[Item, ...]
    more_count: int = 0  # items cut by the section cap
    more_url: str | None = None  # where the rest can be read (the dataset)


@dataclass(frozen=True)
class Issue:
    issue_id: str  # e.g. "2026-11"
    number: int  # 第N号
    period_start: date
    period_end: date  # inclusive
    title: str  # newsletter name, e.g. 中国地域産学官連携通信
    subject: str
    preheader: str
    issuer: Issuer
    sections: tuple[Section, ...]
    editorial: str | None = None  # 巻頭言
    generated_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str
    subject: str


def content_digest(subject: str, html: str, text: str) -> str:
    """The hash a draft is stored and approved under; ``send`` recomputes it from what it is
    about to send. One formula for both."""
    return hashlib.sha256(f"{subject}\x1f{html}\x1f{text}".encode()).hexdigest()
