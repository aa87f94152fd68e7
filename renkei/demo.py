"""`renkei demo`: every stage on the bundled examples, feeds served from 127.0.0.1.

The demo folder is an ordinary working folder (like `renkei init` makes); running the
demo again reuses its warehouse, which shows that re-runs add nothing and send nothing
twice. The draft is approved automatically — and the demo says so loudly.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from renkei import pipeline
from renkei.core.background_server import serving
from renkei.core.errors import RenkeiError
from renkei.core.runs import tracked_run
from renkei.core.settings import Settings, load_settings
from renkei.core.staff import add_user, get_user
from renkei.newsletter.review import export_parts, preview
from renkei.scaffold import init_folder
from warehouse.connection import open_warehouse
from warehouse.queries import run_query

DEMO_ORIGIN = "http://feeds.demo.invalid"  # examples/members.csv names feeds under this
DEMO_APPROVER = "renkei デモ（自動承認）"  # shown as the approver in the console
# Console accounts of the demo folder only (printed by the demo; never use them elsewhere).
DEMO_ACCOUNTS = (
    ("demo-editor", "デモ 編集者", "editor", "demo-editor-pass"),
    ("demo-approver", "デモ 承認者", "approver", "demo-approver-pass"),
    ("demo-admin", "デモ 管理者", "admin", "demo-admin-pass"),
)
CONTENT_TYPES = {
    ".rdf": "application/rdf+xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".xml": "application/xml",
}


def examples_dir() -> Path:
    here = Path(__file__).resolve().parents[1] / "examples"
    if not (here / "members.csv").is_file():
        raise RenkeiError(
            f"{here}: bundled examples not found; run the demo from a clone "
            "installed with `pip install -e .`"
        )
    return here


class _FeedHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}  # noqa: RUF012

    def log_message(self, format: str, *args: object) -> None:  # keep the demo output readable
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port); yield the origin."""
    handler = functools.partial(_FeedHandler, directory=str(folder))
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as origin:
        yield origin


@dataclass
class DemoReport:
    folder: Path
    lines: list[str] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)

    def say(self, line: str) -> None:
        self.lines.append(line)


def prepare_folder(out: Path, examples: Path, origin: str) -> None:
    registry = (examples / "members.csv").read_text("utf-8").replace(DEMO_ORIGIN, origin)
    if not (out / "renkei.toml").exists():
        init_folder(out, registry=registry.encode())
        shutil.copy(examples / "renkei.toml", out / "renkei.toml")
    else:  # the server port changes per run: refresh the feed URLs
        (out / "members.csv").write_text(registry, encoding="utf-8")
    shutil.copytree(examples / "inbox", out / "inbox", dirs_exist_ok=True)


def _stage(settings, name: str, echo, label: str, call):
    """Run one stage as a recorded run (shown by `renkei status`) and print its summary."""
    with tracked_run(settings, name) as run:
        result = call()
        if isinstance(result, list):
            run.summary = f"{len(result)} files written"
            run.summary_ja = f"公開データのファイル {len(result)} 件を書き出しました"
        else:
            run.report(result)
    echo(f"{label + ':':<16}{run.summary}")
    return result


def run_demo(out: Path, echo=print) -> DemoReport:
    examples = examples_dir()
    out = out.resolve()
    report = DemoReport(out)
    with serve_folder(examples) as origin:
        prepare_folder(out, examples, origin)
        settings = load_settings(out / "renkei.toml")
        # The demo's feeds are served from 127.0.0.1 on purpose: allow that here too, so a
        # demo folder made before `feeds.allow_private_addresses` existed still runs.
        feeds = settings.feeds.model_copy(update={"allow_private_addresses": True})
        settings = settings.model_copy(update={"feeds": feeds})
        echo(f"demo folder: {out}  (feeds served from {origin})")
        _stage(
            settings, "ingest_feeds", echo, "ingest feeds", lambda: pipeline.ingest_feeds(settings)
        )
    with tracked_run(settings, "ingest_submission") as run:
        receipts = pipeline.ingest_inbox(settings)
        run.summary = f"{len(receipts)} files from the inbox"
        run.summary_ja = f"受信フォルダの報告ファイル {len(receipts)} 件を受け付けました"
    for receipt in receipts:
        echo(f"{'submission:':<16}{receipt.member_id}/{receipt.summary()}")
    _stage(settings, "normalize", echo, "normalize", lambda: pipeline.normalize(settings))
    period = latest_period(settings)
    drafted = _stage(
        settings,
        "compile_newsletter",
        echo,
        "draft",
        lambda: pipeline.draft(settings, period, as_of=demo_send_date(period)),
    )
    if drafted.created:
        echo("")
        echo("!" * 72)
        echo(f"!!  DEMO ONLY: issue {period} is approved automatically as {DEMO_APPROVER!r}.")
        echo("!!  In real use a named person reviews the draft and runs `renkei approve`.")
        echo("!" * 72)
        echo("")
        pipeline.approve(settings, period, by=DEMO_APPROVER)
    _stage(settings, "send_newsletter", echo, "send", lambda: pipeline.send(settings, period))
    files = _stage(settings, "publish_dataset", echo, "publish", lambda: pipeline.publish(settings))
    newsletter = export_parts(settings, period)
    preview_page = preview(settings, period)
    report.outputs = {
        "warehouse": settings.warehouse,
        "newsletter HTML": newsletter[0],
        "newsletter text": newsletter[1],
        "preview": preview_page,
        "outbox": settings.mail.outbox / period,
        **{
            f"dataset {p.suffix[1:]}": p
            for p in files
            if p.parent == settings.publish_dir and p.stem == "activities"
        },
        "open-data page": settings.publish_dir / "index.html",
        "calendar": settings.publish_dir / "events.ics",
        "data package": settings.publish_dir / "datapackage.json",
    }
    echo("")
    echo("outputs:")
    for name, path in report.outputs.items():
        echo(f"  {name:<17}{path}")
    present = sum(1 for f in settings.publish_dir.rglob("*") if f.is_file())
    echo(f"  ({present} files in {settings.publish_dir}: events, members, statistics, charts)")
    demo_accounts(settings)
    echo("")
    echo(f"console (Japanese web UI): renkei console -c {out / 'renkei.toml'}")
    echo("  then open http://127.0.0.1:8765/ and sign in (DEMO ONLY accounts):")
    for login, name, role, password in DEMO_ACCOUNTS:
        echo(f"    {role:<9}{login} / {password}  ({name})")
    return report


def demo_accounts(settings: Settings) -> None:
    """The demo folder's console accounts (made once; a re-run keeps them)."""
    for login, name, role, password in DEMO_ACCOUNTS:
        if get_user(settings, login) is None:
            add_user(settings, login, name=name, role=role, password=password, by="renkei demo")


def demo_send_date(period: str) -> date:
    """The demo drafts its issue for the 25th of the period, the day the monthly deployment
    compiles it (prefect.yaml), so the bulletin is the same whatever day the demo runs: the
    bundled examples are dated, and a draft made for today would leave out what has ended
    since."""
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, 25)


def latest_period(settings) -> str:
    """The month of the newest reported activity: the demo's issue period."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        frame = run_query(con, "latest_period")
    if frame.is_empty() or frame["period"][0] is None:
        raise RenkeiError("no activities were loaded; nothing to put in a newsletter")
    return frame["period"][0]
