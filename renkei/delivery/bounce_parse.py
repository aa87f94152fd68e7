"""What a message in the bounce mailbox says: one classification per message, no I/O.

In order, the first that applies:

1. **complaint** — an RFC 5965 feedback report (``multipart/report;
   report-type=feedback-report`` or a ``message/feedback-report`` part);
2. **DSN** — an RFC 3464 ``message/delivery-status`` part, read with the standard library
   (per-recipient ``Action``/``Status``/``Diagnostic-Code``): ``failed`` with 5.x.x is
   **hard**, ``failed`` with 4.x.x **soft**, ``delayed`` is **delayed** (a warning: the
   server still tries; recorded, never counted);
3. **non-standard bounces** — flufl.bounce's detectors (Exim, Postfix, qmail, Exchange …)
   give permanent (**hard**) or temporary (**soft**) failures; Japanese carrier-style text
   bounces (宛先不明, 存在しません, 容量がいっぱい …) are read here (MTAs mark their bounces
   ``Auto-Submitted`` too, so this comes before the autoreply test);
4. **autoreply** — ``Auto-Submitted`` other than ``no``, ``X-Autoreply``/``X-Autorespond``,
   ``Precedence: auto_reply``, or a subject such as 不在, 自動応答, 自動返信, Out of Office,
   Automatic reply: ignored;
5. **unknown** — anything else (kept, never acted on).

The delivery it answers is found by the return-path token (``renkei.delivery.verp``) in
``To``/``Delivered-To``/``X-Original-To``/``Envelope-To`` or anywhere in the returned
headers, else by the original ``Message-ID`` (``<renkei.…>``) in the returned message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from flufl.bounce import all_failures

from renkei.delivery.verp import ReturnToken, find_token

_ADDRESS_HEADERS = ("X-Original-To", "Delivered-To", "Envelope-To", "X-Envelope-To", "To")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"(?<![\d.])([45]\d\d)(?:[ -])")
_RENKEI_ID = re.compile(r"<(renkei\.[^<>\s]+@[^<>\s]+)>")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_AUTO_SUBJECT = re.compile(
    r"不在|自動応答|自動返信|自動送信|休暇|out of (the )?office|automatic reply|auto[- ]?reply|"
    r"autoreply|vacation|abwesenheit|absence",
    re.I,
)
_JA_HARD = re.compile(
    r"宛先不明|存在しません|存在しない|見つかりません|アドレスが無効|受信拒否|user unknown|"
    r"no such user|unknown user|does not exist|mailbox unavailable",
    re.I,
)
_JA_SOFT = re.compile(r"容量|一杯|いっぱい|一時的|mailbox full|quota|over ?quota|try again", re.I)
_JA_BOUNCE_SUBJECT = re.compile(
    r"配信不能|配送不能|送信エラー|送信に失敗|送信は失敗|配信に失敗|配信エラー|届きませんでした|送信できませんでした|"
    r"配信できませんでした|不達|undeliver|returned mail|failure notice|delivery (status )?"
    r"notification|mail delivery failed|delivery has failed",
    re.I,
)


@dataclass(frozen=True)
class Classified:
    kind: str  # hard | soft | delayed | complaint | autoreply | unknown
    recipient: str | None = None  # the failed address as the report names it
    status: str | None = None  # 5.1.1, or the SMTP code when no status is given
    diagnostic: str | None = None
    token: ReturnToken | None = None  # the return-path token found, not yet verified
    original_id: str | None = None  # Message-ID of the bulletin it answers (renkei's form)
    message_id: str | None = None  # the bounce's own Message-ID
    subject: str = ""
    date: datetime | None = None


def _text(value: object) -> str:
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError):
        return str(value)


def _payload_text(part: Message, limit: int = 20_000) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: the raw text
        data = None
    if not isinstance(data, bytes):
        raw = part.get_payload()
        return raw[:limit] if isinstance(raw, str) else ""
    charset = part.get_content_charset() or "utf-8"
    for name in (charset, "cp932", "utf-8", "latin-1"):
        try:
            return data[:limit].decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return ""


def _all_text(msg: Message) -> str:
    """Headers of every part and decoded text bodies, for the token and id searches."""
    chunks: list[str] = []
    for part in msg.walk():
        chunks.extend(f"{k}: {v}" for k, v in part.items())
        if part.get_content_maintype() == "text":
            chunks.append(_payload_text(part))
    return "\n".join(chunks)


def _returned_ids(msg: Message, text: str) -> str | None:
    found = _RENKEI_ID.search(text)
    return f"<{found.group(1)}>" if found else None


def _status_class(status: str | None, diagnostic: str | None) -> str | None:
    """'5' / '4' from a status like 5.1.1, else from the SMTP code in the diagnostic."""
    if status:
        found = _STATUS.search(status)
        if found:
            return found.group(1)
    if diagnostic:
        found = _STATUS.search(diagnostic) or _SMTP_CODE.search(diagnostic + " ")
        if found:
            return found.group(1)[0]
    return None


def _dsn_blocks(part: Message) -> list[Message]:
    """The per-message and per-recipient field blocks of a message/delivery-status part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [b for b in payload if isinstance(b, Message)]
    return []


def _strip_type(value: str | None) -> str | None:
    """'rfc822; a@b' → 'a@b'; 'smtp; 550 …' → '550 …'."""
    if value is None:
        return None
    value = " ".join(str(value).split())
    kind, sep, rest = value.partition(";")
    return rest.strip() if sep and len(kind) < 12 else value


_RANK = {"hard": 3, "soft": 2, "delayed": 1}


def _from_dsn(part: Message) -> tuple[str, str | None, str | None, str | None] | None:
    best: tuple[str, str | None, str | None, str | None] | None = None
    for block in _dsn_blocks(part)[1:] or _dsn_blocks(part):
        action = (block.get("Action") or "").strip().lower()
        if action not in ("failed", "delayed"):
            continue
        status = (block.get("Status") or "").strip() or None
        diagnostic = _strip_type(block.get("Diagnostic-Code"))
        who = _strip_type(block.get("Original-Recipient") or block.get("Final-Recipient"))
        if action == "delayed":
            kind = "delayed"
        else:
            kind = "soft" if _status_class(status, diagnostic) == "4" else "hard"
        if best is None or _RANK[kind] > _RANK[best[0]]:
            best = (kind, who, status, diagnostic)
    return best


def _is_autoreply(msg: Message, subject: str) -> bool:
    auto = (msg.get("Auto-Submitted") or "no").strip().lower()
    if auto != "no" or msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return True
    if (msg.get("Precedence") or "").strip().lower() == "auto_reply":
        return True
    if msg.get("X-MS-Exchange-Inbox-Rules-Loop") or msg.get("X-Auto-Response-Suppress"):
        return bool(_AUTO_SUBJECT.search(subject))
    return bool(_AUTO_SUBJECT.search(subject))


def _first_address(values: frozenset[bytes]) -> str | None:
    for value in sorted(values):
        return value.decode("utf-8", "replace")
    return None


def _diagnostic_line(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip()
        if (
            _STATUS.search(line)
            or _SMTP_CODE.search(line + " ")
            or _JA_HARD.search(line)
            or _JA_SOFT.search(line)
        ):
            return line[:500]
    return None


def _from_text(msg: Message, subject: str, text: str) -> Classified | None:
    """flufl.bounce's detectors, then the Japanese carrier-style text bounces."""
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # a detector tripped over a malformed message: not a bounce we know
        temporary, permanent = frozenset(), frozenset()
    body = "\n".join(_payload_text(p) for p in msg.walk() if p.get_content_maintype() == "text")
    diagnostic = _diagnostic_line(body)
    status_found = _STATUS.search(body)
    status = status_found.group(0) if status_found else None
    if permanent:
        return Classified("hard", _first_address(permanent), status, diagnostic)
    if temporary:
        return Classified("soft", _first_address(temporary), status, diagnostic)
    if not (_JA_BOUNCE_SUBJECT.search(subject) or _JA_BOUNCE_SUBJECT.search(body[:2000])):
        return None
    sender = (msg.get("From") or "").lower()
    if not (_JA_HARD.search(body) or _JA_SOFT.search(body) or "mailer-daemon" in sender):
        return None
    kind = "hard" if _JA_HARD.search(body) else "soft" if _JA_SOFT.search(body) else None
    if kind is None:
        return Classified("unknown", None, status, diagnostic)
    if status_found:
        kind = "soft" if status_found.group(1) == "4" else "hard"
    addresses = [a for a in _EMAIL.findall(body) if "mailer-daemon" not in a.lower()]
    return Classified(kind, addresses[0] if addresses else None, status, diagnostic)


def _complaint(msg: Message) -> Classified | None:
    report = next(
        (p for p in msg.walk() if p.get_content_type() == "message/feedback-report"), None
    )
    if report is None and msg.get_param("report-type") != "feedback-report":
        return None
    who = None
    if report is not None:
        blocks = _dsn_blocks(report) or [report]
        for block in blocks:
            who = _strip_type(block.get("Original-Rcpt-To") or block.get("Removal-Recipient"))
            if who:
                break
        body = report.get_payload()
        if who is None and isinstance(body, str):
            fields = message_from_bytes(body.encode("utf-8", "replace"))
            who = _strip_type(fields.get("Original-Rcpt-To") or fields.get("Removal-Recipient"))
    return Classified("complaint", who, None, "feedback report (spam complaint)")


def classify(msg: Message) -> Classified:
    """Classify one message of the bounce mailbox (see the module docstring)."""
    subject = _text(msg.get("Subject"))
    text = _all_text(msg)
    headers = "\n".join(f"{h}: {v}" for h in _ADDRESS_HEADERS for v in msg.get_all(h) or [])
    token = find_token(headers) or find_token(text)
    original = _returned_ids(msg, text)
    try:
        date = parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
    except (TypeError, ValueError):
        date = None
    common = {
        "token": token,
        "original_id": original,
        "message_id": (msg.get("Message-ID") or "").strip() or None,
        "subject": subject[:300],
        "date": date if date is None or date.tzinfo else None,
    }
    found = _complaint(msg)
    if found is None:
        dsn = next(
            (p for p in msg.walk() if p.get_content_type() == "message/delivery-status"), None
        )
        parsed = _from_dsn(dsn) if dsn is not None else None
        if parsed is not None:
            found = Classified(*parsed)
        elif dsn is None:  # MTAs mark their bounces Auto-Submitted too: bounces first
            found = _from_text(msg, subject, text)
            if found is None and _is_autoreply(msg, subject):
                found = Classified("autoreply", _reply_sender(msg))
    found = found or Classified("unknown")
    return Classified(
        found.kind,
        _clean(found.recipient),
        found.status,
        found.diagnostic[:1000] if found.diagnostic else None,
        **common,  # type: ignore[arg-type]
    )


def _reply_sender(msg: Message) -> str | None:
    pairs = getaddresses([str(v) for v in msg.get_all("From") or []])
    return pairs[0][1] if pairs and pairs[0][1] else None


def _clean(address: str | None) -> str | None:
    if not address:
        return None
    address = address.strip().strip("<>").strip()
    return address.lower() if "@" in address else None


def classify_bytes(data: bytes) -> Classified:
    """``classify`` of raw message bytes (the benchmark's and the tests' entry)."""
    return classify(message_from_bytes(data))
