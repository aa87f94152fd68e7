"""A console on real parts: the bundled examples ingested, normalised and drafted for
2026-11 (send date SEND_DATE) into a real DuckDB file, three accounts, and the console
served by uvicorn on 127.0.0.1. The prepared folder is made once per test process and
copied for each test."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx

from renkei import pipeline
from renkei.console.app import running
from renkei.core.settings import Settings, load_settings
from renkei.core.staff import add_user
from renkei.demo import examples_dir, prepare_folder, serve_folder

SEND_DATE = date(2026, 11, 25)
ISSUE = "2026-11"
PASSWORDS = {
    "henshu": ("編集 花子", "editor", "henshu-password-1"),
    "shonin": ("承認 太郎", "approver", "shonin-password-1"),
    "kanri": ("管理 次郎", "admin", "kanri-password-01"),
}
_TEMPLATE: dict[str, Path] = {}


def _prepare(out: Path) -> None:
    examples = examples_dir()
    with serve_folder(examples) as origin:
        prepare_folder(out, examples, origin)
        settings = load_settings(out / "renkei.toml")
        pipeline.ingest_feeds(settings)
    pipeline.ingest_inbox(settings)
    pipeline.normalize(settings)
    assert pipeline.draft(settings, ISSUE, as_of=SEND_DATE).created
    for login, (name, role, password) in PASSWORDS.items():
        add_user(settings, login, name=name, role=role, password=password, by="test setup")


def console_folder(tmp_path_factory, target: Path) -> Path:
    """A fresh copy of the prepared folder at ``target``; returns its renkei.toml."""
    if "folder" not in _TEMPLATE:
        folder = tmp_path_factory.mktemp("console-template")
        _prepare(folder)
        _TEMPLATE["folder"] = folder
    shutil.copytree(_TEMPLATE["folder"], target)
    return target / "renkei.toml"


@contextmanager
def console_at(config: Path, clock=None) -> Iterator[tuple[str, Settings]]:
    """The console as a process started without PREFECT_API_URL would run: a session's
    Prefect test server (prefect_test_harness) sets the process-global settings, which the
    server's threads would otherwise see."""
    import prefect.context
    from prefect.settings import PREFECT_API_URL, temporary_settings

    settings = load_settings(config)
    with (
        temporary_settings(restore_defaults={PREFECT_API_URL}),
        prefect.context._temporary_global_settings_context(prefect.context.get_settings_context()),
        running(settings, config, clock=clock) as base,
    ):
        yield base, settings


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def signed_in_client(base: str, login: str) -> httpx.Client:
    """An HTTP client with a session of ``login`` (follows no redirects)."""
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
    reply = client.post("/login", data={"login": login, "password": PASSWORDS[login][2]})
    assert reply.status_code == 303, reply.text
    return client
