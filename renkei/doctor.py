"""`renkei doctor`: check what an unattended renkei needs, and say what to fix.

Checks, in order: the config file, the warehouse, the member registry, the issuer (fails
while a field still holds the placeholder `renkei init` wrote), the unsubscribe key file
(fails when group or others may read it: whoever reads it can forge unsubscribe links), the
Prefect API (only when one is configured: PREFECT_API_URL or the active Prefect profile)
with its work pool — which must have a live worker — and global concurrency limits, the
SMTP server (only when ``[mail] transport = "smtp"``), the failure alerts (fails while an
alert is pending: it could not be mailed yet), the activity tables' invariants
(renkei.normalize.invariants, when the warehouse exists) and the runs (fails while a
stage's latest run is abandoned). Each prints one line with ✓ (fine), ✗ (broken, with what
to do) or – (not configured, nothing to check). It changes one thing only: runs still
``running`` after their stage's timeout are marked ``abandoned`` (renkei.core.runs), when
the warehouse is free.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import httpx

from renkei.core.errors import RenkeiError, WarehouseBusy
from renkei.core.mail_transport import smtp_password
from renkei.core.registry import load_registry
from renkei.core.runs import abandon_stale_runs
from renkei.core.settings import Settings, load_settings
from renkei.normalize.invariants import INVARIANTS, invariant_failures
from renkei.orchestration.alert_journal import pending
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

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
        workers = httpx.post(f"{base}/work_pools/renkei/workers/filter", json={}, timeout=TIMEOUT)
        checks.append(pool_check(pool.json(), workers.json() if workers.is_success else []))
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


def pool_check(pool: dict[str, Any], workers: list[dict[str, Any]]) -> Check:
    """Judge the API's answer for the work pool and its workers: a pool whose status is
    not READY (Prefect: no worker has sent a heartbeat lately) or with no ONLINE worker
    runs nothing — scheduled runs pile up as Late."""
    online = [w["name"] for w in workers if w.get("status") == "ONLINE"]
    status = pool.get("status") or "unknown"
    if status == "READY" and online:
        return Check("work pool", "ok", f"renkei ({pool.get('type')}, worker {', '.join(online)})")
    if status == "PAUSED" or pool.get("is_paused"):
        return Check("work pool", "broken", "renkei is paused (no run starts)",
                     "prefect work-pool resume renkei")  # fmt: skip
    seen = [
        f"{w['name']} {w.get('status')}, last seen {w.get('last_heartbeat_time')}" for w in workers
    ]
    return Check(
        "work pool",
        "broken",
        f"renkei has no live worker (status {status}"
        + (f"; {'; '.join(seen)})" if seen else "; no worker ever connected)"),
        "start one on the host that has the working folder: "
        "`prefect worker start --pool renkei` (under systemd, see README)",
    )


def _issuer(settings: Settings) -> Check:
    """Fails while an [issuer] field still holds the value `renkei init` wrote: these go
    into every bulletin (特定電子メール法) and the From of every message."""
    template = tomllib.loads(
        resources.files("renkei").joinpath("data", "renkei.toml").read_text("utf-8")
    )["issuer"]
    issuer = settings.issuer.model_dump(mode="json")
    left = [
        key
        for key in ("postal_address", "contact_email", "website", "unsubscribe_url")
        if key in template and str(issuer.get(key)) == str(template[key])
    ]
    if left:
        return Check(
            "issuer",
            "broken",
            f"still the `renkei init` placeholder: {', '.join(left)}",
            f"put the secretariat's real values in [issuer] of {settings.source}",
        )
    return Check("issuer", "ok", f"{settings.issuer.name} <{settings.issuer.contact_email}>")


def _unsubscribe_key(settings: Settings) -> Check:
    mail = settings.mail
    if os.environ.get(mail.unsubscribe_secret_env):
        return Check("unsubscribe key", "ok", f"from ${mail.unsubscribe_secret_env}")
    path = mail.unsubscribe_secret_file
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return Check(
            "unsubscribe key", "ok", f"{path} not created yet (made mode 0600 on first use)"
        )
    if mode & 0o077:
        return Check(
            "unsubscribe key",
            "broken",
            f"{path} is open to group or others (mode {mode:04o}): whoever reads it can forge "
            "unsubscribe links",
            f"chmod 600 {path}",
        )
    return Check("unsubscribe key", "ok", f"{path} (mode {mode:04o})")


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
    waiting = pending(settings)
    if waiting:
        oldest = waiting[0]
        return Check(
            "failure alerts",
            "broken",
            f"{len(waiting)} alert(s) not delivered to {to}; oldest: {oldest.flow_name} "
            f"{oldest.state} at {oldest.recorded_at:%Y-%m-%d %H:%M} "
            f"({oldest.error}); last error: {oldest.last_error or 'none yet'}",
            "fix mail (see the SMTP line): the next flow run retries them; "
            "`renkei status` lists them",
        )
    return Check("failure alerts", "ok", f"to {to}, links to {settings.orchestration.ui_url}")


def _runs(settings: Settings) -> Check:
    """Marks runs past their timeout abandoned, then fails while a stage's latest run is."""
    if not settings.warehouse.exists():
        return Check("runs", "ok", "no warehouse yet")
    try:
        with open_warehouse(settings.warehouse, stage="doctor", wait_seconds=2) as con:
            abandon_stale_runs(con, datetime.now(UTC))
            abandoned = run_query(con, "runs_abandoned_latest")
    except WarehouseBusy as exc:
        return Check("runs", "ok", f"not checked: {exc}")
    except Exception as exc:  # the warehouse check names a damaged file or an old schema
        return Check("runs", "skipped", f"cannot read the warehouse ({exc})")
    if abandoned.height:
        names = [f"{r['stage']} (started {r['started_at']:%Y-%m-%d %H:%M})"
                 for r in abandoned.iter_rows(named=True)]  # fmt: skip
        return Check(
            "runs",
            "broken",
            f"abandoned (killed or died, no outcome recorded): {', '.join(names)}",
            "look at the worker's log for why, then run the stage again; "
            "its next success clears this",
        )
    return Check("runs", "ok", "no run abandoned")


def diagnose(config: Path, api: str | None) -> list[Check]:
    """Every check for the working folder of ``config`` and the Prefect API ``api``."""
    try:
        settings = load_settings(config)
    except RenkeiError as exc:
        return [Check("config", "broken", str(exc), "fix the file, or pass --config PATH")]
    steps: list[Callable[[Settings], Check]] = [_warehouse, _registry, _issuer, _unsubscribe_key]
    checks = [Check("config", "ok", str(config))]
    checks += [step(settings) for step in steps]
    checks += _prefect(settings, api)
    checks += [_smtp(settings), _alerts(settings), _invariants(settings), _runs(settings)]
    return checks
