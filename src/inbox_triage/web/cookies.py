"""The signed session cookie: who is signed in, and the CSRF token of the session.

The cookie holds only ids and a random token, signed with the installation's
secret key (itsdangerous, with a timestamp so it expires server-side too).
Every visitor gets one, signed in or not, so even the login form carries a
CSRF token. It is HttpOnly, SameSite=Lax (links from the digest e-mail still
open a case) and Secure whenever the UI is reached over HTTPS.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from inbox_triage.config import Settings
from inbox_triage.errors import ConfigError, StorageError

log = logging.getLogger(__name__)

COOKIE_NAME = "inbox_triage_session"
SECRET_FILE = "web-secret.key"
_SALT = "inbox-triage.session"


@dataclass(frozen=True)
class SessionData:
    """What the cookie says: the user (if signed in) and the session's CSRF token."""

    csrf: str
    user_id: int | None = None
    version: int = 0

    @classmethod
    def fresh(cls, user_id: int | None = None, version: int = 0) -> SessionData:
        """A new session with a new CSRF token (also on login: no session fixation)."""
        return cls(csrf=secrets.token_urlsafe(32), user_id=user_id, version=version)


def load_secret(settings: Settings) -> str:
    """The signing key: the configured file, or one generated in data_dir on first start."""
    configured = settings.web.secret_key_file
    path = Path(configured) if configured else settings.data_dir / SECRET_FILE
    if not path.exists():
        if configured:
            raise ConfigError(f"web.secret_key_file: {path} does not exist")
        _create_secret(path)
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < 32:
        raise ConfigError(f"web.secret_key_file: {path} holds fewer than 32 characters")
    return secret


def _create_secret(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
    except OSError as error:  # disk full: an empty key file would block every later start
        path.unlink(missing_ok=True)
        raise StorageError(f"cannot write the web session key {path}: {error.strerror}") from None
    log.info("generated a new web session key")


class SessionCodec:
    """Signs and reads session cookies with one key and maximum age."""

    def __init__(self, secret: str, max_age_seconds: int, always_secure: bool) -> None:
        if max_age_seconds < 60:
            raise ConfigError("web.session_max_age_seconds: must be at least 60")
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self.max_age = max_age_seconds
        self.always_secure = always_secure

    def read(self, request: Request) -> SessionData | None:
        """The valid, unexpired session of the request, or None."""
        raw = request.cookies.get(COOKIE_NAME)
        if not raw:
            return None
        try:
            data = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        user_id = data.get("u")
        version = data.get("v", 0)
        if not (user_id is None or isinstance(user_id, int)) or not isinstance(version, int):
            return None
        return SessionData(csrf=data["c"], user_id=user_id, version=version)

    def write(self, request: Request, response: Response, data: SessionData) -> None:
        """Set the cookie on the response with the flags the request's scheme calls for."""
        value = self._serializer.dumps({"c": data.csrf, "u": data.user_id, "v": data.version})
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=self.max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.is_https(request),
        )

    def is_https(self, request: Request) -> bool:
        """HTTPS directly, through a trusted proxy (X-Forwarded-Proto), or by configuration."""
        return self.always_secure or request.url.scheme == "https"
