"""`renkei doctor`: check what an unattended renkei needs, and say what to fix.

Checks, in order: the config file, the warehouse, the member registry, the Prefect API
(only when one is configured: PREFECT_API_URL or the active Prefect profile) with its
work pool and global concurrency limits, the SMTP server (only when
``[mail] transport = "smtp"``), the failure alerts, and the activity tables' invariants
(renkei.normalize.invariants, when the warehouse exists). Each prints one line with ✓
(fine), ✗ (broken, with what to do) or – (not configured, nothing to check). Read-only:
it changes nothing.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from renkei.core.errors import RenkeiError, WarehouseBusy
from renkei.core.mail_transport import smtp_password
from renkei.core.registry import load_registry
from renkei.core.settings import Settings, load_settings
from renkei.normalize.invariants import INVARIANTS, invariant_failures
from warehouse.connection import open_warehouse

Mark = Literal["ok", "broken", "skipped"]
MARKS: dict[Mark, str] = {"ok": "✓", "broken": "✗", "skipped": "–"}
TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    name: str
    mark: Mark
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{MARKS[self.mark]} {self.name}: {self.detail}"
        return f"{text}\n    → {self.fix}" if self.fix else text


def _warehouse(settings: Settings) -> Check:
    path = settings.warehouse
    if not path.exists():
        if not path.parent.is_dir():
            return Check(
                "warehouse",
                "broken",
                f"{path.parent} does not exist",
                "create the folder or fix `warehouse` in renkei.toml",
            )
        return Check("warehouse", "ok", f"{path} not created yet (the first run creates it)")
    try:
        with open_warehouse(path, read_only=True, wait_seconds=2) as con:
            count = con.execute("SELECT count(*) FROM activities").fetchall()[0][0]
    except WarehouseBusy as exc:
        return Check("warehouse", "ok", f"{path} in use ({exc})")
    except Exception as exc:  # a damaged file or an old schema
        return Check(
            "warehouse",
            "broken",
            f"{path}: {exc}",
            "restore the file from a backup, or move it away and run the stages",
        )
    return Check("warehouse", "ok", f"{path} ({count} activities)")


def _invariants(settings: Settings) -> Check:
    name = "activities invariants"
    path = settings.warehouse
    if not path.exists():
        return Check(name, "ok", "no warehouse yet (nothing to check)")
    try:
        with open_warehouse(path, read_only=True, wait_seconds=2) as con:
            failures = invariant_failures(con)
    except WarehouseBusy as exc:
        return Check(name, "ok", f"not checked: {exc}")
    except Exception as exc:  # the warehouse check names a damaged file or an old schema
        return Check(name, "skipped", f"cannot read the warehouse ({exc})")
    if failures:
        return Check(
            name,
            "broken",
            "; ".join(failures),
            "run `renkei rebuild` (recomputes activities from staging); if that fails too, "
            "report it with this line",
        )
    return Check(name, "ok", f"{len(INVARIANTS)} kept")


def _registry(settings: Settings) -> Check:
    try:
        members = load_registry(settings.registry)
    except RenkeiError as exc:
        return Check(
            "registry",
            "broken",
            str(exc),
            "fix `registry` in renkei.toml or the file it names (members.csv)",
        )
    feeds = sum(1 for m in members if m.feed_url)
    return Check("registry", "ok", f"{settings.registry} ({len(members)} members, {feeds} feeds)")


def _prefect(settings: Settings, api: str | None) -> list[Check]:
    if not api:
        return [
            Check(
                "Prefect API",
                "skipped",
                "not configured (PREFECT_API_URL unset): "
                "flows run on a temporary local server, no schedules or triggers",
            )
        ]
    base = api.rstrip("/")
    try:
        health = httpx.get(f"{base}/health", timeout=TIMEOUT)
        health.raise_for_status()
    except httpx.HTTPError as exc:
        return [
            Check(
                "Prefect API",
                "broken",
                f"{base} unreachable ({exc})",
                "start it (`prefect server start`) or fix PREFECT_API_URL",
            )
        ]
    checks = [Check("Prefect API", "ok", f"{base} healthy")]
    pool = httpx.get(f"{base}/work_pools/renkei", timeout=TIMEOUT)
    if pool.status_code == 200:
        checks.append(Check("work pool", "ok", f"renkei ({pool.json().get('type')})"))
    else:
        checks.append(
            Check(
                "work pool",
                "broken",
                "work pool 'renkei' not found",
                "prefect work-pool create renkei --type process",
            )
        )
    options = settings.orchestration
    for name in (options.writer_limit, options.send_limit):
        found = httpx.get(f"{base}/v2/concurrency_limits/{name}", timeout=TIMEOUT)
        if found.status_code == 200:
            checks.append(
                Check("concurrency limit", "ok", f"{name} (limit {found.json()['limit']})")
            )
        else:
            checks.append(
                Check(
                    "concurrency limit",
                    "broken",
                    f"{name} not found (runs would not wait for each other)",
                    f"prefect gcl create {name} --limit 1",
                )
            )
    return checks


def _smtp(settings: Settings) -> Check:
    mail = settings.mail
    if mail.transport != "smtp":
        return Check("SMTP", "skipped", f"transport = {mail.transport!r} (writes .eml files)")
    assert mail.smtp_host is not None  # MailSettings requires it when transport = "smtp"
    where = f"{mail.smtp_host}:{mail.smtp_port}"
    try:
        if mail.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                mail.smtp_host,
                mail.smtp_port,
                timeout=TIMEOUT,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=TIMEOUT)
        with smtp:
            smtp.ehlo()
            if mail.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if mail.smtp_user:
                smtp.login(mail.smtp_user, smtp_password(mail))
    except (OSError, smtplib.SMTPException, RenkeiError) as exc:
        return Check(
            "SMTP",
            "broken",
            f"{where} ({mail.smtp_security}): {exc}",
            "check [mail] smtp_host, smtp_port, smtp_security and the password",
        )
    login = f", logged in as {mail.smtp_user}" if mail.smtp_user else ""
    return Check("SMTP", "ok", f"{where} ({mail.smtp_security}{login})")


def _alerts(settings: Settings) -> Check:
    to = settings.orchestration.alert_to
    if to is None:
        return Check(
            "failure alerts",
            "skipped",
            "[orchestration] alert_to not set: failed runs are only in the Prefect UI",
        )
    return Check("failure alerts", "ok", f"to {to}, links to {settings.orchestration.ui_url}")


def diagnose(config: Path, api: str | None) -> list[Check]:
    """Every check for the working folder of ``config`` and the Prefect API ``api``."""
    try:
        settings = load_settings(config)
    except RenkeiError as exc:
        return [Check("config", "broken", str(exc), "fix the file, or pass --config PATH")]
    steps: list[Callable[[Settings], Check]] = [_warehouse, _registry]
    checks = [Check("config", "ok", str(config))]
    checks += [step(settings) for step in steps]
    checks += _prefect(settings, api)
    checks += [_smtp(settings), _alerts(settings), _invariants(settings)]
    return checks
