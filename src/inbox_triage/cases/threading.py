"""Which open case a message belongs to.

In order of strength: the threading headers (In-Reply-To, References) point
at a message of a case, or at a reply we sent for it; the case reference
appears in the subject; the same sender writes with the same normalised
subject while a case is open.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.cases.references import references_in
from inbox_triage.cases.states import OPEN_STATES
from inbox_triage.db.models import Case, Message
from inbox_triage.mail.parsed import ParsedMail
from inbox_triage.mail.send import case_id_for_message_ids
from inbox_triage.mail.subjects import strip_reply_prefixes


def normalize_subject(subject: str) -> str:
    """Subject without reply/forward prefixes, case and spacing, for loose threading."""
    return " ".join(strip_reply_prefixes(subject).split()).casefold()


def find_thread(
    session: Session,
    parsed: ParsedMail,
    prefix: str,
    reopen_window_days: int,
    now: datetime,
) -> tuple[Case | None, str | None]:
    """The case this message continues, and how it was found."""
    case = _by_headers(session, parsed)
    if case is not None and _joinable(case, reopen_window_days, now):
        return case, "headers"
    for reference in references_in(parsed.subject, prefix):
        case = session.scalar(select(Case).where(Case.reference == reference))
        if case is not None and _joinable(case, reopen_window_days, now):
            return case, "reference"
    case = _by_sender_and_subject(session, parsed)
    if case is not None:
        return case, "sender_subject"
    return None, None


def _by_headers(session: Session, parsed: ParsedMail) -> Case | None:
    ids = [parsed.in_reply_to, *reversed(parsed.references)]
    wanted = [value for value in dict.fromkeys(ids) if value]
    if not wanted:
        return None
    rows = session.execute(
        select(Message.message_id, Message.case_id).where(
            Message.message_id.in_(wanted), Message.case_id.is_not(None)
        )
    ).all()
    by_id = {message_id: case_id for message_id, case_id in rows}
    for value in wanted:
        if value in by_id:
            return session.get(Case, by_id[value])
    sent_case = case_id_for_message_ids(session, wanted)
    return session.get(Case, sent_case) if sent_case is not None else None


def _by_sender_and_subject(session: Session, parsed: ParsedMail) -> Case | None:
    normalized = normalize_subject(parsed.subject)
    if not parsed.sender or not normalized:
        return None
    return session.scalar(
        select(Case)
        .where(
            Case.requester_address == parsed.sender,
            Case.normalized_subject == normalized,
            Case.status.in_(OPEN_STATES),
        )
        .order_by(Case.opened_at.desc())
        .limit(1)
    )


def _joinable(case: Case, reopen_window_days: int, now: datetime) -> bool:
    """Open cases always; closed ones only within the reopen window."""
    if case.status in OPEN_STATES:
        return True
    if case.closed_at is None:
        return False
    return now - case.closed_at <= timedelta(days=reopen_window_days)
