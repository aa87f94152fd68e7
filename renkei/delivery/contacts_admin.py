"""The secretariat's console changes to contacts: add one, change a contact's language and
interests, unsubscribe one with a reason, and import a CSV in two steps — a preview of what
would change (nothing written), then applying exactly the previewed file.

Every change is written to the audit log with who made it. A previewed file is kept beside
the warehouse in ``<warehouse>.imports/<sha256>/<name>`` until it is applied (or a day old),
so the apply step needs only the hash and cannot apply a file nobody saw.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256 as sha256_of
from pathlib import Path

from renkei.core.audit import audit
from renkei.core.settings import Settings
from renkei.delivery.subscribers import (
    Subscriber,
    SubscriberError,
    add_subscriber,
    import_subscribers,
    make_subscriber,
    normalise_email,
    parse_interests,
    read_import,
)
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query
from warehouse.transaction import transaction

IMPORT_KEEP_SECONDS = 24 * 3600
_HASH = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE = re.compile(r"[^\w.\-]")


def _required(text: str, what: str) -> str:
    value = " ".join(text.split())
    if not value:
        raise SubscriberError(f"{what}を書いてください（記録に残ります）")
    return value


def _address(email: str) -> str:
    try:
        return normalise_email(email)
    except ValueError as exc:
        raise SubscriberError(f"メールアドレスを確かめてください：{exc}") from None


def add_contact(
    settings: Settings, email: str, member_id: str, language: str, interests: str, *, by: str
) -> str:
    """Add (or subscribe again, with their new consent) one contact; audited."""
    try:
        subscriber = make_subscriber(email, member_id, language, interests)
    except ValueError as exc:
        raise SubscriberError(f"入力を確かめてください：{exc}") from None
    add_subscriber(settings, subscriber)
    with open_warehouse(settings.warehouse, stage="subscribers") as con:
        audit(con, by, "subscribe", subscriber.email, member_id=subscriber.member_id,
              language=subscriber.language, interests=",".join(subscriber.interests))  # fmt: skip
    return f"{subscriber.email} を配信先に追加しました"


def edit_contact(settings: Settings, email: str, language: str, interests: str, *, by: str) -> str:
    """Change a contact's language and interests; the subscription state stays as it is."""
    address = _address(email)
    try:
        subscriber = make_subscriber(address, "-", language, interests)
    except ValueError as exc:
        raise SubscriberError(f"入力を確かめてください：{exc}") from None
    tags = ",".join(subscriber.interests)
    with open_warehouse(settings.warehouse, stage="subscribers") as con:
        found = run_query(con, "contacts_list", {"member_id": None}).to_dicts()
        before = next((r for r in found if r["email"] == address), None)
        if before is None:
            raise SubscriberError(f"{address} は配信先にありません")
        with transaction(con):
            execute(con, "console_ops_contact_edit", {"email": address, "language": language,
                    "interests": tags, "now": datetime.now(UTC)})  # fmt: skip
            audit(con, by, "contact_edit", address, language=language, interests=tags,
                  before_language=before["language"],
                  before_interests=before["interests"])  # fmt: skip
    return f"{address} の言語と関心分野を変更しました"


def unsubscribe_contact(settings: Settings, email: str, *, by: str, reason: str) -> str:
    """Stop sending to an address (kept, so a registry reload cannot add it again); the
    reason goes to the audit log."""
    address, reason = _address(email), _required(reason, "配信停止の理由")
    with open_warehouse(settings.warehouse, stage="subscribers") as con:
        found = run_query(con, "contacts_list", {"member_id": None}).to_dicts()
        row = next((r for r in found if r["email"] == address), None)
        if row is None:
            raise SubscriberError(f"{address} は配信先にありません")
        if row["status"] == "unsubscribed":
            raise SubscriberError(f"{address} はすでに配信停止です")
        with transaction(con):
            execute(con, "contact_set_status", {"email": address, "status": "unsubscribed",
                    "source": "secretariat", "now": datetime.now(UTC)})  # fmt: skip
            audit(con, by, "unsubscribe", address, reason=reason, member_id=row["member_id"])
    return f"{address} への配信を停止しました"


# ------------------------------------------------------------------ CSV import


@dataclass
class ImportPreview:
    """What applying a previewed file would do, row by row (the last row of an address)."""

    sha256: str
    file_name: str
    new: list[dict[str, str]] = field(default_factory=list)
    changed: list[dict[str, str]] = field(default_factory=list)
    unchanged: list[dict[str, str]] = field(default_factory=list)


def imports_dir(settings: Settings) -> Path:
    return settings.warehouse.with_name(settings.warehouse.name + ".imports")


def _safe_name(name: str) -> str:
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip("._")
    return base[:100] or "import.csv"


def keep_import(settings: Settings, data: bytes, file_name: str) -> str:
    """Keep an uploaded file for preview and apply; return its sha256 (the token)."""
    folder = imports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():  # previews nobody applied
        if old.is_dir() and time.time() - old.stat().st_mtime > IMPORT_KEEP_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
    digest = sha256_of(data).hexdigest()
    target = folder / digest
    target.mkdir(exist_ok=True)
    for other in target.iterdir():
        other.unlink()
    (target / _safe_name(file_name)).write_bytes(data)
    return digest


def kept_import(settings: Settings, token: str) -> Path:
    """The kept file of a preview token; SubscriberError when it is unknown or gone."""
    folder = imports_dir(settings) / token
    files = sorted(folder.iterdir()) if _HASH.match(token) and folder.is_dir() else []
    if len(files) != 1 or sha256_of(files[0].read_bytes()).hexdigest() != token:
        raise SubscriberError(
            "プレビューしたファイルが見つかりません。もう一度アップロードしてください"
        )
    return files[0]


def discard_import(settings: Settings, token: str) -> None:
    if _HASH.match(token):
        shutil.rmtree(imports_dir(settings) / token, ignore_errors=True)


def _row(s: Subscriber) -> dict[str, str]:
    return {"email": s.email, "member_id": s.member_id, "language": s.language,
            "interests": ",".join(s.interests)}  # fmt: skip


def preview_import(settings: Settings, token: str) -> ImportPreview:
    """Compare the kept file with the contacts as they are; writes nothing."""
    path = kept_import(settings, token)
    try:
        rows = {s.email: s for s in read_import(path)}  # the last row of an address wins
    except SubscriberError as exc:
        text = str(exc).replace(str(path), path.name)
        raise SubscriberError(f"ファイルを読み込めませんでした：{text}") from None
    with open_warehouse(settings.warehouse, read_only=True) as con:
        contacts = run_query(con, "contacts_list", {"member_id": None}).to_dicts()
        members = set(run_query(con, "console_ops_members")["member_id"].to_list())
    known = {r["email"]: r for r in contacts}
    unknown = sorted({s.member_id for s in rows.values()} - members)
    if unknown:
        raise SubscriberError(f"会員ID {', '.join(unknown)} は会員名簿にありません")
    preview = ImportPreview(token, path.name)
    for s in rows.values():
        row, before = _row(s), known.get(s.email)
        if before is None:
            preview.new.append(row)
            continue
        was = {"member_id": before["member_id"], "language": before["language"] or "ja",
               "interests": before["interests"] or "", "status": before["status"]}  # fmt: skip
        if was["status"] == "subscribed" and all(was[k] == row[k] for k in row if k != "email"):
            preview.unchanged.append(row)
        else:
            changes = [f"{k}: {was[k] or '（なし）'} → {row.get(k, 'subscribed') or '（なし）'}"
                       for k in ("member_id", "language", "interests", "status")
                       if was[k] != row.get(k, "subscribed")]  # fmt: skip
            preview.changed.append({**row, "changes": "、".join(changes)})
    return preview


def apply_import(settings: Settings, token: str, *, by: str) -> int:
    """Import exactly the previewed file; audited; the kept file is removed."""
    path = kept_import(settings, token)
    count = import_subscribers(settings, path)
    with open_warehouse(settings.warehouse, stage="subscribers") as con:
        audit(con, by, "subscribe", f"import:{path.name}", sha256=token, rows=count)
    discard_import(settings, token)
    return count


__all__ = [
    "ImportPreview", "add_contact", "apply_import", "discard_import", "edit_contact",
    "imports_dir", "keep_import", "kept_import", "parse_interests", "preview_import",
    "unsubscribe_contact",
]  # fmt: skip
