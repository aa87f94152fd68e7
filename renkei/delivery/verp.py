"""The return path that names its delivery (VERP): ``bounce+<token>@<bounce_domain>``.

The token is ``<issue>.<who>.<sig>``, all lower-case base32 without padding (mail systems
may change the case of a local part): ``issue`` is the issue id, ``who`` the first 50 bits
of SHA-256 over the recipient's address, ``sig`` the first 80 bits of HMAC-SHA256 over
issue and address with a key derived from the unsubscribe secret (its own context, so an
unsubscribe signature is never a valid return-path signature). For issue ``2026-11`` the
local part is 47 characters (RFC 5321 allows 64). The address itself is not in the token:
a bounce names the issue and a digest, the deliveries of that issue give the candidates and
the signature confirms the one whose digest matches; a forged or mangled token matches none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

_CONTEXT = b"renkei-return-path\x00"
PREFIX = "bounce+"
_TOKEN = re.compile(r"bounce\+([a-z2-7]+)\.([a-z2-7]{10})\.([a-z2-7]{16})@([a-z0-9.-]+)", re.I)


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _unb32(text: str) -> bytes:
    text = text.upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def _who(email: str) -> str:
    return _b32(hashlib.sha256(email.lower().encode()).digest())[:10]


def _sig(secret: bytes, issue_id: str, email: str) -> str:
    payload = _CONTEXT + f"{issue_id}\n{email.lower()}".encode()
    return _b32(hmac.new(secret, payload, hashlib.sha256).digest()[:10])


def return_path(secret: bytes, issue_id: str, email: str, domain: str) -> str:
    """The envelope sender for one delivery."""
    token = f"{_b32(issue_id.encode())}.{_who(email)}.{_sig(secret, issue_id, email)}"
    return f"{PREFIX}{token}@{domain.lower()}"


@dataclass(frozen=True)
class ReturnToken:
    """A return-path token found in a bounce, not yet verified."""

    issue_id: str
    who: str
    sig: str

    def recipient(self, secret: bytes, candidates: Iterable[str]) -> str | None:
        """The one candidate address this token was made for (signature checked), or None."""
        for email in candidates:
            if _who(email) == self.who and hmac.compare_digest(
                _sig(secret, self.issue_id, email), self.sig
            ):
                return email
        return None


def find_token(text: str, domain: str | None = None) -> ReturnToken | None:
    """The first return-path token in ``text`` (headers or a body), on ``domain`` if given."""
    for match in _TOKEN.finditer(text):
        if domain and match.group(4).lower().rstrip(".") != domain.lower():
            continue
        try:
            issue_id = _unb32(match.group(1)).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        return ReturnToken(issue_id, match.group(2).lower(), match.group(3).lower())
    return None
