"""Minimising closed case files after the retention period (default 5 years).

The policy keeps complaint records at most five years. After that a closed
case keeps its skeleton (reference, dates, rights, deadlines, the audit
chain) but loses the personal data: raw messages are emptied (their SHA-256
stays as proof of what was received), parsed text and addresses are removed.
The audit chain is not rewritten: a `minimised` event is appended instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.cases.audit import append_event
from inbox_triage.db.models import Case

DEFAULT_RETENTION_DAYS = 5 * 365 + 1
REDACTED = "[minimised]"


@dataclass(frozen=True)
class RetentionSummary:
    """What a retention run did (or would do, in a dry run)."""

    cases: list[str]
    messages: int


def minimise_expired(
    session: Session,
    now: datetime,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    dry_run: bool = False,
) -> RetentionSummary:
    """Redact personal data of cases closed more than `retention_days` ago."""
    cutoff = now - timedelta(days=retention_days)
    query = select(Case).where(
        Case.status == "closed",
        Case.closed_at.is_not(None),
        Case.closed_at < cutoff,
        Case.requester_address.is_not(None),
    )
    references: list[str] = []
    messages = 0
    for case in session.scalars(query):
        references.append(case.reference)
        messages += len(case.messages)
        if not dry_run:
            _minimise(session, case, now)
    return RetentionSummary(references, messages)


def _minimise(session: Session, case: Case, now: datetime) -> None:
    for message in case.messages:
        message.raw = b""
        message.parsed = None
        message.from_address = None
        message.from_name = None
        message.envelope_from = None
        message.subject = REDACTED
    count = len(case.messages)
    case.requester_address = None
    case.requester_name = None
    case.subject = REDACTED
    case.normalized_subject = ""
    case.evidence = []
    append_event(session, case, "minimised", now, {"messages": count})
