"""Opening a case by hand for a message the classifier kept as other mail.

Staff read the "other mail" list and decide that a message is a privacy
request after all; the rights are theirs, the receipt time is the message's
own (the deadline runs from when the request arrived, not from when a person
noticed it), the sender is matched as the pipeline would, and the decision
is kept as a training example.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.orm import Session

from inbox_triage.cases.actions import keep_training_example
from inbox_triage.cases.audit import append_event
from inbox_triage.cases.schedule import apply_deadlines
from inbox_triage.cases.workflow import new_case, record_sender
from inbox_triage.context import AppContext
from inbox_triage.customers.assessment import assess_sender
from inbox_triage.db.models import Case, Message
from inbox_triage.errors import NotFoundError, UsageError, WorkflowError
from inbox_triage.nlp.labels import RIGHTS

log = logging.getLogger(__name__)


def open_case_from_message(
    session: Session, app: AppContext, message_id: int, rights: Iterable[str], actor: str
) -> Case:
    """A new case for a processed, unplaced message, with the rights staff chose."""
    chosen = _check_rights(rights)
    message = session.get(Message, message_id)
    if message is None:
        raise NotFoundError(f"no message with id {message_id}")
    if message.case_id is not None:
        raise WorkflowError(f"message {message_id} already belongs to a case")
    if message.state != "processed":
        raise WorkflowError(f"message {message_id} is not processed yet")
    case = _new_case(session, app, message, chosen)
    now = app.clock()
    append_event(
        session,
        case,
        "opened",
        now,
        {
            "message": message.id,
            "receipt_basis": message.receipt_basis,
            "manual": True,
        },
        actor=actor,
    )
    append_event(
        session,
        case,
        "message_received",
        now,
        {
            "message": message.id,
            "source": message.source,
            "receipt_at": message.receipt_at.isoformat(),
        },
        actor=actor,
    )
    append_event(
        session,
        case,
        "classified",
        now,
        {
            "language": message.language,
            "rights": case.rights,
            "scores": message.scores or {},
            "needs_review": False,
            "classified_as": message.kind,
            "chosen_by_staff": True,
        },
        actor=actor,
    )
    _assess_sender(session, app, case, message)
    apply_deadlines(session, app, case, reason="opened by staff", actor=actor)
    message.kind = "request"
    message.needs_review = False
    keep_training_example(app, case)
    log.info("message %s opened as case %s by staff", message.id, case.reference)
    return case


def _assess_sender(session: Session, app: AppContext, case: Case, message: Message) -> None:
    """Match and identity as the pipeline's match stage would have found them."""
    from inbox_triage.mail.parse import parse_message  # the MIME parser loads on first use

    parsed = parse_message(message.raw)
    sender = assess_sender(session, parsed, app.settings.trusted_authserv_ids)
    record_sender(session, app, case, sender)


def _check_rights(rights: Iterable[str]) -> list[str]:
    chosen = sorted(set(rights))
    if not chosen:
        raise UsageError("choose at least one right to open a case")
    unknown = [right for right in chosen if right not in RIGHTS]
    if unknown:
        raise UsageError(f"unknown rights: {', '.join(unknown)}")
    return chosen


def _new_case(session: Session, app: AppContext, message: Message, rights: list[str]) -> Case:
    case = new_case(
        session,
        app,
        message,
        address=message.from_address,
        name=message.from_name,
        subject=message.subject or "",
        language=message.language,
        rights=rights,
        needs_review=False,
    )
    session.flush()
    return case
