"""Who is asking: passwords, sessions, CSRF tokens and the single sign-on header.

Passwords are kept as argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommended
choice). A session is a random token in an HttpOnly, SameSite=Lax cookie; the store keeps only
its SHA-256, with the session's own CSRF token, and ends it when idle or old (`WebSettings`).
Every POST must carry that CSRF token; the sign-in form, which has no session yet, carries one
that must match a cookie set with the form (a "double submit"), so no other site can sign a
browser in to an account of its choosing.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session

from permanence import store
from permanence.store import Account
from permanence.web.settings import WebSettings

SESSION_COOKIE = "permanence_session"
SIGN_IN_COOKIE = "permanence_sign_in"
FORM_LIMIT = 8_192  # bytes: a sign-in or sign-out form is far smaller
PASSWORD_MINIMUM = 12


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches. Without a hash (no such account, or single sign-on
    only) a hash is still checked, so a refusal takes as long either way and does not tell
    which lead ids have accounts."""
    try:
        return _hasher().verify(password_hash or _decoy(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _decoy() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a session's token: a copy of the store signs nobody in."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def same(given: str | None, expected: str | None) -> bool:
    """Tokens compared in constant time; a missing one never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def read_form(body: bytes) -> dict[str, str] | None:
    """An application/x-www-form-urlencoded body as its first value per field; None when it
    is too long or not text."""
    if len(body) > FORM_LIMIT:
        return None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20,
                          strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None
    return {name: values[0] for name, values in fields.items()}


@dataclass(frozen=True)
class Viewer:
    """A signed-in lead: their account, and their session's CSRF token and token hash."""

    account: Account
    csrf: str
    session_hash: str

    @property
    def every_team(self) -> bool:
        return self.account.team == "*"

    def may_see(self, team: str) -> bool:
        """A team's people see their team; a lead with team `*` sees every team."""
        return self.every_team or team == self.account.team

    @property
    def scope(self) -> str | None:
        """The team the board shows, or None for every team."""
        return None if self.every_team else self.account.team


def start(session: Session, account: Account, now: datetime) -> tuple[str, Viewer]:
    """A new session for a lead: the cookie's token and who they are."""
    token, csrf = new_token(), new_token()
    hashed = token_hash(token)
    store.start_session(session=session, token_hash=hashed, lead_id=account.lead_id,
                        csrf_token=csrf, now=now)
    return token, Viewer(account, csrf, hashed)


def resume(session: Session, token: str | None, settings: WebSettings,
           now: datetime) -> Viewer | None:
    """The lead a session cookie belongs to, while the session lives."""
    if not token:
        return None
    hashed = token_hash(token)
    found = store.live_session(session=session, token_hash=hashed, now=now,
                               idle=settings.idle, lifetime=settings.lifetime)
    if found is None:
        return None
    account, csrf = found
    return Viewer(account, csrf, hashed)
