"""The secretariat's console accounts: who may sign in, with which role, and lockout.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second
recommended parameters); a hash made with older parameters is replaced at the next
sign-in. A run of wrong passwords locks the account: after ``max_failed`` wrong ones in
a row, the next wrong one locks it for ``lockout``; while locked even the right password
is refused (so guessing cannot go on). Every change is written to the audit log.

The CLI (`renkei users`), the console and the demo call these functions; the roles:

- ``editor``: edits drafts (drop, pin, reword, order, 巻頭言) and sends test copies;
- ``approver``: what an editor does, and approves or rejects an issue;
- ``admin``: everything, and manages accounts, contacts, resends and settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from renkei.core.audit import audit
from renkei.core.errors import RenkeiError
from renkei.core.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import execute, run_query

Role = Literal["editor", "approver", "admin"]
ROLES: tuple[Role, ...] = ("editor", "approver", "admin")
ROLE_JA = {"editor": "編集者", "approver": "承認者", "admin": "管理者"}
# What each role may do, checked on the server for every request that does it.
PERMISSIONS: dict[str, frozenset[str]] = {
    "editor": frozenset({"view", "edit"}),
    "approver": frozenset({"view", "edit", "approve"}),
    "admin": frozenset({"view", "edit", "approve", "admin"}),
}
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
_JST = ZoneInfo("Asia/Tokyo")
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the login is unknown, so an unknown login costs the same time as a
    known one. Made at the first such sign-in, not at import: an Argon2 hash costs 64 MiB
    and a tenth of a second or more, which every `renkei` command would pay otherwise."""
    return _HASHER.hash("renkei-no-such-user")


def ready_for_sign_in() -> None:
    """Make the dummy hash now (the console calls this when it starts), so that not even
    the first unknown login takes longer than a known one."""
    _dummy_hash()


class AccountError(RenkeiError):
    """An account cannot be added or changed as asked (message in Japanese)."""


class LoginRefused(RenkeiError):
    """Sign-in refused; ``message`` is what the person is shown (never says which part was
    wrong, except that the account is locked)."""


@dataclass(frozen=True)
class StaffUser:
    login: str
    name: str
    role: Role
    disabled: bool = False

    @property
    def display(self) -> str:
        """How the person appears in the audit log, approvals and edits: 氏名（login）."""
        return f"{self.name}（{self.login}）"

    @property
    def role_ja(self) -> str:
        return ROLE_JA[self.role]

    def may(self, permission: str) -> bool:
        return not self.disabled and permission in PERMISSIONS[self.role]


def _now() -> datetime:
    return datetime.now(UTC)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"パスワードは{MIN_PASSWORD}文字以上にしてください")
    return password


def _user(row: dict) -> StaffUser:
    return StaffUser(row["login"], row["name"], row["role"], bool(row["disabled"]))


def add_user(
    settings: Settings, login: str, *, name: str, role: str, password: str, by: str
) -> StaffUser:
    """Create an account; the login is lower-case letters, digits, '.', '_' or '-'."""
    if not LOGIN.match(login):
        raise AccountError(
            f"ログイン名「{login}」は使えません（半角の英小文字・数字と . _ - で2〜32文字、"
            "先頭は英小文字か数字。例：yamada.t）"
        )
    if role not in ROLES:
        raise AccountError(f"役割 {role!r} はありません（{' / '.join(ROLES)}）")
    if not name.strip():
        raise AccountError("氏名を入れてください")
    digest = _HASHER.hash(check_password(password))
    with open_warehouse(settings.warehouse, stage="users") as con:
        if not run_query(con, "console_user_by_login", {"login": login}).is_empty():
            raise AccountError(f"ログイン名 {login} はすでにあります")
        execute(con, "console_user_insert", {
            "login": login, "name": name.strip(), "role": role, "password_hash": digest,
            "now": _now(),
        })  # fmt: skip
        audit(con, by, "user_add", login, name=name.strip(), role=role)
    return StaffUser(login, name.strip(), role)


def list_users(settings: Settings) -> list[dict]:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return run_query(con, "console_users_list").to_dicts()


def get_user(settings: Settings, login: str) -> StaffUser | None:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        frame = run_query(con, "console_user_by_login", {"login": login})
    return None if frame.is_empty() else _user(frame.row(0, named=True))


def _existing(con, login: str) -> dict:
    frame = run_query(con, "console_user_by_login", {"login": login})
    if frame.is_empty():
        raise AccountError(f"ログイン名 {login} のアカウントはありません")
    return frame.row(0, named=True)


def set_disabled(settings: Settings, login: str, *, disabled: bool, by: str) -> None:
    """Disable (sign-in refused, sessions end at their next request) or enable again."""
    with open_warehouse(settings.warehouse, stage="users") as con:
        _existing(con, login)
        execute(con, "console_user_set_disabled", {"login": login, "disabled": disabled})
        audit(con, by, "user_disable" if disabled else "user_enable", login)


def reset_password(settings: Settings, login: str, *, password: str, by: str) -> None:
    """Set a new password; this also lifts a lockout."""
    digest = _HASHER.hash(check_password(password))
    with open_warehouse(settings.warehouse, stage="users") as con:
        _existing(con, login)
        execute(con, "console_user_set_password", {
            "login": login, "password_hash": digest, "now": _now(),
        })  # fmt: skip
        audit(con, by, "user_reset_password", login)


WRONG = "ログイン名またはパスワードが違います"


def authenticate(
    settings: Settings, login: str, password: str, *, now: datetime | None = None
) -> StaffUser:
    """The account for ``login`` if ``password`` is right and the account may sign in;
    else raise LoginRefused. Records the attempt (audit log, failure count, lockout)."""
    now = now or _now()
    limits = settings.console
    with open_warehouse(settings.warehouse, stage="login") as con:
        frame = run_query(con, "console_user_by_login", {"login": login})
        if frame.is_empty():
            _verify(_dummy_hash(), password)
            audit(con, login or "（空）", "login_failed", login, reason="unknown login")
            raise LoginRefused(WRONG)
        row = frame.row(0, named=True)
        locked = row["locked_until"]
        if locked is not None and locked > now:
            audit(con, login, "login_refused", login, reason="locked", until=locked)
            raise LoginRefused(_locked_message(locked))
        if not _verify(row["password_hash"], password):
            failed = int(row["failed_logins"]) + 1
            until = now + timedelta(minutes=limits.lockout_minutes)
            lock = failed > limits.max_failed_logins
            execute(con, "console_user_login_failed", {
                "login": login, "failed_logins": 0 if lock else failed,
                "locked_until": until if lock else None,
            })  # fmt: skip
            audit(con, login, "login_failed", login, failed=failed, locked=lock)
            raise LoginRefused(_locked_message(until) if lock else WRONG)
        if row["disabled"]:
            audit(con, login, "login_refused", login, reason="disabled")
            raise LoginRefused("このアカウントは停止されています。管理者に連絡してください")
        digest = row["password_hash"]
        if _HASHER.check_needs_rehash(digest):
            digest = _HASHER.hash(password)
        execute(con, "console_user_login_ok", {
            "login": login, "now": now, "password_hash": digest,
        })  # fmt: skip
        user = _user(row)
        audit(con, user.display, "login", login)
    return user


def _verify(digest: str, password: str) -> bool:
    try:
        return _HASHER.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked_message(until: datetime) -> str:
    local = until.astimezone(_JST)
    return (
        "パスワードの誤りが続いたため、このアカウントは"
        f"{local:%H時%M分}までロックされています。時間をおいてから、"
        "または管理者にパスワードの再設定を依頼してください"
    )


def record_logout(settings: Settings, user: StaffUser) -> None:
    with open_warehouse(settings.warehouse, stage="login") as con:
        audit(con, user.display, "logout", user.login)
