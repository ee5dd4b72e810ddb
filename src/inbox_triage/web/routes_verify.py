"""The public identity-verification page a requester reaches from the link in our letter.

No login: the visitor is whoever holds the link. GET only shows a confirm button,
because mail scanners and link previews fetch links on their own; the POST
(CSRF-protected with the anonymous session's token, like the login form) redeems
it. The page says what happened and nothing else: not the case reference, not
the customer, not the address, so a forwarded or guessed link discloses nothing.
POSTs are limited per client address. The token is kept out of the request log
(customers.challenge: tokens are never logged).
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from inbox_triage.customers.challenge import redeem_link
from inbox_triage.web.csrf import check_form
from inbox_triage.web.deps import app_context
from inbox_triage.web.ratelimit import LoginLimiter
from inbox_triage.web.render import render

log = logging.getLogger(__name__)
ATTEMPTS_PER_MINUTE = 10
OUTCOMES = frozenset({"verified", "already_verified", "expired", "locked", "invalid"})
_limiter_lock = threading.Lock()


router = APIRouter(
    prefix="/verify",
    dependencies=[Depends(check_form)],
    include_in_schema=False,
)


def limiter_of(request: Request) -> LoginLimiter:
    """This application's limiter of confirmations (one per app, made on first use)."""
    state = request.app.state
    with _limiter_lock:
        limiter = getattr(state, "verify_limiter", None)
        if limiter is None:
            limiter = state.verify_limiter = LoginLimiter(ATTEMPTS_PER_MINUTE)
    return limiter


def _page(request: Request, token: str, status: int = 200, **values: object) -> Response:
    return render(
        request,
        "verify.html",
        status=status,
        action="/verify/" + quote(token, safe=""),
        **{"outcome": None, "error": None, **values},
    )


@router.get("/{token}")
def confirm_form(request: Request, token: str) -> Response:
    """The confirm button only: opening the link redeems nothing."""
    return _page(request, token)


@router.post("/{token}")
def confirm(request: Request, token: str) -> Response:
    """Redeem the link and say how it went, without naming the case or the requester."""
    limiter = limiter_of(request)
    client = request.client.host if request.client else "unknown"
    key = f"ip:{client}"
    wait = limiter.retry_after(key)
    if wait:
        response = _page(request, token, status=429, error="verify.too_many")
        response.headers["Retry-After"] = str(wait)
        return response
    limiter.failed(key)  # every confirmation counts, not only the failed ones
    result = redeem_link(app_context(request), token)
    outcome = result.outcome if result.outcome in OUTCOMES else "invalid"
    log.info("verification link confirmed: %s", outcome)
    return _page(request, token, status=200 if result.ok else 400, outcome=outcome)
