"""The member registry: the CSV the secretariat edits in Excel.

Columns (a public contract): member_id, name, sector, prefecture, feed_url,
contact_email; optional sector_ja, scope and aliases. ``contact_email`` may hold several
addresses separated by ``;``; ``aliases`` the other names members write for the member
(広大, 呉高専…), separated by ``;``, each belonging to one member only. Every problem is
reported with its row number at once.
``sync_registry`` loads it into the warehouse (members and their contacts), and
``require_member`` is the one check that a member exists.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import polars as pl
from email_validator import EmailNotValidError, validate_email

from renkei.core.charset import UndecodableError, decode_bytes
from renkei.core.errors import RegistryError, SubmissionError
from renkei.core.settings import Settings
from renkei.core.staging import write_batch
from warehouse.connection import open_warehouse

REQUIRED_COLUMNS = ("member_id", "name", "sector", "prefecture", "feed_url", "contact_email")
OPTIONAL_COLUMNS = ("sector_ja", "scope", "aliases")
SECTORS = ("industry", "academia", "finance", "government")
PREFECTURES = (
    "北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 "
    "神奈川県 新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 "
    "大阪府 兵庫県 奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 "
    "福岡県 佐賀県 長崎県 熊本県 大分県 宮崎県 鹿児島県 沖縄県"
).split()


@dataclass(frozen=True)
class Member:
    member_id: str
    name: str
    sector: str
    prefecture: str
    scope: str
    feed_url: str | None
    contact_emails: tuple[str, ...]
    aliases: tuple[str, ...] = ()


def _valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def _parse_emails(value: str) -> tuple[list[str], list[str]]:
    good, bad = [], []
    for raw in value.replace("；", ";").split(";"):
        raw = raw.strip()
        if not raw:
            continue
        try:
            # Lower-cased whole: local parts are case-sensitive in theory, but no mail
            # system in practice treats Foo@ and foo@ as two people, and a duplicate copy
            # of the bulletin is the worse mistake.
            good.append(validate_email(raw, check_deliverability=False).normalized.lower())
        except EmailNotValidError:
            bad.append(raw)
    return good, bad


def _parse_aliases(value: str) -> list[str]:
    return [a.strip() for a in value.replace("；", ";").split(";") if a.strip()]


def _alias_key(name: str) -> str:
    """How two written names are compared for a clash (NFKC, no spaces, case-folded)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def parse_registry(text: str, source: str = "members.csv") -> list[Member]:
    """Validate registry text; raise RegistryError listing every problem by row."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise RegistryError(source, [f"header: missing column(s) {', '.join(missing)}"])
    reader.fieldnames = header
    problems: list[str] = []
    members: list[Member] = []
    seen: dict[str, int] = {}
    names_seen: dict[str, tuple[int, str]] = {}  # alias key -> (row, member_id)
    for number, row in enumerate(reader, start=2):  # row 1 is the header, as Excel counts
        get = {k: (v or "").strip() for k, v in row.items() if k is not None}
        where = f"row {number}"
        member_id = get.get("member_id", "")
        if not member_id:
            problems.append(f"{where}: member_id is empty")
        elif member_id in seen:
            problems.append(f"{where}: member_id {member_id!r} repeats row {seen[member_id]}")
        else:
            seen[member_id] = number
        if not get.get("name"):
            problems.append(f"{where}: name is empty")
        sector = get.get("sector", "")
        if sector not in SECTORS:
            problems.append(f"{where}: sector {sector!r} is not one of {', '.join(SECTORS)}")
        prefecture = get.get("prefecture", "")
        if prefecture not in PREFECTURES:
            problems.append(f"{where}: prefecture {prefecture!r} is not a Japanese prefecture")
        feed_url = get.get("feed_url") or None
        if feed_url and not _valid_url(feed_url):
            problems.append(f"{where}: feed_url {feed_url!r} is not an http(s) URL")
        emails, bad = _parse_emails(get.get("contact_email", ""))
        problems.extend(f"{where}: contact_email {b!r} is not a valid address" for b in bad)
        aliases = _parse_aliases(get.get("aliases", ""))
        for alias in aliases:
            earlier = names_seen.setdefault(_alias_key(alias), (number, member_id))
            if earlier[1] != member_id:
                problems.append(f"{where}: alias {alias!r} is also an alias of row {earlier[0]}")
        members.append(
            Member(
                member_id=member_id,
                name=get.get("name", ""),
                sector=sector,
                prefecture=prefecture,
                scope=get.get("scope", ""),
                feed_url=feed_url,
                contact_emails=tuple(emails),
                aliases=tuple(dict.fromkeys(aliases)),
            )
        )
    if not members and not problems:
        problems.append("the registry has no member rows")
    if problems:
        raise RegistryError(source, problems)
    return members


def load_registry(path: Path) -> list[Member]:
    if not path.is_file():
        raise RegistryError(str(path), ["file not found (the `registry` setting names it)"])
    try:
        text = decode_bytes(path.read_bytes()).text
    except UndecodableError as exc:
        raise RegistryError(str(path), [str(exc)]) from None
    return parse_registry(text, str(path))


def unknown_members(members: Iterable[Member], member_ids: Iterable[str]) -> list[str]:
    """The ids among ``member_ids`` that the registry does not list, sorted."""
    return sorted(set(member_ids) - {m.member_id for m in members})


def require_member(members: Iterable[Member], member_id: str, registry: Path) -> Member:
    """The registry entry of ``member_id``, or a SubmissionError naming the registry."""
    listed = {m.member_id: m for m in members}
    if unknown_members(listed.values(), [member_id]):
        raise SubmissionError(f"--member {member_id}: not in the registry {registry}")
    return listed[member_id]


def sync_registry(settings: Settings) -> list[Member]:
    """Validate the registry and load members and their contacts into the warehouse."""
    members = load_registry(settings.registry)
    with open_warehouse(settings.warehouse, stage="registry") as con:
        write_registry(con, members)
    return members


def read_registry(settings: Settings) -> list[Member]:
    """The validated registry, without the warehouse: for a stage that writes it with its
    own commit (``write_registry``; the feed ingest saves an open of the file per run)."""
    return load_registry(settings.registry)


_MEMBER_COLUMNS = ("member_id", "name", "sector", "prefecture", "scope", "feed_url", "aliases")


def write_registry(con: duckdb.DuckDBPyConnection, members: Sequence[Member]) -> None:
    """Upsert ``members`` and their contacts (unchanged rows are not rewritten)."""
    now = datetime.now(UTC)
    member_frame = pl.DataFrame(
        [
            {
                "member_id": m.member_id,
                "name": m.name,
                "sector": m.sector,
                "prefecture": m.prefecture,
                "scope": m.scope,
                "feed_url": m.feed_url,
                "aliases": ";".join(m.aliases) or None,
            }
            for m in members
        ],
        # every column typed, even when all null (no feed_url anywhere): DuckDB then reads
        # the frame in place (warehouse.queries.arrow_views)
        schema=dict.fromkeys(_MEMBER_COLUMNS, pl.String),
    )
    contacts = pl.DataFrame(
        [{"email": e, "member_id": m.member_id} for m in members for e in m.contact_emails],
        schema={"email": pl.String, "member_id": pl.String},
    ).unique("email", keep="first", maintain_order=True)
    write_batch(con, "upsert_members", member_frame, now=now)
    write_batch(con, "upsert_contacts", contacts, now=now)
