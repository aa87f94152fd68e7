"""Subscribers: the contacts of member institutions who receive the bulletin.

Contacts come from the registry's ``contact_email`` column (several per member, separated
by ``;``) and start subscribed; the secretariat adds, removes and imports more with
``renkei subscribers``. Each has an opt-in state (subscribed | unsubscribed | bounced), a
language and interests — tags ``sector:<sector>``, ``prefecture:<都道府県>``,
``category:<category>``. Addresses are validated and normalised with email-validator and
compared lower-cased, so one person listed by two members receives one copy.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from email_validator import EmailNotValidError, validate_email

from renkei.core.charset import UndecodableError, decode_bytes
from renkei.core.errors import RenkeiError
from renkei.core.registry import PREFECTURES, SECTORS, sync_registry, unknown_members
from renkei.core.settings import Settings
from renkei.delivery.unsubscribe import apply_pending
from renkei.newsletter.model import CATEGORY_JA
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

INTEREST_KINDS = ("sector", "prefecture", "category")
LANGUAGES = ("ja", "en")


class SubscriberError(RenkeiError):
    """A subscriber command or import file has a problem, named with where it is."""

    exit_code = 2


@dataclass(frozen=True)
class Subscriber:
    email: str
    member_id: str
    language: str = "ja"
    interests: tuple[str, ...] = ()


def normalise_email(raw: str) -> str:
    """The address as stored and compared; raise ValueError with the reason."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"{raw.strip()!r} is not a valid e-mail address ({exc})") from None


def parse_interests(text: str) -> tuple[str, ...]:
    """``sector:academia; prefecture:広島県`` → sorted unique tags; raise ValueError."""
    tags: set[str] = set()
    for raw in text.replace("；", ";").replace(",", ";").split(";"):
        raw = raw.strip()
        if not raw:
            continue
        kind, colon, value = (p.strip() for p in raw.partition(":"))
        if not colon or kind not in INTEREST_KINDS or not value:
            raise ValueError(f"interest {raw!r}: expected one of {', '.join(INTEREST_KINDS)}:VALUE")
        if kind == "sector" and value not in SECTORS:
            raise ValueError(f"interest {raw!r}: sector must be one of {', '.join(SECTORS)}")
        if kind == "prefecture" and value not in PREFECTURES:
            raise ValueError(f"interest {raw!r}: unknown prefecture")
        if kind == "category" and value not in CATEGORY_JA:
            raise ValueError(f"interest {raw!r}: category must be one of {', '.join(CATEGORY_JA)}")
        tags.add(f"{kind}:{value}")
    return tuple(sorted(tags))


def make_subscriber(email: str, member_id: str, language: str, interests: str) -> Subscriber:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: expected one of {', '.join(LANGUAGES)}")
    return Subscriber(
        normalise_email(email), member_id.strip(), language, parse_interests(interests)
    )


def _save(settings: Settings, subscribers: list[Subscriber], source: str) -> int:
    members = sync_registry(settings)  # the registry is the source of members
    unknown = unknown_members(members, {s.member_id for s in subscribers})
    if unknown:
        raise SubscriberError(
            f"member {', '.join(unknown)}: not in the registry {settings.registry}"
        )
    now = datetime.now(UTC)
    unique = {s.email: s for s in subscribers}  # the last row for an address wins
    with open_warehouse(settings.warehouse, stage="subscribers") as con:
        apply_pending(settings, con)
        with transaction(con):
            for s in unique.values():
                execute(
                    con,
                    "contact_upsert",
                    {
                        "email": s.email,
                        "member_id": s.member_id,
                        "source": source,
                        "now": now,
                        "language": s.language,
                        "interests": ",".join(s.interests),
                    },
                )
    return len(unique)


def add_subscriber(settings: Settings, subscriber: Subscriber) -> int:
    return _save(settings, [subscriber], "secretariat")


def remove_subscriber(settings: Settings, email: str) -> bool:
    """Mark an address unsubscribed (kept, so a registry reload cannot re-add it)."""
    try:
        address = normalise_email(email)
    except ValueError as exc:
        raise SubscriberError(str(exc)) from None
    with open_warehouse(settings.warehouse, stage="subscribers") as con:
        found = run_query(con, "contacts_list", {"member_id": None}).filter(
            pl.col("email") == address
        )
        if not found.height:
            return False
        execute(
            con,
            "contact_set_status",
            {
                "email": address,
                "status": "unsubscribed",
                "source": "secretariat",
                "now": datetime.now(UTC),
            },
        )
        execute(
            con,
            "insert_audit",
            {
                "at": datetime.now(UTC),
                "actor": "secretariat",
                "action": "unsubscribe",
                "subject": address,
                "detail": '{"via": "renkei subscribers remove"}',
            },
        )
    return True


def read_import(path: Path) -> list[Subscriber]:
    """Read ``email, member_id[, language][, interests]`` rows; every problem at once."""
    try:
        text = decode_bytes(path.read_bytes()).text
    except (OSError, UndecodableError) as exc:
        raise SubscriberError(f"{path}: cannot read: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if "email" not in header or "member_id" not in header:
        raise SubscriberError(f"{path}: header needs email and member_id columns")
    reader.fieldnames = header
    good: list[Subscriber] = []
    problems: list[str] = []
    for number, row in enumerate(reader, start=2):
        get = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            good.append(
                make_subscriber(
                    get["email"],
                    get["member_id"],
                    get.get("language") or "ja",
                    get.get("interests", ""),
                )
            )
        except ValueError as exc:
            problems.append(f"row {number}: {exc}")
    if problems:
        raise SubscriberError(f"{path}: " + "; ".join(problems))
    return good


def import_subscribers(settings: Settings, path: Path) -> int:
    return _save(settings, read_import(path), f"import:{path.name}")


def list_subscribers(settings: Settings, member_id: str | None = None) -> pl.DataFrame:
    with open_warehouse(settings.warehouse, stage="subscribers") as con:
        apply_pending(settings, con)
        return run_query(con, "contacts_list", {"member_id": member_id})
