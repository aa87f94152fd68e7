"""A proof copy: the current draft sent to one address before approval, marked [TEST].

Records no delivery and changes nothing in the warehouse.
"""

from __future__ import annotations

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email

from renkei.core.errors import ApprovalError
from renkei.core.mail_transport import make_transport
from renkei.core.settings import Settings
from renkei.delivery.message import Bulletin, Recipient, build_message
from renkei.newsletter.review import load_draft


def send_test(settings: Settings, issue_id: str, to: str) -> str:
    """Send the current draft to one address, subject marked [TEST]; records no delivery."""
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
