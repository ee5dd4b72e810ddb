"""CSRF protection: every state-changing request proves it came from our own page.

The token lives in the signed session cookie and is repeated in each form (a
hidden `csrf_token` field) or, for API calls made with the session cookie, in
the `X-CSRF-Token` header. Bearer-token API calls need none: a browser never
sends those on its own. A request without a session gets a fresh one, so the
token is there even on the login form.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request
from starlette.responses import Response

from inbox_triage.web.cookies import SessionCodec, SessionData

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def codec_of(request: Request) -> SessionCodec:
    """The cookie codec of this application."""
    return request.app.state.web.codec


def session_of(request: Request) -> SessionData:
    """The request's session, creating (and later setting) a new one when missing."""
    cached: SessionData | None = getattr(request.state, "session_data", None)
    if cached is not None:
        return cached
    data = codec_of(request).read(request)
    if data is None:
        data = SessionData.fresh()
        request.state.session_dirty = True
    request.state.session_data = data
    return data


def replace_session(request: Request, data: SessionData) -> None:
    """Swap the session (login, logout); the response will carry the new cookie."""
    request.state.session_data = data
    request.state.session_dirty = True


def finish(request: Request, response: Response) -> Response:
    """Attach the session cookie to the response when it is new or changed."""
    if getattr(request.state, "session_dirty", False):
        codec_of(request).write(request, response, request.state.session_data)
    return response


def token_matches(request: Request, given: object) -> bool:
    """Constant-time comparison of a submitted token with the session's."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(given.encode(), session_of(request).csrf.encode())


async def check_form(request: Request) -> None:
    """Dependency of HTML routes: unsafe methods need the form's token to match."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    if not token_matches(request, form.get(FIELD)):
        raise HTTPException(status_code=403, detail="csrf")


def check_header(request: Request) -> None:
    """For API calls authenticated by the session cookie: the token in a header."""
    if request.method in SAFE_METHODS:
        return
    if not token_matches(request, request.headers.get(HEADER)):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
