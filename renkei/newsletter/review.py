"""What the secretariat uses to review a draft: the stored issue, previewed and exported."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb

from renkei.core.errors import ApprovalError
from renkei.core.settings import Settings
from renkei.newsletter.preview import Draft, sample_parts, write_preview
from renkei.newsletter.selection import Exclusion
from warehouse.connection import open_warehouse
from warehouse.queries import run_query


def load_draft(settings: Settings, issue_id: str) -> Draft:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        frame = run_query(con, "issue_by_id", {"issue_id": issue_id})
        excluded = run_query(con, "issue_exclusions", {"issue_id": issue_id})
    if frame.is_empty():
        raise ApprovalError(f"issue {issue_id}: no such issue (run `renkei draft` first)")
    row = frame.row(0, named=True)
    as_of = row.get("selected_as_of")
    return Draft(
        row["issue_id"], row["status"], row["subject"], row["html"], row["text"],
        row["content_sha256"], tuple(Exclusion(**e) for e in excluded.to_dicts()),
        as_of.isoformat() if as_of else "",
    )  # fmt: skip


def review_folder(settings: Settings) -> Path:
    return settings.publish_dir.parent / "newsletter"


def load_fact_notes(settings: Settings, issue_id: str) -> tuple[tuple[str, str, str], ...]:
    """(activity_id, title, notes) of the issue's items whose facts were read from text."""
    with open_warehouse(settings.warehouse, read_only=True) as con:
        return fact_notes_of(con, issue_id)


def fact_notes_of(
    con: duckdb.DuckDBPyConnection, issue_id: str
) -> tuple[tuple[str, str, str], ...]:
    """:func:`load_fact_notes` on an open connection (the console's workbench)."""
    frame = run_query(con, "issue_fact_notes", {"issue_id": issue_id})
    return tuple(frame.select("activity_id", "title", "fact_notes").iter_rows())


def preview(settings: Settings, issue_id: str, folder: Path | None = None) -> Path:
    """Write the side-by-side preview page; return its path."""
    draft = load_draft(settings, issue_id)
    draft = replace(draft, fact_notes=load_fact_notes(settings, issue_id))
    return write_preview(
        draft,
        folder or review_folder(settings),
        settings.issuer.unsubscribe_url,
        settings.console.public_url,
    )


def export_parts(
    settings: Settings, issue_id: str, folder: Path | None = None
) -> tuple[Path, Path]:
    """Write the issue's HTML and text (sample recipient filled in) as plain files."""
    draft = load_draft(settings, issue_id)
    html, text = sample_parts(draft, settings.issuer.unsubscribe_url, settings.console.public_url)
    target = folder or review_folder(settings)
    target.mkdir(parents=True, exist_ok=True)
    html_path, text_path = target / f"{issue_id}.html", target / f"{issue_id}.txt"
    html_path.write_text(html, encoding="utf-8")
    text_path.write_text(text, encoding="utf-8")
    return html_path, text_path
