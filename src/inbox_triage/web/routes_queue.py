"""The queue page and the "other mail" page with its "open as case" button."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from inbox_triage.cases.manual import open_case_from_message
from inbox_triage.cases.states import STATES
from inbox_triage.db.session import transaction
from inbox_triage.errors import InboxTriageError, NotFoundError, UsageError
from inbox_triage.nlp.labels import RIGHTS
from inbox_triage.web.auth import active_users
from inbox_triage.web.csrf import check_form
from inbox_triage.web.deps import PageUser, app_context
from inbox_triage.web.other_mail import other_messages
from inbox_triage.web.queue import QueueFilter, queue_page
from inbox_triage.web.render import redirect, render

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(check_form)], include_in_schema=False)


@router.get("/")
def queue(request: Request, user: PageUser, page: str = "1") -> Response:
    """Open cases by binding deadline, filtered as the query string says, 100 a page."""
    ctx = app_context(request)
    error = None
    try:
        wanted = QueueFilter.from_params(request.query_params)
    except UsageError:
        wanted, error = QueueFilter(), "queue.bad_filter"
    with ctx.sessions() as session:
        result = queue_page(session, ctx, wanted, user.email, page=_page_number(page))
        staff = active_users(session)
    return render(
        request,
        "queue.html",
        status=400 if error else 200,
        rows=result.rows,
        result=result,
        page_url=lambda number: "/?" + urlencode(wanted.to_params() | {"page": str(number)}),
        wanted=wanted,
        staff=staff,
        states=STATES,
        rights=RIGHTS,
        error=error,
    )


def _page_number(text: str) -> int:
    """The requested page; anything not a positive number is the first page."""
    return int(text) if text.isdigit() and 0 < len(text) < 7 else 1


@router.get("/other")
def other_mail(
    request: Request,
    user: PageUser,
    all: str = "",
) -> Response:
    """Mail that opened no case, the unsure ones by default."""
    ctx = app_context(request)
    everything = all.lower() in {"1", "true", "on"}
    with ctx.sessions() as session:
        messages = other_messages(session, everything=everything)
    return render(
        request, "other.html", messages=messages, rights=RIGHTS, everything=everything, error=None
    )


@router.post("/messages/{message_id}/open-case")
def open_case(
    request: Request,
    user: PageUser,
    message_id: int,
    rights: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Open a case for the message with the rights the staff member ticked."""
    ctx = app_context(request)
    rights = rights or []
    if not rights:
        return _other_with_error(request, "other.choose_rights", 400)
    try:
        with transaction(ctx.sessions) as session:
            case = open_case_from_message(session, ctx, message_id, rights, actor=user.email)
            reference = case.reference
    except NotFoundError:
        return _other_with_error(request, "error.not_found", 404)
    except InboxTriageError:
        return _other_with_error(request, "other.cannot_open", 409)
    return redirect(request, f"/cases/{reference}")


def _other_with_error(request: Request, error: str, status: int) -> Response:
    ctx = app_context(request)
    with ctx.sessions() as session:
        messages = other_messages(session)
    return render(
        request,
        "other.html",
        status=status,
        messages=messages,
        rights=RIGHTS,
        everything=False,
        error=error,
    )
