"""Per-application state and the request dependencies every route shares.

Pages want a signed-in staff member (else: off to the login form); the API
accepts a bearer token or the session cookie plus the CSRF header (else: 401).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from inbox_triage.context import AppContext
from inbox_triage.db.session import transaction
from inbox_triage.web.auth import StaffUser, load_user, token_user
from inbox_triage.web.cookies import SessionCodec
from inbox_triage.web.csrf import check_header, session_of
from inbox_triage.web.i18n import Catalogues
from inbox_triage.web.ratelimit import LoginLimiter

bearer = HTTPBearer(auto_error=False, description="A token from `create_api_token`.")


@dataclass
class WebState:
    """Everything the web layer builds once per application."""

    ctx: AppContext
    codec: SessionCodec
    limiter: LoginLimiter
    catalogues: Catalogues
    templates: jinja2.Environment


class LoginRequired(Exception):
    """A page was asked for without a valid session; the handler redirects to /login."""


def web_state(request: Request) -> WebState:
    """The WebState of the application serving this request."""
    return request.app.state.web


def app_context(request: Request) -> AppContext:
    """The product's AppContext (settings, database, clock)."""
    return web_state(request).ctx


def local_today(ctx: AppContext) -> date:
    """Today in the installation's time zone, by the context's clock."""
    return ctx.clock().astimezone(ZoneInfo(ctx.settings.deadlines.timezone)).date()


def signed_in_user(request: Request) -> StaffUser | None:
    """The staff member the session cookie names, if the session is still valid."""
    if hasattr(request.state, "user"):
        return request.state.user
    user = None
    data = session_of(request)
    if data.user_id is not None:
        ctx = app_context(request)
        with ctx.sessions() as session:
            row = load_user(session, data.user_id, data.version)
            user = StaffUser.of(row) if row is not None else None
    request.state.user = user
    return user


def page_user(request: Request) -> StaffUser:
    """Dependency of HTML pages: the signed-in user, or a redirect to the login form."""
    user = signed_in_user(request)
    if user is None:
        raise LoginRequired()
    return user


def api_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> StaffUser:
    """Dependency of the API: a bearer token, or the session cookie with the CSRF header."""
    if credentials is not None:
        ctx = app_context(request)
        with transaction(ctx.sessions) as session:
            row = token_user(session, ctx, credentials.credentials)
            user = StaffUser.of(row) if row is not None else None
        if user is None:
            raise _unauthorized()
        request.state.user = user
        return user
    if web_state(request).codec.read(request) is not None:
        user = signed_in_user(request)
        if user is not None:
            check_header(request)
            return user
    raise _unauthorized()


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=401, detail="authentication required", headers={"WWW-Authenticate": "Bearer"}
    )


PageUser = Annotated[StaffUser, Depends(page_user)]
ApiUser = Annotated[StaffUser, Depends(api_user)]
