"""Console sessions: a signed cookie that carries who signed in, their CSRF token and
when the session began and was last used; nothing is kept on the server.

The cookie is signed with the console key (itsdangerous, HMAC-SHA1 over a timestamped
payload), HttpOnly and SameSite=Lax, Secure over HTTPS. It expires after
``idle_minutes`` without a request and ``absolute_hours`` after sign-in, whatever happens
in between; each request that is answered renews the idle clock.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, replace

from itsdangerous import BadSignature, URLSafeTimedSerializer

from renkei.core.settings import ConsoleSettings
from renkei.core.signin import console_key

COOKIE = "renkei_console"


def load_key(console: ConsoleSettings) -> str:
    """The signing key (see renkei.core.signin.console_key: the portal links use it too)."""
    return console_key(console)


@dataclass(frozen=True)
class Session:
    login: str
    name: str
    role: str
    csrf: str
    began: float  # epoch seconds of the sign-in
    seen: float  # epoch seconds of the last request

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token or "")


class SessionCodec:
    def __init__(
        self, key: str, console: ConsoleSettings, clock=time.time, *,
        salt: str = "renkei-console-session",
    ) -> None:  # fmt: skip
        self._serializer = URLSafeTimedSerializer(key, salt=salt)
        self._idle = console.idle_minutes * 60
        self._absolute = console.absolute_hours * 3600
        self._clock = clock

    @property
    def max_age(self) -> int:
        return self._absolute

    def new(self, login: str, name: str, role: str) -> Session:
        now = self._clock()
        return Session(login, name, role, secrets.token_urlsafe(32), now, now)

    def dumps(self, session: Session) -> str:
        return self._serializer.dumps(
            [session.login, session.name, session.role, session.csrf, session.began, self._clock()]
        )

    def loads(self, cookie: str | None) -> Session | None:
        """The session in ``cookie``, or None when it is missing, forged or expired."""
        if not cookie:
            return None
        try:
            login, name, role, csrf, began, seen = self._serializer.loads(
                cookie, max_age=self._absolute
            )
        except (BadSignature, ValueError, TypeError):
            return None
        now = self._clock()
        if now - float(began) > self._absolute or now - float(seen) > self._idle:
            return None
        return Session(str(login), str(name), str(role), str(csrf), float(began), float(seen))

    def renewed(self, session: Session) -> Session:
        return replace(session, seen=self._clock())
