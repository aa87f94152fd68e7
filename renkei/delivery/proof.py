"""A proof copy: the current draft sent before approval, marked [TEST], to one address
(`renkei send-test`) or to the saved reviewers (``renkei.delivery.reviewers``) over one
connection.

Records no delivery and changes nothing in the warehouse.
"""

from __future__ import annotations

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email

from renkei.core.errors import ApprovalError
from renkei.core.mail_transport import Transport, make_transport
from renkei.core.settings import Settings
from renkei.delivery.message import Bulletin, Recipient, build_message
from renkei.newsletter.preview import Draft
from renkei.newsletter.review import load_draft


def normalised_address(address: str) -> str:
    """The address as email_validator normalises it; ValueError if it is not one."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def proof_bulletin(draft: Draft) -> Bulletin:
    """The draft as a [TEST] bulletin (its own id, so the outbox keeps it apart)."""
    return Bulletin(f"{draft.issue_id}-test", f"[TEST] {draft.subject}", draft.html, draft.text)


def deliver_proof(
    transport: Transport, settings: Settings, bulletin: Bulletin, address: str
) -> None:
    """One proof copy through ``transport`` (which may already hold a connection);
    raises the transport's ``DeliveryError`` if the server refuses it."""
    who = Recipient(address, "test", "（テスト送信）")
    message = build_message(bulletin, who, settings.issuer, now=datetime.now(UTC))
    transport.deliver(
        bytes(message), sender=str(settings.issuer.contact_email), recipient=address,
        issue_id=bulletin.issue_id, handed_over=lambda: None,
    )  # fmt: skip


def send_test(settings: Settings, issue_id: str, to: str) -> str:
    """Send the current draft to one address, subject marked [TEST]; records no delivery."""
    try:
        address = normalised_address(to)
    except ValueError as exc:
        raise ApprovalError(f"--to {to!r}: not a valid address ({exc})") from None
    draft = load_draft(settings, issue_id)
    transport = make_transport(settings.mail)
    try:
        deliver_proof(transport, settings, proof_bulletin(draft), address)
    finally:
        transport.close()
    state = f"{draft.status}, sha256 {draft.content_sha256[:12]}"
    return f"test copy of {issue_id} ({state}) sent to {address}"
