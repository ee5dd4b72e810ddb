"""Placing a processed message: join its case, open a new case, or keep it as other mail.

Replies always join the case they continue, whatever their label; auto-replies
and bounces join a case when they refer to one but never open one; a new
message opens a case only when it invokes at least one right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from inbox_triage.cases import repeats
from inbox_triage.cases.audit import append_event
from inbox_triage.cases.references import next_reference
from inbox_triage.cases.schedule import apply_deadlines
from inbox_triage.cases.states import OPEN_STATES
from inbox_triage.cases.threading import find_thread, normalize_subject
from inbox_triage.context import AppContext
from inbox_triage.customers.assessment import SenderAssessment
from inbox_triage.customers.challenge import check_reply_for_code
from inbox_triage.db.models import Case, Message

if TYPE_CHECKING:
    from inbox_triage.pipeline import MessageWork


@dataclass(frozen=True)
class Placement:
    """Where a message ended up: its kind and, if any, its case reference."""

    kind: str
    reference: str | None


def place_message(session: Session, app: AppContext, work: MessageWork) -> Placement:
    """Thread the message into a case, open one, or keep it as other mail."""
    assert work.parsed is not None
    parsed = work.parsed
    message = session.get(Message, work.message_row_id)
    assert message is not None
    now = app.clock()
    automatic = "bounce" if parsed.is_bounce else "auto_reply" if parsed.is_auto_reply else None
    case, how = find_thread(
        session,
        parsed,
        app.settings.cases.reference_prefix,
        app.settings.cases.reopen_window_days,
        now,
    )
    if case is not None:
        _join(session, app, case, message, work, how or "", automatic)
        return Placement(automatic or "reply", case.reference)
    if automatic:
        return Placement(automatic, None)
    classification = work.classification
    if classification is None or not classification.rights:
        return Placement("other", None)
    customer_id = work.sender.customer_id if work.sender else None
    rights = set(classification.rights)
    repeated = repeats.open_case_for(session, customer_id, rights)
    if repeated is not None:
        _join(session, app, repeated, message, work, "repeat", None)
        append_event(
            session,
            repeated,
            "repeat_request",
            now,
            {"message": message.id, "rights": sorted(rights)},
        )
        return Placement("repeat", repeated.reference)
    case = open_case(session, app, message, work)
    earlier = repeats.recently_closed_case_for(
        session, customer_id, rights, now, app.settings.cases.repeat_window_days
    )
    if earlier is not None:
        case.related_case_id = earlier.id
        case.flags = sorted({*case.flags, "repeat_of_closed_case"})
        append_event(session, case, "linked_repeat", now, {"earlier_case": earlier.reference})
    return Placement("request", case.reference)


def open_case(session: Session, app: AppContext, message: Message, work: MessageWork) -> Case:
    """A new case for a privacy request, with its deadline and first events."""
    assert work.parsed is not None and work.classification is not None
    parsed = work.parsed
    case = new_case(
        session,
        app,
        message,
        address=parsed.sender,
        name=parsed.from_address.name if parsed.from_address else None,
        subject=parsed.subject,
        language=work.language,
        rights=sorted(work.classification.rights),
        needs_review=work.classification.needs_review,
    )
    now = app.clock()
    append_event(
        session, case, "opened", now, {"message": message.id, "receipt_basis": work.receipt_basis}
    )
    append_event(session, case, "message_received", now, _message_details(message, work))
    append_event(
        session,
        case,
        "classified",
        now,
        {
            "language": work.language,
            "rights": case.rights,
            "scores": work.classification.scores,
            "needs_review": case.needs_review,
        },
    )
    if work.sender is not None:
        record_sender(session, app, case, work.sender)
    apply_deadlines(session, app, case, reason="opened")
    return case


def new_case(
    session: Session,
    app: AppContext,
    message: Message,
    *,
    address: str | None,
    name: str | None,
    subject: str,
    language: str | None,
    rights: list[str],
    needs_review: bool,
) -> Case:
    """A new case for `message`, with the next reference of its receipt year (local time)."""
    local_year = message.receipt_at.astimezone(ZoneInfo(app.settings.deadlines.timezone)).year
    case = Case(
        reference=next_reference(session, app.settings.cases.reference_prefix, local_year),
        status="new",
        opened_at=app.clock(),
        receipt_at=message.receipt_at,
        receipt_basis=message.receipt_basis,
        requester_address=address,
        requester_name=name,
        subject=subject,
        normalized_subject=normalize_subject(subject),
        language=language,
        rights=rights,
        needs_review=needs_review,
        evidence=[],
        flags=[],
        identity="unverified",
        extended=False,
    )
    session.add(case)
    session.flush()
    message.case_id = case.id
    return case


def record_sender(session: Session, app: AppContext, case: Case, sender: SenderAssessment) -> None:
    """Store the match, identity and flags on the case, and in its audit log."""
    case.customer_id = sender.customer_id
    case.match_level = sender.match.level
    case.evidence = sender.match.evidence
    case.identity = sender.identity.state
    case.flags = sorted({*case.flags, *sender.flags})
    append_event(session, case, "matched", app.clock(), sender.to_json())


def _update_sender(session: Session, app: AppContext, case: Case, sender: SenderAssessment) -> None:
    """A later message can verify the requester of this case or raise new flags."""
    new_flags = sorted(set(sender.flags) - set(case.flags))
    if new_flags:
        case.flags = sorted({*case.flags, *new_flags})
        append_event(session, case, "flagged", app.clock(), {"flags": new_flags})
    same_customer = case.customer_id is not None and sender.customer_id == case.customer_id
    if same_customer and sender.identity.verified and case.identity != "verified":
        case.identity = "verified"
        append_event(
            session,
            case,
            "verified",
            app.clock(),
            {"method": sender.identity.method, "reason": sender.identity.reason},
        )


def _join(
    session: Session,
    app: AppContext,
    case: Case,
    message: Message,
    work: MessageWork,
    how: str,
    automatic: str | None,
) -> None:
    message.case_id = case.id
    now = app.clock()
    details = _message_details(message, work) | {"threaded_by": how}
    if automatic:
        details["automatic"] = automatic
    append_event(session, case, "message_received", now, details)
    if work.sender is not None and not automatic:
        _update_sender(session, app, case, work.sender)
    if work.parsed is not None and not automatic and case.identity != "verified":
        parsed = work.parsed
        check_reply_for_code(session, app, case, parsed.new_text, sender=parsed.sender)
    if case.status not in OPEN_STATES and not automatic:
        previous = case.status
        case.status = "in_progress"
        case.closed_at = None
        append_event(
            session,
            case,
            "state_changed",
            now,
            {"from": previous, "to": "in_progress", "reason": "requester replied"},
        )


def _message_details(message: Message, work: MessageWork) -> dict[str, object]:
    return {
        "message": message.id,
        "source": message.source,
        "receipt_at": work.receipt_at.isoformat(),
    }
