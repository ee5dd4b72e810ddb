"""JSON views of cases for the CLI contract (`cases list`, `cases show`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inbox_triage.cases.calendar import WorkingCalendar
from inbox_triage.cases.states import OPEN_STATES, STATES
from inbox_triage.context import AppContext
from inbox_triage.customers.challenge import verification_status
from inbox_triage.db.models import Case, Message
from inbox_triage.errors import NotFoundError, UsageError


def list_cases(
    session: Session,
    today: date,
    calendar: WorkingCalendar,
    status: str | None = None,
    overdue: bool = False,
    due_within: int | None = None,
) -> list[dict[str, Any]]:
    """Cases ordered by binding deadline (none last), with the requested filters."""
    if status is not None and status not in STATES:
        raise UsageError(f"unknown status {status!r}; expected one of {', '.join(STATES)}")
    query = select(Case)
    if status is not None:
        query = query.where(Case.status == status)
    counts = dict(
        session.execute(
            select(Message.case_id, func.count())
            .where(Message.case_id.is_not(None))
            .group_by(Message.case_id)
        ).all()
    )
    rows = []
    for case in session.scalars(query.order_by(Case.due.is_(None), Case.due, Case.id)):
        left = days_left(case, today, calendar)
        is_open = case.status in OPEN_STATES
        if overdue and not (is_open and left is not None and left < 0):
            continue
        if due_within is not None and not (is_open and left is not None and left <= due_within):
            continue
        rows.append(case_summary(case, counts.get(case.id, 0), left))
    return rows


def days_left(case: Case, today: date, calendar: WorkingCalendar) -> int | None:
    """Calendar days until the binding deadline (negative when overdue)."""
    if case.due is None:
        return None
    return (case.due - today).days


def case_summary(case: Case, message_count: int, left: int | None) -> dict[str, Any]:
    """One row of `cases list --json`."""
    return {
        "reference": case.reference,
        "status": case.status,
        "opened_at": case.opened_at.isoformat(),
        "rights": sorted(case.rights),
        "language": case.language,
        "customer_id": case.customer_id,
        "due": case.due.isoformat() if case.due else None,
        "days_left": left,
        "basis": case.basis,
        "message_count": message_count,
        "needs_review": case.needs_review,
    }


def show_case(
    session: Session,
    reference: str,
    today: date,
    calendar: WorkingCalendar,
    app: AppContext | None = None,
) -> dict[str, Any]:
    """`cases show REF --json`: the case, its deadlines, verification, messages and events.

    With `app`, verification expiry is judged by its clock and `clock_paused` follows
    deadlines.pause_clock_during_verification; without it the clock never shows paused.
    """
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        raise NotFoundError(f"no case with reference {reference!r}")
    detail = case_summary(case, len(case.messages), days_left(case, today, calendar))
    detail |= {
        "receipt_at": case.receipt_at.isoformat(),
        "receipt_basis": case.receipt_basis,
        "requester": case.requester_address,
        "subject": case.subject,
        "deadlines": {
            "gdpr_due": _iso(case.gdpr_due),
            "policy_due": _iso(case.policy_due),
            "due": _iso(case.due),
            "basis": case.basis,
            "extended": case.extended,
            "extended_due": _iso(case.extended_due),
        },
        "match_level": case.match_level,
        "evidence": case.evidence,
        "identity": case.identity,
        "verification": verification_status(
            session,
            case,
            now=app.clock() if app is not None else None,
            pause_clock=app is not None and app.settings.deadlines.pause_clock_during_verification,
        ),
        "flags": case.flags,
        "messages": [_message(message) for message in case.messages],
        "events": [
            {
                "sequence": e.sequence,
                "kind": e.kind,
                "actor": e.actor,
                "at": e.at.isoformat(),
                "details": e.details,
            }
            for e in case.events
        ],
    }
    return detail


def _message(message: Message) -> dict[str, Any]:
    parsed = message.parsed or {}
    return {
        "id": message.id,
        "message_id": message.message_id,
        "source": message.source,
        "received_at": message.received_at.isoformat(),
        "kind": message.kind,
        "from": message.from_address,
        "subject": message.subject,
        "date": parsed.get("date"),
        "to": [a.get("address") for a in parsed.get("to", [])],
        "in_reply_to": parsed.get("in_reply_to"),
        "new_text": parsed.get("new_text"),
        "quoted_text": parsed.get("quoted_text"),
        "attachments": parsed.get("attachments", []),
        "defects": parsed.get("defects", []),
        "language": message.language,
        "rights": message.rights,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
