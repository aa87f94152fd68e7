"""「この取組について相談する」 links: one per reader and item, made at send time.

A link is ``<public_url>/portal/consult/<reader>/<activity_id>/<mac>``: ``reader`` is the
reader's address and the bulletin (issue id) signed with the web app's key and a timestamp
(itsdangerous; it expires after ``consult_link_days``), made once per recipient; ``mac``
is an HMAC-SHA256 of reader and item, 22 characters, made per item in microseconds. Changing
the item, the reader or the issue breaks one of the two signatures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from renkei.core.errors import RenkeiError

SALT = "renkei-consult-link"
MARKER = "%%CONSULT:{}%%"  # in the once-rendered bulletin; replaced per recipient


class ConsultLinkRefused(RenkeiError):
    """A consultation link that was altered or has expired (message in Japanese)."""


@dataclass(frozen=True)
class ConsultLink:
    activity_id: str
    email: str
    issue_id: str


def _mac(key: str, reader: str, activity_id: str) -> str:
    digest = hmac.new(key.encode(), f"{reader}/{activity_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def reader_token(key: str, email: str, issue_id: str) -> str:
    return URLSafeTimedSerializer(key, salt=SALT).dumps([email, issue_id])


def link_maker(key: str, base_url: str, email: str, issue_id: str) -> Callable[[str], str]:
    """For one recipient: activity_id → their signed consultation URL (``_mac``; the keyed
    HMAC is prepared once per recipient, a bulletin has a link per item)."""
    reader = reader_token(key, email, issue_id)
    prefix = f"{base_url.rstrip('/')}/portal/consult/{reader}/"
    keyed = hmac.new(key.encode(), f"{reader}/".encode(), hashlib.sha256)

    def link(activity_id: str) -> str:
        mac = keyed.copy()
        mac.update(activity_id.encode())
        signed = base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")
        return f"{prefix}{activity_id}/{signed}"

    return link


def read_link(key: str, reader: str, activity_id: str, mac: str, *, days: int) -> ConsultLink:
    """The reader and item of a link, or ConsultLinkRefused (altered or expired)."""
    if not hmac.compare_digest(_mac(key, reader, activity_id), mac):
        raise ConsultLinkRefused(BROKEN)
    try:
        email, issue_id = URLSafeTimedSerializer(key, salt=SALT).loads(reader, max_age=days * 86400)
    except SignatureExpired:
        raise ConsultLinkRefused(
            "このリンクは有効期限が切れています。事務局のサイトから改めてご相談ください"
        ) from None
    except (BadSignature, ValueError, TypeError):
        raise ConsultLinkRefused(BROKEN) from None
    return ConsultLink(activity_id, str(email), str(issue_id))


BROKEN = "このリンクは正しくありません（途中で切れていないかご確認ください）"
