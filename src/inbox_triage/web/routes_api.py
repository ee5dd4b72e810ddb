"""The JSON API under /api: the queue and the case actions, for scripts.

Authentication is a bearer token (`Authorization: Bearer itk_...`) or the
browser session plus the `X-CSRF-Token` header. Errors are JSON
`{"detail": "..."}`: 400 bad input, 401 no or bad credentials, 404 unknown
case or message, 409 the workflow does not allow the action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from inbox_triage.cases import actions
from inbox_triage.cases.manual import open_case_from_message
from inbox_triage.cases.schedule import calendar_for
from inbox_triage.cases.views import show_case
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case
from inbox_triage.db.session import transaction
from inbox_triage.errors import NotFoundError, UsageError, WorkflowError
from inbox_triage.web.assignment import assign, assignee_of
from inbox_triage.web.deps import ApiUser, api_user, app_context, local_today
from inbox_triage.web.other_mail import other_messages
from inbox_triage.web.queue import QueueFilter, queue_rows, urgency, working_days_left

router = APIRouter(prefix="/api", tags=["cases"], dependencies=[Depends(api_user)])


class RightsCorrection(BaseModel):
    """New rights for a case, and why the classifier was wrong."""

    rights: list[str] = Field(min_length=1, examples=[["erasure"]])
    reason: str = Field(min_length=1, examples=["the requester asks for deletion"])


class Extension(BaseModel):
    """The reason for extending, as the requester will be told."""

    reason: str = Field(min_length=1)


class Closing(BaseModel):
    """Why the case is closed (optional)."""

    reason: str = ""


class Assignment(BaseModel):
    """The staff member's address, or null to unassign."""

    assignee: str | None = None


class OpenCase(BaseModel):
    """The rights staff chose for a message the classifier kept as other mail."""

    rights: list[str] = Field(min_length=1)


@contextmanager
def api_errors() -> Iterator[None]:
    """The product's errors as HTTP errors: 404 unknown, 400 bad input, 409 refused."""
    try:
        yield
    except NotFoundError as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
    except UsageError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    except WorkflowError as error:
        raise HTTPException(status_code=409, detail=str(error)) from None


def case_detail(session: Session, ctx: AppContext, reference: str) -> dict[str, Any]:
    """`cases show --json` plus the assignee and working days left."""
    detail = show_case(session, reference, local_today(ctx), calendar_for(ctx))
    case = actions.get_case(session, reference)
    left = working_days_left(ctx, case.due, local_today(ctx))
    return detail | {
        "assignee": assignee_of(session, case),
        "working_days_left": left,
        "urgency": urgency(left),
    }


def _act(
    request: Request, reference: str, action: Callable[[Session, AppContext, Case], object]
) -> dict[str, Any]:
    ctx = app_context(request)
    with api_errors(), transaction(ctx.sessions) as session:
        case = actions.get_case(session, reference)
        result = action(session, ctx, case)
        detail = case_detail(session, ctx, reference)
    if isinstance(result, list):
        detail["warnings"] = result
    return detail


@router.get("/cases", summary="The queue: open cases by binding deadline")
def list_cases(
    request: Request,
    user: ApiUser,
    status: Annotated[str | None, Query(description="one case state (closed ones too)")] = None,
    right: Annotated[str | None, Query(description="cases invoking this right")] = None,
    overdue: bool = False,
    assignee: Annotated[str | None, Query(description="an address, `me` or `none`")] = None,
    unverified: bool = False,
    q: Annotated[str, Query(description="reference, name or e-mail address")] = "",
) -> list[dict[str, Any]]:
    """Same rows and filters as the queue page."""
    params = {
        "status": status or "",
        "right": right or "",
        "overdue": str(overdue),
        "assignee": assignee or "",
        "unverified": str(unverified),
        "q": q,
    }
    ctx = app_context(request)
    with api_errors(), ctx.sessions() as session:
        wanted = QueueFilter.from_params(params)
        return [row.to_json() for row in queue_rows(session, ctx, wanted, user.email)]


@router.get("/cases/{reference}", summary="One case with messages, deadlines and events")
def get_case(request: Request, reference: str) -> dict[str, Any]:
    """The case as `inbox-triage cases show REF --json`, plus assignee."""
    ctx = app_context(request)
    with api_errors(), ctx.sessions() as session:
        return case_detail(session, ctx, reference)


@router.post("/cases/{reference}/rights", summary="Correct the rights; recomputes the deadline")
def correct_rights(
    request: Request, user: ApiUser, reference: str, body: RightsCorrection
) -> dict[str, Any]:
    """Replace the classified rights and return the case with its new deadline."""
    return _act(
        request,
        reference,
        lambda s, ctx, case: actions.correct_rights(
            s, ctx, case, body.rights, user.email, body.reason
        ),
    )


@router.post("/cases/{reference}/extend", summary="Extend by two months (first month only)")
def extend(request: Request, user: ApiUser, reference: str, body: Extension) -> dict[str, Any]:
    """Extend the deadline; `warnings` says when it now lies past a policy date."""
    return _act(
        request,
        reference,
        lambda s, ctx, case: actions.extend(s, ctx, case, body.reason, user.email),
    )


@router.post("/cases/{reference}/close", summary="Close the case")
def close(request: Request, user: ApiUser, reference: str, body: Closing) -> dict[str, Any]:
    """Move the case to `closed`."""
    return _act(
        request,
        reference,
        lambda s, ctx, case: actions.change_status(s, ctx, case, "closed", user.email, body.reason),
    )


@router.post("/cases/{reference}/assign", summary="Assign the case to a staff member")
def assign_case(
    request: Request, user: ApiUser, reference: str, body: Assignment
) -> dict[str, Any]:
    """Record an `assigned` event (null assignee: unassigned)."""
    return _act(
        request, reference, lambda s, ctx, case: assign(s, ctx, case, body.assignee, user.email)
    )


@router.get("/messages/other", tags=["messages"], summary="Mail that opened no case")
def list_other(request: Request, everything: bool = False) -> list[dict[str, Any]]:
    """`other` mail needing review (all other mail with `everything=true`)."""
    ctx = app_context(request)
    with ctx.sessions() as session:
        return [row.to_json() for row in other_messages(session, everything=everything)]


@router.post(
    "/messages/{message_id}/open-case",
    tags=["messages"],
    summary="Open a case for a message, with rights chosen by staff",
)
def open_case(request: Request, user: ApiUser, message_id: int, body: OpenCase) -> dict[str, Any]:
    """Open the case and return it."""
    ctx = app_context(request)
    with api_errors(), transaction(ctx.sessions) as session:
        case = open_case_from_message(session, ctx, message_id, body.rights, user.email)
        return case_detail(session, ctx, case.reference)
