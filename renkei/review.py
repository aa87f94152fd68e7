"""What the secretariat uses to review a draft: the stored issue, previewed and exported."""

from __future__ import annotations

from pathlib import Path

from renkei.errors import ApprovalError
from renkei.newsletter.preview import Draft, sample_parts, write_preview
from renkei.settings import Settings
from warehouse.connection import open_warehouse
from warehouse.queries import run_query


def load_draft(settings: Settings, issue_id: str) -> Draft:
    with open_warehouse(settings.warehouse, read_only=True) as con:
        frame = run_query(con, "issue_by_id", {"issue_id": issue_id})
    if frame.is_empty():
        raise ApprovalError(f"issue {issue_id}: no such issue (run `renkei draft` first)")
    row = frame.row(0, named=True)
    return Draft(
        row["issue_id"], row["status"], row["subject"], row["html"], row["text"],
        row["content_sha256"],
    )  # fmt: skip


def review_folder(settings: Settings) -> Path:
    return settings.publish_dir.parent / "newsletter"


def preview(settings: Settings, issue_id: str, folder: Path | None = None) -> Path:
    """Write the side-by-side preview page; return its path."""
    draft = load_draft(settings, issue_id)
    return write_preview(draft, folder or review_folder(settings), settings.issuer.unsubscribe_url)


def export_parts(
    settings: Settings, issue_id: str, folder: Path | None = None
) -> tuple[Path, Path]:
    """Write the issue's HTML and text (sample recipient filled in) as plain files."""
    draft = load_draft(settings, issue_id)
    html, text = sample_parts(draft, settings.issuer.unsubscribe_url)
    target = folder or review_folder(settings)
    target.mkdir(parents=True, exist_ok=True)
    html_path, text_path = target / f"{issue_id}.html", target / f"{issue_id}.txt"
    html_path.write_text(html, encoding="utf-8")
    text_path.write_text(text, encoding="utf-8")
    return html_path, text_path


def send_test(settings: Settings, issue_id: str, to: str) -> str:
    """Send the current draft to one address, subject marked [TEST]; records no delivery."""
    from datetime import UTC, datetime

    from email_validator import EmailNotValidError, validate_email

    from renkei.delivery import Bulletin, Recipient, build_message
    from renkei.mail_transport import make_transport

    try:
        address = validate_email(to, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ApprovalError(f"--to {to!r}: not a valid address ({exc})") from None
    draft = load_draft(settings, issue_id)
    bulletin = Bulletin(f"{issue_id}-test", f"[TEST] {draft.subject}", draft.html, draft.text)
    who = Recipient(address, "test", "（テスト送信）")
    message = build_message(bulletin, who, settings.issuer, now=datetime.now(UTC))
    transport = make_transport(settings.mail)
    try:
        transport.deliver(
            bytes(message), sender=str(settings.issuer.contact_email), recipient=address,
            issue_id=f"{issue_id}-test", handed_over=lambda: None,
        )  # fmt: skip
    finally:
        transport.close()
    state = f"{draft.status}, sha256 {draft.content_sha256[:12]}"
    return f"test copy of {issue_id} ({state}) sent to {address}"
