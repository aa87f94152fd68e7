"""The member portal (会員ポータル): a member institution's contact signs in with a link sent
to their registered address, submits a report through the one intake `renkei submit` uses,
sees the receipt at once, and follows what was published from their reports.

Its own routes (/portal/…), templates (templates/portal/) and cookie (``renkei_portal``,
signed, HttpOnly, SameSite=Lax; the same idle and absolute timeouts as the console). A
contact sees and submits only for their own member: every page reads the member from the
session, never from the request.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from renkei import pipeline
from renkei.console.auth import AddressLimiter
from renkei.console.sessions import Session, SessionCodec
from renkei.console.web import TEMPLATES, console, remote
from renkei.core.audit import origin
from renkei.core.errors import EXPECTED
from renkei.core.mail_transport import make_transport
from renkei.core.settings import Settings
from renkei.core.signin import (
    Contact,
    LinkRefused,
    find_contact,
    issue_link,
    peek_link,
    redeem_link,
)
from renkei.submissions.event import hand_over
from renkei.submissions.history import member_receipt, submission_history
from renkei.submissions.receipts import clean_name
from renkei.submissions.template import write_template

COOKIE = "renkei_portal"
SUFFIXES = (".xlsx", ".csv", ".tsv", ".txt")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SENT_PAGE = "portal/signin_sent.html"
UPLOAD_ERRORS = {
    "nofile": "ファイルを選んでください",
    "suffix": "提出できるのは .xlsx .csv .tsv .txt のファイルです",
    "period": "報告月の指定が正しくありません",
}


def recent_periods(count: int = 4) -> list[str]:
    """This month and the months before it (JST), newest first, for the 報告月 choice."""
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo("Asia/Tokyo"))
    year, month, out = today.year, today.month, []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


class PortalLoginRequired(Exception):
    """No valid portal session: back to the sign-in page."""


class Portal:
    """What the portal keeps in the app: its session codec and rate limits."""

    def __init__(
        self, key: str, settings: Settings, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.clock = clock  # None: the real time (a seam for tests)
        self.codec = SessionCodec(key, settings.console, salt="renkei-portal-session")
        self.key = key
        self.per_address = AddressLimiter(5)  # sign-in mails per e-mail address / 10 min
        self.per_remote = AddressLimiter(settings.console.attempts_per_address)


def portal(request: Request) -> Portal:
    return request.app.state.portal


def _session(request: Request) -> Session | None:
    return portal(request).codec.loads(request.cookies.get(COOKIE))


def _contact(request: Request) -> tuple[Session, Contact]:
    session = _session(request)
    if session is None:
        raise PortalLoginRequired()
    contact = Contact(session.login, session.name, session.role, "")
    request.state.portal_session = portal(request).codec.renewed(session)
    return session, contact


def _respond(request: Request, response: Response) -> Response:
    session = getattr(request.state, "portal_session", None)
    if session is not None:
        app = console(request)
        secure = app.settings.console.secure_cookies == "always" or (
            app.settings.console.secure_cookies == "auto" and request.url.scheme == "https"
        )
        response.set_cookie(
            COOKIE, portal(request).codec.dumps(session), max_age=portal(request).codec.max_age,
            path="/portal", secure=secure, httponly=True, samesite="lax",
        )  # fmt: skip
    return response


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    session = getattr(request.state, "portal_session", None)
    response = TEMPLATES.TemplateResponse(
        request, template,
        {"csrf": session.csrf if session else "", "member": session,
         "issuer": console(request).settings.issuer, **context},
        status_code=status_code,
    )  # fmt: skip
    return _respond(request, response)


def _go(request: Request, url: str) -> Response:
    return _respond(request, RedirectResponse(url, status_code=303))


async def _posted(request: Request) -> tuple[Session, Contact, Any]:
    session, contact = _contact(request)
    form = await request.form()
    if not session.csrf_ok(str(form.get("csrf") or "")):
        raise _csrf_refused()
    return session, contact, form


def _csrf_refused() -> HTTPException:
    return HTTPException(
        403, "送信を受け付けませんでした。ページを再読み込みしてからやり直してください。"
    )


async def _call(request: Request, fn: Any, *args: Any, _write: bool = False, **kwargs: Any) -> Any:
    """Run ``fn`` through the console's warehouse gate (a write: in the writer slot), its
    audit entries marked as coming from the portal and the remote address."""
    gate = console(request).gate

    def run() -> Any:
        with origin(via="portal", remote=remote(request)):
            return fn(*args, **kwargs)

    return await run_in_threadpool(gate.write if _write else gate.read, run)


# ------------------------------------------------------------------ sign-in


def signin_mail(settings: Settings, contact: Contact, url: str) -> bytes:
    message = EmailMessage()
    message["Subject"] = f"【{settings.newsletter.title}】会員ポータルへのログイン"
    message["From"] = formataddr((settings.issuer.name, str(settings.issuer.contact_email)))
    message["To"] = contact.email
    message["Date"] = formatdate(localtime=True)
    domain = str(settings.issuer.contact_email).rsplit("@", 1)[-1]
    message["Message-ID"] = make_msgid("portal", domain=domain)
    message.set_content(
        f"{contact.member_name} ご担当者様\n\n"
        "会員ポータルへのログインのご依頼を受け付けました。次のリンクを開いてください。\n\n"
        f"{url}\n\n"
        "このリンクは30分間、1回だけ使えます。お心当たりがない場合は、このメールを破棄して\n"
        "ください（何も変更されません）。\n\n"
        f"{settings.issuer.name}\n{settings.issuer.contact_email}\n",
        charset="utf-8",
    )
    return message.as_bytes()


def send_signin(
    settings: Settings, key: str, email: str, base_url: str, next_path: str = "/portal/"
) -> bool:
    """Mail a sign-in link when ``email`` is a registered contact; say nothing either way."""
    contact = find_contact(settings, email)
    if contact is None:
        return False
    signed = issue_link(settings, key, contact)
    url = f"{base_url.rstrip('/')}/portal/link/{signed}"
    if next_path != "/portal/":
        url += f"?next={quote(next_path)}"
    transport = make_transport(settings.mail)
    try:
        transport.deliver(
            signin_mail(settings, contact, url), sender=str(settings.issuer.contact_email),
            recipient=contact.email, issue_id="portal-signin", handed_over=lambda: None,
        )  # fmt: skip
    finally:
        transport.close()
    return True


async def home(request: Request) -> Response:
    if _session(request) is None:
        return _page(request, "portal/signin.html",
                     next=_safe_next(request.query_params.get("next")))  # fmt: skip
    _, contact = _contact(request)
    app = console(request)
    history = await _call(request, submission_history, app.settings, contact.member_id)
    error = UPLOAD_ERRORS.get(request.query_params.get("error", ""))
    return _page(
        request,
        "portal/home.html",
        history=history,
        error=error,
        periods=recent_periods(),
        dataset_url=app.settings.newsletter.dataset_url,
    )


async def signin(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email") or "").strip().lower()
    app, gate = console(request), portal(request)
    # the same answer whether or not the address is known (no account enumeration)
    if not email or "@" not in email:
        return _page(request, "portal/signin.html", status_code=400,
                     error="メールアドレスを入れてください")  # fmt: skip
    if gate.per_remote.allow(remote(request)) and gate.per_address.allow(email):
        base = str(request.base_url)
        target = _safe_next(str(form.get("next") or ""))
        try:
            await _call(request, send_signin, app.settings, gate.key, email, base, target,
                        _write=True)  # fmt: skip
        except EXPECTED:
            pass  # mail could not go out: the page says the same (the server log has it)
    return _page(request, SENT_PAGE, email=email)


async def link_page(request: Request) -> Response:
    signed = request.path_params["signed"]
    app = console(request)
    try:
        contact = await _call(request, peek_link, app.settings, portal(request).key, signed)
    except LinkRefused as exc:
        return _page(request, "portal/signin.html", status_code=410, error=str(exc))
    target = _safe_next(request.query_params.get("next"))
    return _page(request, "portal/link.html", signed=signed, contact=contact, next=target)


async def link_use(request: Request) -> Response:
    form = await request.form()
    app, gate = console(request), portal(request)
    try:
        contact = await _call(request, redeem_link, app.settings, gate.key,
                              str(form.get("signed") or ""), _write=True)  # fmt: skip
    except LinkRefused as exc:
        return _page(request, "portal/signin.html", status_code=410, error=str(exc))
    request.state.portal_session = gate.codec.new(
        contact.email, contact.member_id, contact.member_name
    )
    return _go(request, _safe_next(str(form.get("next") or "")))


def _safe_next(target: str | None) -> str:
    """Only a page of the portal (never another site, never the console)."""
    if target and target.startswith("/portal/") and "//" not in target and "\\" not in target:
        return target
    return "/portal/"


async def signout(request: Request) -> Response:
    response = RedirectResponse("/portal/", status_code=303)
    response.delete_cookie(COOKIE, path="/portal")
    return response


# ------------------------------------------------------------------ reports


def _cap(settings: Settings) -> int:
    return settings.intake.max_file_bytes


async def upload(request: Request) -> Response:
    """Size checked from the request's Content-Length before anything is read; the parts
    are spooled to disk by the form parser, never held whole in memory."""
    app = console(request)
    limit = _cap(app.settings)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(411, "ファイルの大きさが分からないため受け付けられません。")
    if int(length) > limit + 64 * 1024:
        mb = limit // (1024 * 1024)
        raise HTTPException(
            413, f"ファイルが大きすぎます（上限 {mb} MB）。分けて提出してください。"
        )
    _, contact, form = await _posted(request)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _go(request, "/portal/?error=nofile")
    name = clean_name(Path(file.filename).name)
    if not name.lower().endswith(SUFFIXES):
        return _go(request, "/portal/?error=suffix")
    period = str(form.get("period") or "").strip() or None
    if period is not None and not _PERIOD.match(period):
        return _go(request, "/portal/?error=period")
    folder = app.settings.inbox / contact.member_id
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while chunk := await file.read(1024 * 1024):
            out.write(chunk)
            digest.update(chunk)
    clock = portal(request).clock
    now = clock() if clock is not None else None
    outcome = await _call(request, take_in, app.settings, target, contact.member_id, period,
                          now=now, _write=True)  # fmt: skip
    if isinstance(outcome, str):  # handed over: the page waits for the flow run's receipt
        return _go(request, f"/portal/receipts/{digest.hexdigest()}?pending={quote(name)}")
    return _go(request, f"/portal/receipts/{outcome.sha256}")


def take_in(
    settings: Settings, path: Path, member_id: str, period: str | None,
    now: datetime | None = None,
) -> Any:  # fmt: skip
    """Exactly what `renkei submit` does with the file: the event when a Prefect API is
    configured (and no period given), else the one intake here."""
    if period is None and (note := hand_over(settings, path, member_id)):
        return note
    return pipeline.ingest_submission(settings, path, member_id, period=period,
                                      raise_on_reject=False, now=now)  # fmt: skip


async def receipt(request: Request) -> Response:
    _, contact = _contact(request)
    sha256 = request.path_params["sha256"]
    if not _SHA256.match(sha256):
        raise HTTPException(404)
    app = console(request)
    found = await _call(request, member_receipt, app.settings, contact.member_id, sha256)
    if found is None:
        pending = request.query_params.get("pending")
        if pending:  # the on-submission flow run has not written it yet: look again soon
            return _page(request, "portal/handed_over.html", name=pending)
        raise HTTPException(404)
    return _page(request, "portal/receipt.html", **found)


async def template_file(request: Request) -> Response:
    _contact(request)
    fmt = request.path_params["fmt"]
    if fmt not in ("xlsx", "csv"):
        raise HTTPException(404)
    folder = console(request).settings.warehouse.parent / "portal-templates"
    folder.mkdir(parents=True, exist_ok=True)
    paths = await run_in_threadpool(write_template, fmt, folder / f"報告テンプレート.{fmt}")
    return _respond(request, FileResponse(paths[0], filename=paths[0].name))


ROUTES = [
    Route("/portal/", home, methods=["GET"]),
    Route("/portal/signin", signin, methods=["POST"]),
    Route("/portal/link/{signed}", link_page, methods=["GET"]),
    Route("/portal/link", link_use, methods=["POST"]),
    Route("/portal/signout", signout, methods=["POST"]),
    Route("/portal/upload", upload, methods=["POST"]),
    Route("/portal/receipts/{sha256}", receipt, methods=["GET"]),
    Route("/portal/template.{fmt}", template_file, methods=["GET"]),
]
