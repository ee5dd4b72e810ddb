"""Staff accounts: argon2 password hashes, login checks and hashed API tokens.

Passwords are hashed with argon2id; API tokens are long random strings, so a
plain SHA-256 of each is enough to store (nothing to brute-force). Unknown
addresses cost the same hashing time as known ones, so timing does not tell
who has an account.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.context import AppContext
from inbox_triage.db.models import ApiToken, User
from inbox_triage.db.session import transaction
from inbox_triage.errors import NotFoundError, UsageError

log = logging.getLogger(__name__)

ROLES = ("staff", "admin")
LANGUAGES = ("hu", "en")
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "itk_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password, only spends time")


@dataclass(frozen=True)
class StaffUser:
    """The signed-in staff member as the web layer sees it (no hash, no ORM state)."""

    id: int
    email: str
    role: str
    language: str
    session_version: int

    @classmethod
    def of(cls, user: User) -> StaffUser:
        """Snapshot of a User row that outlives its session."""
        return cls(user.id, user.email, user.role, user.language, user.session_version)


def normalise_email(email: str) -> str:
    """Staff log in with their address in any case; it is stored lower-cased."""
    return email.strip().lower()


def generate_password() -> str:
    """A random password for `users add` when none is given (shown once)."""
    return secrets.token_urlsafe(15)


def add_user(
    app: AppContext, email: str, role: str, password: str | None = None, language: str | None = None
) -> str:
    """Create a staff account; returns the password used (generated when None)."""
    address = normalise_email(email)
    if not _EMAIL.match(address):
        raise UsageError(f"not an e-mail address: {email!r}")
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    language = language or app.settings.web.default_language
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    password = generate_password() if password is None else password
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    with transaction(app.sessions) as session:
        if session.scalar(select(User.id).where(User.email == address)) is not None:
            raise UsageError(f"a user {address} already exists")
        user = User(
            email=address,
            password_hash=_HASHER.hash(password),
            role=role,
            language=language,
            active=True,
            session_version=0,
            created_at=app.clock(),
        )
        session.add(user)
        session.flush()
        log.info("user %s created with role %s", user.id, role)
    return password


def authenticate(session: Session, app: AppContext, email: str, password: str) -> User | None:
    """The active user with this address and password, or None (same cost either way)."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    user.last_login_at = app.clock()
    return user


def _verify(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def load_user(session: Session, user_id: int, session_version: int) -> User | None:
    """The user a session cookie names, if still active and the session not revoked."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != session_version:
        return None
    return user


def end_sessions(session: Session, user_id: int) -> None:
    """Invalidate every session cookie of the user (logout ends them everywhere)."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_version += 1


def set_language(session: Session, user_id: int, language: str) -> None:
    """Remember the UI language the user chose."""
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}")
    user = session.get(User, user_id)
    if user is not None:
        user.language = language


def active_users(session: Session) -> list[str]:
    """Addresses of everyone a case can be assigned to."""
    return list(session.scalars(select(User.email).where(User.active).order_by(User.email)))


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(app: AppContext, email: str) -> str:
    """A new bearer token for the user's scripts; returned once, stored hashed."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction(app.sessions) as session:
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None or not user.active:
            raise NotFoundError(f"no active user {normalise_email(email)}")
        row = ApiToken(
            user_id=user.id,
            token_hash=token_digest(token),
            prefix=token[: len(TOKEN_PREFIX) + 6],
            created_at=app.clock(),
        )
        session.add(row)
        session.flush()
        log.info("API token %s created for user %s", row.id, user.id)
    return token


def token_user(session: Session, app: AppContext, token: str) -> User | None:
    """The active user owning this unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = app.clock()
    return user
