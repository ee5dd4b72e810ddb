"""Login, logout and the language preference."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from inbox_triage.db.session import transaction
from inbox_triage.web.auth import StaffUser, authenticate, end_sessions, normalise_email
from inbox_triage.web.auth import set_language as store_language
from inbox_triage.web.cookies import SessionData
from inbox_triage.web.csrf import check_form, replace_session
from inbox_triage.web.deps import PageUser, app_context, signed_in_user, web_state
from inbox_triage.web.i18n import LANGUAGES
from inbox_triage.web.render import redirect, render, safe_next

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(check_form)], include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The login form (already signed in: straight on)."""
    if signed_in_user(request) is not None:
        return redirect(request, safe_next(next))
    return render(request, "login.html", next=safe_next(next), email="", error=None)


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password, with failed attempts limited per address and per account."""
    limiter = web_state(request).limiter
    client = request.client.host if request.client else "unknown"
    keys = (f"ip:{client}", f"user:{normalise_email(email)}")
    wait = limiter.retry_after(*keys)
    if wait:
        response = render(
            request,
            "login.html",
            status=429,
            next=safe_next(next),
            email=email,
            error="login.too_many",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    ctx = app_context(request)
    with transaction(ctx.sessions) as session:
        user = authenticate(session, ctx, email, password)
        snapshot = StaffUser.of(user) if user is not None else None
    if snapshot is None:
        limiter.failed(*keys)
        log.info("failed login attempt")
        return render(
            request,
            "login.html",
            status=401,
            next=safe_next(next),
            email=email,
            error="login.failed",
        )
    limiter.succeeded(keys[1])
    log.info("user %s signed in", snapshot.id)
    replace_session(request, SessionData.fresh(snapshot.id, snapshot.session_version))
    request.state.user = snapshot
    return redirect(request, safe_next(next))


@router.post("/logout")
def logout(request: Request, user: PageUser) -> Response:
    """End every session of the user (the cookie alone could be replayed otherwise)."""
    ctx = app_context(request)
    with transaction(ctx.sessions) as session:
        end_sessions(session, user.id)
    log.info("user %s signed out", user.id)
    replace_session(request, SessionData.fresh())
    request.state.user = None
    return redirect(request, "/login")


@router.post("/preferences/language")
def set_language(
    request: Request,
    user: PageUser,
    language: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Remember the chosen UI language for this user."""
    if language in LANGUAGES:
        ctx = app_context(request)
        with transaction(ctx.sessions) as session:
            store_language(session, user.id, language)
    return redirect(request, safe_next(next))
