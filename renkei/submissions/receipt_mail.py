"""E-mail a receipt (受付結果) to the submitting member's contact addresses.

Uses the same transport seam as the bulletin (renkei.core.mail_transport): the outbox transport
writes ``outbox/receipts/<sha256[:12]>/<address>.eml``; SMTP sends. A failure to mail is
reported on the outcome and never undoes the intake. The mail lists at most MAIL_LISTED
rows per list; when it lists fewer than the receipt, the whole receipt is attached.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from renkei.core.errors import RenkeiError
from renkei.core.mail_transport import DeliveryError, make_transport
from renkei.core.registry import Member
from renkei.core.settings import Settings
from renkei.core.signin import find_contact, portal_link
from renkei.submissions.receipts import (
    MAIL_LISTED,
    clean_name,
    receipt_bytes,
    receipt_name,
    render_receipt,
)


def receipt_message(
    settings: Settings, outcome, to: str, portal_url: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    verdict = (
        "受け付けできませんでした"
        if outcome.error
        else f"{outcome.accepted}件受付"
        + (f"・{outcome.rejected}件要修正" if outcome.rejected else "")
    )
    message["Subject"] = f"【受付結果】{clean_name(outcome.file_name)}（{verdict}）"
    message["From"] = formataddr((settings.issuer.name, str(settings.issuer.contact_email)))
    message["To"] = to
    message["Date"] = formatdate(localtime=True)
    domain = str(settings.issuer.contact_email).rsplit("@", 1)[-1]
    message["Message-ID"] = make_msgid("receipt", domain=domain)
    facts = outcome.receipt_facts
    body = render_receipt(facts, listed=MAIL_LISTED) if facts else outcome.receipt_text
    text = body
    if portal_url:  # the mail only: the receipt file is the same for every way in
        text += (
            "\n会員ポータルで受付結果を見る・出し直す（このリンクはあなた専用です。"
            f"72時間、1回だけ使えます）：\n{portal_url}\n"
        )
    message.set_content(text, charset="utf-8")
    if body != outcome.receipt_text:  # lists cut short: the whole receipt goes along
        message.add_attachment(
            receipt_bytes(outcome.receipt_text),
            maintype="text",
            subtype="plain",
            filename=receipt_name(outcome.file_name),
        )
    return message


def _portal_url(settings: Settings, to: str, outcome) -> str | None:
    """A sign-in link to this receipt in the member portal, when the portal has a public
    address and ``to`` is a registered contact of the member."""
    if not settings.console.public_url:
        return None
    contact = find_contact(settings, to)
    if contact is None or contact.member_id != outcome.member_id:
        return None
    return portal_link(settings, contact, next_path=f"/portal/receipts/{outcome.sha256}",
                       purpose="receipt")  # fmt: skip


def mail_receipt(settings: Settings, outcome, member: Member) -> None:
    """Send the receipt to each contact address of the member (when mail is configured)."""
    if not settings.intake.mail_receipts or not member.contact_emails:
        return
    try:
        transport = make_transport(settings.mail)
    except RenkeiError as exc:
        outcome.mail_error = str(exc)
        return
    try:
        for to in member.contact_emails:
            data = receipt_message(
                settings, outcome, to, _portal_url(settings, to, outcome)
            ).as_bytes()
            try:
                transport.deliver(
                    data,
                    sender=str(settings.issuer.contact_email),
                    recipient=to,
                    issue_id=f"receipts/{outcome.sha256[:12]}",
                    handed_over=lambda: None,
                )
            except (DeliveryError, RenkeiError) as exc:
                outcome.mail_error = f"{to}: {exc}"
                continue
            outcome.mailed_to.append(to)
    finally:
        transport.close()
