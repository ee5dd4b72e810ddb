"""The case page and its actions: correct rights, extend, assign, close.

Each action runs in one transaction through cases.actions, so the audit log
records it with the staff member's address as actor; a refused action shows
the page again with the reason instead of changing anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from inbox_triage.cases import actions
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case
from inbox_triage.db.session import transaction
from inbox_triage.errors import NotFoundError, UsageError, WorkflowError
from inbox_triage.web.assignment import assign
from inbox_triage.web.casepage import case_view
from inbox_triage.web.csrf import check_form
from inbox_triage.web.deps import PageUser, app_context
from inbox_triage.web.drafts import reason_key
from inbox_triage.web.render import redirect, render

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(check_form)], include_in_schema=False)
Action = Callable[[Session, AppContext, Case], object]


@router.get("/cases/{reference}")
def case_page(request: Request, user: PageUser, reference: str) -> Response:
    """Messages, classification, customer, deadlines, timeline and actions of one case."""
    return case_page_response(request, reference)


@router.post("/cases/{reference}/rights")
def correct_rights(
    request: Request,
    user: PageUser,
    reference: str,
    rights: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Replace the classified rights; the deadline is recomputed from them."""
    if not rights:
        return case_page_response(request, reference, error="case.error.no_rights", status=400)
    if not reason.strip():
        return case_page_response(request, reference, error="case.error.reason_needed", status=400)
    return _act(
        request,
        reference,
        lambda s, ctx, case: actions.correct_rights(s, ctx, case, rights, user.email, reason),
    )


@router.post("/cases/{reference}/extend")
def extend(
    request: Request, user: PageUser, reference: str, reason: Annotated[str, Form()] = ""
) -> Response:
    """Extend by two months with a written reason (only within the first month)."""
    if not reason.strip():
        return case_page_response(request, reference, error="case.error.reason_needed", status=400)
    return _act(
        request, reference, lambda s, ctx, case: actions.extend(s, ctx, case, reason, user.email)
    )


@router.post("/cases/{reference}/assign")
def assign_case(
    request: Request, user: PageUser, reference: str, assignee: Annotated[str, Form()] = ""
) -> Response:
    """Hand the case to a staff member (empty: nobody)."""
    return _act(
        request, reference, lambda s, ctx, case: assign(s, ctx, case, assignee or None, user.email)
    )


@router.post("/cases/{reference}/close")
def close(
    request: Request, user: PageUser, reference: str, reason: Annotated[str, Form()] = ""
) -> Response:
    """Close the case (it reopens by itself if the requester writes again)."""
    return _act(
        request,
        reference,
        lambda s, ctx, case: actions.change_status(s, ctx, case, "closed", user.email, reason),
    )


def _act(request: Request, reference: str, action: Action) -> Response:
    ctx = app_context(request)
    try:
        with transaction(ctx.sessions) as session:
            case = actions.get_case(session, reference)
            action(session, ctx, case)
            log.info("case %s changed through the web UI", case.reference)
    except NotFoundError:
        return render(request, "error.html", status=404, message="error.not_found")
    except UsageError as error:
        return case_page_response(
            request, reference, error="case.error.refused", detail=str(error), status=400
        )
    except WorkflowError as error:
        return case_page_response(
            request, reference, error="case.error.refused", detail=str(error), status=409
        )
    return redirect(request, f"/cases/{quote(reference)}")


def case_page_response(
    request: Request, reference: str, error: str | None = None, detail: str = "", status: int = 200
) -> Response:
    """The case page, optionally with an error above it (a refused action)."""
    ctx = app_context(request)
    with ctx.sessions() as session:
        try:
            view = case_view(session, ctx, reference)
        except NotFoundError:
            return render(request, "error.html", status=404, message="error.not_found")
        return render(
            request,
            "case.html",
            status=status,
            view=view,
            case=view.case,
            error=error,
            detail=detail,
            reason_key=reason_key,
        )
