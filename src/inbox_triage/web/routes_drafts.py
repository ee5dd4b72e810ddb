"""Drafts on the case page and the outbox page: edit, approve, reject, regenerate, requeue.

Each action is one transaction through drafting.store or mail.outbox, audited
with the staff member's address as actor. Approval puts the letter in the
outbox (the sender delivers it); a refused action shows the page again with
the reason instead of changing anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from inbox_triage.context import AppContext
from inbox_triage.customers.challenge import issue_challenge
from inbox_triage.db.models import Draft
from inbox_triage.db.session import transaction
from inbox_triage.drafting import store
from inbox_triage.errors import NotFoundError, UsageError, WorkflowError
from inbox_triage.mail import outbox
from inbox_triage.web.csrf import check_form
from inbox_triage.web.deps import PageUser, app_context
from inbox_triage.web.drafts import OUTBOX_STATES, outbox_counts, outbox_list
from inbox_triage.web.render import redirect, render
from inbox_triage.web.routes_case import case_page_response

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(check_form)], include_in_schema=False)
DraftAction = Callable[[Session, AppContext, Draft], object]


def form_text(value: str) -> str:
    """Text from a textarea: browsers send CRLF line ends, letters keep LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


@router.post("/drafts/{draft_id}/edit")
def edit_draft(
    request: Request,
    user: PageUser,
    draft_id: int,
    subject: Annotated[str, Form()] = "",
    body_text: Annotated[str, Form()] = "",
) -> Response:
    """Save the staff member's wording; the disclosure rule judges it again."""
    subject, body_text = form_text(subject).strip(), form_text(body_text)
    invalid = None if subject and body_text.strip() else "draft.error.empty"

    def change(session: Session, ctx: AppContext, draft: Draft) -> None:
        if (draft.subject, draft.body_text) != (subject, body_text):
            store.edit_draft(
                session, ctx, draft.id, user.email, subject=subject, body_text=body_text
            )

    return _draft_action(request, draft_id, change, invalid)


@router.post("/drafts/{draft_id}/approve")
def approve_draft(request: Request, user: PageUser, draft_id: int) -> Response:
    """Approve: the letter is checked once more and put in the outbox."""
    return _draft_action(
        request,
        draft_id,
        lambda s, ctx, draft: store.approve_draft(s, ctx, draft.id, user.email),
    )


@router.post("/drafts/{draft_id}/reject")
def reject_draft(
    request: Request, user: PageUser, draft_id: int, reason: Annotated[str, Form()] = ""
) -> Response:
    """Reject with a reason; the letter is never sent."""
    return _draft_action(
        request,
        draft_id,
        lambda s, ctx, draft: store.reject_draft(s, ctx, draft.id, user.email, reason),
        None if reason.strip() else "case.error.reason_needed",
    )


@router.post("/drafts/{draft_id}/code")
def insert_code(request: Request, user: PageUser, draft_id: int) -> Response:
    """Issue a verification challenge: its one-time code (and link) go into the letter."""
    return _draft_action(
        request,
        draft_id,
        lambda s, ctx, draft: issue_challenge(s, ctx, draft.case, user.email),
    )


@router.post("/cases/{reference}/drafts/regenerate")
def regenerate(request: Request, user: PageUser, reference: str) -> Response:
    """Draft the replies again from the case as it is now (unapproved edits are lost)."""
    ctx = app_context(request)
    try:
        with transaction(ctx.sessions) as session:
            store.regenerate_drafts(session, ctx, reference, user.email)
    except NotFoundError:
        return render(request, "error.html", status=404, message="error.not_found")
    except (UsageError, WorkflowError) as error:
        return _refused(request, reference, error)
    log.info("drafts of case %s regenerated through the web UI", reference)
    return redirect(request, f"/cases/{quote(reference)}#drafts")


def _draft_action(
    request: Request, draft_id: int, action: DraftAction, invalid: str | None = None
) -> Response:
    """Run one action on a draft and go back to its case (or show why it was refused)."""
    ctx = app_context(request)
    reference: str | None = None
    try:
        with transaction(ctx.sessions) as session:
            draft = store.get_draft(session, draft_id)
            reference = draft.case.reference
            if invalid is None:
                action(session, ctx, draft)
    except NotFoundError:
        return render(request, "error.html", status=404, message="error.not_found")
    except (UsageError, WorkflowError) as error:
        assert reference is not None
        return _refused(request, reference, error)
    if invalid is not None:
        return case_page_response(request, reference, error=invalid, status=400)
    log.info("draft %s of case %s changed through the web UI", draft_id, reference)
    return redirect(request, f"/cases/{quote(reference)}#draft-{draft_id}")


def _refused(request: Request, reference: str, error: Exception) -> Response:
    status = 409 if isinstance(error, WorkflowError) else 400
    return case_page_response(
        request, reference, error="case.error.refused", detail=str(error), status=status
    )


@router.get("/outbox")
def outbox_page(request: Request, user: PageUser, state: str = "") -> Response:
    """Outgoing mail with its state; uncertain and failed messages first."""
    chosen = state if state in OUTBOX_STATES else None
    error = "outbox.bad_filter" if state and chosen is None else None
    return _outbox_page(request, chosen, error=error, status=400 if error else 200)


@router.post("/outbox/{outbox_id}/requeue")
def requeue(request: Request, user: PageUser, outbox_id: int) -> Response:
    """Try a failed or uncertain message again, from the first attempt."""
    return _outbox_action(
        request, lambda s, ctx: outbox.requeue(s, ctx, outbox_id, user.email), outbox_id
    )


@router.post("/outbox/{outbox_id}/confirm")
def confirm_delivered(request: Request, user: PageUser, outbox_id: int) -> Response:
    """Record that an uncertain message did arrive (checked in the relay's log)."""
    return _outbox_action(
        request, lambda s, ctx: outbox.confirm_delivered(s, ctx, outbox_id, user.email), outbox_id
    )


def _outbox_action(
    request: Request, action: Callable[[Session, AppContext], object], outbox_id: int
) -> Response:
    ctx = app_context(request)
    try:
        with transaction(ctx.sessions) as session:
            action(session, ctx)
    except NotFoundError:
        return render(request, "error.html", status=404, message="error.not_found")
    except WorkflowError as error:
        return _outbox_page(request, None, "case.error.refused", str(error), status=409)
    log.info("outbox %s changed through the web UI", outbox_id)
    return redirect(request, f"/outbox#outbox-{outbox_id}")


def _outbox_page(
    request: Request,
    state: str | None,
    error: str | None = None,
    detail: str = "",
    status: int = 200,
) -> Response:
    ctx = app_context(request)
    with ctx.sessions() as session:
        rows = outbox_list(session, state)
        counts = outbox_counts(session)
    return render(
        request,
        "outbox.html",
        status=status,
        rows=rows,
        counts=counts,
        states=OUTBOX_STATES,
        chosen=state,
        error=error,
        detail=detail,
    )
