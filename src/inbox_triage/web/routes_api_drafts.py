"""The JSON API for drafts and the outbox: the same operations as the case and outbox pages.

Authentication as for the rest of /api: a bearer token, or the browser
session plus the `X-CSRF-Token` header. Drafts are shown as
`inbox-triage drafts show ID --json` shows them; errors are JSON
`{"detail": "..."}` with 400, 404 or 409 as for cases.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from inbox_triage.customers.challenge import issue_challenge
from inbox_triage.db.session import transaction
from inbox_triage.drafting import store
from inbox_triage.mail import outbox
from inbox_triage.web.deps import ApiUser, api_user, app_context
from inbox_triage.web.drafts import OUTBOX_STATES, outbox_list, outbox_row
from inbox_triage.web.routes_api import api_errors

router = APIRouter(prefix="/api", tags=["drafts"], dependencies=[Depends(api_user)])
DRAFT_STATES = ("draft", "approved", "sent", "rejected")


class DraftEdit(BaseModel):
    """New wording; a field left out keeps its current value."""

    subject: str | None = Field(default=None, min_length=1)
    body_text: str | None = Field(default=None, min_length=1)


class Rejection(BaseModel):
    """Why the draft must not be sent (kept on the draft and in the audit log)."""

    reason: str = Field(min_length=1, examples=["the requester withdrew the request"])


@router.get("/drafts", summary="Drafts, oldest first")
def list_drafts(
    request: Request,
    state: Annotated[str | None, Query(description="draft, approved, sent or rejected")] = None,
    case: Annotated[str | None, Query(description="only the drafts of this case")] = None,
) -> list[dict[str, Any]]:
    """`inbox-triage drafts list --json`, optionally narrowed to one state or case."""
    if state is not None and state not in DRAFT_STATES:
        raise HTTPException(status_code=400, detail=f"unknown draft state {state!r}")
    ctx = app_context(request)
    with ctx.sessions() as session:
        rows = store.list_drafts(session, state=state)
    return [row for row in rows if case is None or row["case"] == case]


@router.get("/drafts/{draft_id}", summary="One draft with its text and outbox rows")
def show_draft(request: Request, draft_id: int) -> dict[str, Any]:
    """`inbox-triage drafts show ID --json`."""
    ctx = app_context(request)
    with api_errors(), ctx.sessions() as session:
        return store.show_draft(session, draft_id)


@router.post("/drafts/{draft_id}/edit", summary="Change the subject or text of an open draft")
def edit_draft(request: Request, user: ApiUser, draft_id: int, body: DraftEdit) -> dict[str, Any]:
    """The edited draft, with `disclosure`: whether the guard would now let it go."""
    if body.subject is None and body.body_text is None:
        raise HTTPException(status_code=400, detail="give subject, body_text or both")
    ctx = app_context(request)
    with api_errors(), transaction(ctx.sessions) as session:
        return store.edit_draft(
            session, ctx, draft_id, user.email, subject=body.subject, body_text=body.body_text
        )


@router.post("/drafts/{draft_id}/approve", summary="Approve: the letter goes to the outbox")
def approve_draft(request: Request, user: ApiUser, draft_id: int) -> dict[str, Any]:
    """The approved draft; its `outbox` list holds the queued message."""
    ctx = app_context(request)
    with api_errors(), transaction(ctx.sessions) as session:
        return store.approve_draft(session, ctx, draft_id, user.email)


@router.post(
    "/drafts/{draft_id}/code",
    summary="Put a new one-time verification code into the case's verification request",
)
def insert_code(request: Request, user: ApiUser, draft_id: int) -> dict[str, Any]:
    """Issues a challenge for the draft's case; the returned draft carries the code."""
    ctx = app_context(request)
    with api_errors(), transaction(ctx.sessions) as session:
        issue_challenge(session, ctx, store.get_draft(session, draft_id).case, user.email)
        return store.show_draft(session, draft_id)


@router.post("/drafts/{draft_id}/reject", summary="Reject a draft with a reason")
def reject_draft(request: Request, user: ApiUser, draft_id: int, body: Rejection) -> dict[str, Any]:
    """The rejected draft."""
    ctx = app_context(request)
    with api_errors(), transaction(ctx.sessions) as session:
        store.reject_draft(session, ctx, draft_id, user.email, body.reason)
        return store.show_draft(session, draft_id)


@router.post(
    "/cases/{reference}/drafts/regenerate",
    summary="Draft the case's replies again (unapproved edits are overwritten)",
)
def regenerate(request: Request, user: ApiUser, reference: str) -> list[dict[str, Any]]:
    """The case's current drafts after regenerating, as `drafts list` rows."""
    ctx = app_context(request)
    with api_errors(), transaction(ctx.sessions) as session:
        return store.regenerate_drafts(session, ctx, reference, user.email)


@router.get("/outbox", tags=["outbox"], summary="Outgoing mail, uncertain and failed first")
def list_outbox(
    request: Request,
    state: Annotated[str | None, Query(description=", ".join(OUTBOX_STATES))] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Outbox rows with state, case, attempts and last error (never the message bytes)."""
    if state is not None and state not in OUTBOX_STATES:
        raise HTTPException(status_code=400, detail=f"unknown outbox state {state!r}")
    ctx = app_context(request)
    with ctx.sessions() as session:
        return [row.to_json() for row in outbox_list(session, state, limit)]


@router.post("/outbox/{outbox_id}/requeue", tags=["outbox"], summary="Send a message again")
def requeue(request: Request, user: ApiUser, outbox_id: int) -> dict[str, Any]:
    """A failed or uncertain message is queued again from the first attempt."""
    ctx = app_context(request)
    with api_errors(), transaction(ctx.sessions) as session:
        outbox.requeue(session, ctx, outbox_id, user.email)
    return _outbox_json(request, outbox_id)


@router.post(
    "/outbox/{outbox_id}/confirm-delivered",
    tags=["outbox"],
    summary="Record that an uncertain message did arrive",
)
def confirm_delivered(request: Request, user: ApiUser, outbox_id: int) -> dict[str, Any]:
    """The message is marked sent (and its draft with it), with the staff member as actor."""
    ctx = app_context(request)
    with api_errors(), transaction(ctx.sessions) as session:
        outbox.confirm_delivered(session, ctx, outbox_id, user.email)
    return _outbox_json(request, outbox_id)


def _outbox_json(request: Request, outbox_id: int) -> dict[str, Any]:
    ctx = app_context(request)
    with ctx.sessions() as session:
        row = outbox_row(session, outbox_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no outbox message with id {outbox_id}")
    return row.to_json()
