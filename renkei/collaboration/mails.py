"""The secretariat's mails, in Japanese: about a consultation (the introduction, a question
for the requester, a decline), and the answer to a member's request from the portal. Sent
through the one mail transport (SMTP or the outbox).

The introduction goes as ONE mail to both parties when the requester agreed to share their
contact; otherwise the organiser gets the request without the requester's address (the
secretariat relays the answer) and the requester gets the organiser's contact.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

from renkei.core.errors import RenkeiError
from renkei.core.mail_transport import (
    ConnectionFailure,
    DeliveryError,
    PermanentFailure,
    ReplyLost,
    TemporaryFailure,
    make_transport,
)
from renkei.core.settings import Settings
from renkei.submissions.member_requests import KIND_JA as REQUEST_KIND_JA


def compose_mail(
    settings: Settings, to: list[str], subject: str, body: str, *, reply_to_us: bool = True
) -> EmailMessage:
    issuer = settings.issuer
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((issuer.name, str(issuer.contact_email)))
    message["To"] = ", ".join(to)
    if reply_to_us:  # an introduction to both parties: replies go between them
        message["Reply-To"] = str(issuer.contact_email)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid("consult", domain=str(issuer.contact_email).rsplit("@")[-1])
    footer = f"\n--\n{issuer.name}\n{issuer.postal_address}\n{issuer.contact_email}\n"
    message.set_content(body + footer, charset="utf-8")
    return message


def failure_ja(exc: Exception) -> str:
    """Why a mail did not go, in Japanese for the secretariat: what happened, then the
    server's own words when it gave any (they stay as the server wrote them)."""
    said = ""
    if isinstance(exc, DeliveryError) and exc.reply.code > 0:
        said = f"（サーバーの応答：{exc.reply.code} {exc.reply.text}）"
    if isinstance(exc, ReplyLost):  # the "." went out: the server may have the mail
        return "送信の最後にメールサーバーの応答が途絶えました。届いたかどうかは分かりません"
    if isinstance(exc, ConnectionFailure):
        return f"メールサーバーに接続できませんでした{said}"
    if isinstance(exc, PermanentFailure):
        return f"メールサーバーがこの宛先を受け付けませんでした{said}"
    if isinstance(exc, TemporaryFailure):
        return f"メールサーバーが一時的に受け付けませんでした。時間をおいてお試しください{said}"
    return f"送信できませんでした（{type(exc).__name__}）"


class MailNotSent(RenkeiError):
    """A mail was refused for one address; ``sent`` says which went out before it."""

    def __init__(self, message: str, sent: list[str], *, why: str = "", unknown: bool = False):
        super().__init__(message)
        self.sent = sent
        self.why = why or message  # failure_ja's sentence, without the address
        self.unknown = unknown  # the server may have the mail: whether it went is not known


def send_mail(
    settings: Settings, message: EmailMessage, to: list[str], tag: str,
    already: list[str] | None = None, folder: str = "consultations",
) -> list[str]:  # fmt: skip
    """Deliver to each address; on a refusal raise MailNotSent naming what did go out
    (``already``: addresses an earlier mail of the same step reached). ``folder/tag`` names
    the mail in the outbox (and in the SMTP transport's log)."""
    sent = list(already or [])
    transport = make_transport(settings.mail)
    try:
        for address in to:
            try:
                transport.deliver(
                    message.as_bytes(), sender=str(settings.issuer.contact_email),
                    recipient=address, issue_id=f"{folder}/{tag}", handed_over=lambda: None,
                )  # fmt: skip
            except Exception as exc:  # the caller records what went out, then says why
                why = failure_ja(exc)
                raise MailNotSent(f"{address}：{why}", sent, why=why,
                                  unknown=isinstance(exc, ReplyLost)) from exc  # fmt: skip
            sent.append(address)
    finally:
        transport.close()
    return sent


def _who(row: dict[str, Any]) -> str:
    name = row.get("requester_name") or "ご担当者"
    return f"{row.get('requester_member_name') or row['requester_member']} {name}"


def send_introduction(settings: Settings, row: dict[str, Any], *, note: str = "") -> list[str]:
    number, title = row["consultation_id"], row.get("title") or "（取組）"
    organiser = row.get("organiser_name") or row.get("organiser_member") or "主催機関"
    hidden = bool(row.get("need_anonymous"))  # an anonymous need/seed: its poster stays unnamed
    extra = f"\n事務局より：{note}\n" if note else ""
    request = (
        f"■ 取組：{title}（{'匿名の会員機関' if hidden else organiser}）\n"
        f"■ ご相談の目的：{row['purpose']}\n"
        f"■ ご相談の内容：\n{row['message']}\n"
    )
    subject = f"【ご紹介】{title}についてのご相談（相談番号 {number}）"
    tag = f"{number}-introduction"
    if row["consent_share"] and not hidden:
        to = [row["requester_email"], *row["organiser_emails"]]
        body = (
            f"{organiser} ご担当者様\n{_who(row)}様\n\n"
            "事務局です。次のご相談について、お二方をご紹介します。以降は直接ご連絡ください"
            "（このメールに「全員に返信」すると、お二方と事務局に届きます）。\n\n"
            f"{request}\n■ ご相談者：{_who(row)}（{row['requester_email']}）\n"
            f"■ 主催機関の連絡先：{', '.join(row['organiser_emails'])}\n{extra}"
        )
        to_all = [*to, str(settings.issuer.contact_email)]
        message = compose_mail(settings, to_all, subject, body, reply_to_us=False)
        return send_mail(settings, message, to_all, tag)
    to_organiser = list(row["organiser_emails"])
    if row["consent_share"]:  # an anonymous need/seed: the poster may write to the requester
        reach = f"ご相談者の連絡先：{_who(row)}（{row['requester_email']}）へ直接お返事ください。"
    else:
        reach = "ご相談者は連絡先の共有を希望されていないため、お返事は事務局あてにお送りください。"
    body = (
        f"{organiser} ご担当者様\n\n事務局です。貴機関の取組について、次のご相談が届きました。"
        f"{reach}\n\n{request}\n"
        f"■ ご相談者：{row.get('requester_member_name') or ''}\n{extra}"
    )
    sent = send_mail(
        settings, compose_mail(settings, to_organiser, subject, body), to_organiser, tag
    )
    to_requester = [row["requester_email"]]
    emails = ", ".join(row["organiser_emails"])
    contact = "" if hidden else f"直接のご連絡先は次のとおりです。\n■ 主催機関の連絡先：{emails}\n"
    body = (
        f"{_who(row)}様\n\n事務局です。ご相談を相手方にお伝えしました。お返事は事務局から"
        f"お知らせします。\n\n{request}\n{contact}{extra}"
    )
    message = compose_mail(settings, to_requester, subject, body)
    return send_mail(settings, message, to_requester, f"{tag}-requester", already=sent)


def send_question(settings: Settings, row: dict[str, Any], question: str) -> list[str]:
    number, title = row["consultation_id"], row.get("title") or "（取組）"
    to = [row["requester_email"]]
    body = (
        f"{_who(row)}様\n\n事務局です。「{title}」についてのご相談（相談番号 {number}）を"
        f"お取り次ぎするにあたり、次の点を教えてください。このメールにご返信ください。\n\n{question}\n"
    )
    subject = f"【確認】ご相談について（相談番号 {number}）"
    return send_mail(settings, compose_mail(settings, to, subject, body), to, f"{number}-question")


def send_decline(settings: Settings, row: dict[str, Any], reason: str) -> list[str]:
    number, title = row["consultation_id"], row.get("title") or "（取組）"
    to = [row["requester_email"]]
    body = (
        f"{_who(row)}様\n\n事務局です。「{title}」についてのご相談（相談番号 {number}）は、"
        f"次の理由によりお取り次ぎを見送らせていただきます。\n\n{reason}\n\n"
        "ほかの取組や別のご相談は、いつでもお寄せください。\n"
    )
    subject = f"【ご連絡】ご相談について（相談番号 {number}）"
    return send_mail(settings, compose_mail(settings, to, subject, body), to, f"{number}-decline")


def send_request_answer(settings: Settings, row: dict[str, Any]) -> list[str]:
    """Tell the contact who sent a request from the portal (``row``: member_request_detail)
    that the secretariat handled it, with the secretariat's note."""
    number, kind = row["id"], REQUEST_KIND_JA.get(row["kind"], row["kind"])
    if row["kind"] == "colleague":
        what = f"■ 追加する方：{row['colleague_name']}（{row['colleague_email']}）\n"
        where = "配信先は会員ポータルの「配信設定」でご確認いただけます。\n"
    else:
        title = row.get("activity_title") or "（公開を終えた活動）"
        what = f"■ 対象の活動：{title}\n"
        where = (
            "掲載の状態は会員ポータルの「掲載内容」でご確認いただけます。"
            "オープンデータへの反映は次回の公開時になります。\n"
        )
    note = f"\n■ 事務局から：\n{row['note']}\n" if row.get("note") else ""
    body = (
        f"{row.get('member_name') or row['member_id']}\nご担当者様\n\n"
        "事務局です。会員ポータルからお寄せいただいたご依頼"
        f"（依頼番号 {number}）に対応しました。\n\n"
        f"■ 種類：{kind}\n{what}■ ご依頼の内容：\n{row['message'] or '（記載なし）'}\n{note}\n"
        f"{where}"
    )
    subject = f"【ご連絡】ご依頼（{kind}）に対応しました（依頼番号 {number}）"
    to = [row["email"]]
    message = compose_mail(settings, to, subject, body)
    return send_mail(settings, message, to, f"{number}-done", folder="member-requests")
