"""The append-only, hash-chained audit log of each case.

Each event stores SHA-256 over its own content and its predecessor's hash,
so editing, deleting or reordering a stored event breaks the chain, and
`verify_chains` names the first broken event of each case.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.db.models import Case, CaseEvent

GENESIS = "0" * 64


def event_hash(
    reference: str,
    sequence: int,
    kind: str,
    actor: str,
    at: datetime,
    details: dict[str, Any],
    previous_hash: str,
) -> str:
    """The hash of one event; every field that matters is in it."""
    content = json.dumps(
        {
            "case": reference,
            "sequence": sequence,
            "kind": kind,
            "actor": actor,
            "at": at.isoformat(timespec="microseconds"),
            "details": details,
            "previous": previous_hash,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def append_event(
    session: Session,
    case: Case,
    kind: str,
    at: datetime,
    details: dict[str, Any] | None = None,
    actor: str = "system",
) -> CaseEvent:
    """Add the next event to the case's chain (the caller's transaction commits it)."""
    details = json.loads(json.dumps(details or {}, default=str))
    last = session.execute(
        select(CaseEvent.sequence, CaseEvent.hash)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.sequence.desc())
        .limit(1)
    ).first()
    sequence, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = CaseEvent(
        case_id=case.id,
        sequence=sequence,
        kind=kind,
        actor=actor,
        at=at,
        details=details,
        previous_hash=previous,
        hash=event_hash(case.reference, sequence, kind, actor, at, details, previous),
    )
    session.add(event)
    case.audit_head = event.hash
    session.flush()
    return event


@dataclass(frozen=True)
class ChainProblem:
    """The first event at which a case's chain stops verifying."""

    reference: str
    sequence: int
    reason: str


def verify_chains(session: Session) -> list[ChainProblem]:
    """Check every case's chain; return one problem per broken case."""
    problems: list[ChainProblem] = []
    for case in session.scalars(select(Case).order_by(Case.id)):
        problem = verify_case(session, case)
        if problem:
            problems.append(problem)
    return problems


def verify_case(session: Session, case: Case) -> ChainProblem | None:
    """Recompute one case's chain from its first event."""
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    previous = GENESIS
    for expected, event in enumerate(events, start=1):
        if event.sequence != expected:
            return ChainProblem(case.reference, expected, "event missing or out of order")
        if event.previous_hash != previous:
            return ChainProblem(case.reference, event.sequence, "link to previous event broken")
        recomputed = event_hash(
            case.reference,
            event.sequence,
            event.kind,
            event.actor,
            event.at,
            event.details,
            event.previous_hash,
        )
        if recomputed != event.hash:
            return ChainProblem(case.reference, event.sequence, "event content was changed")
        previous = event.hash
    if previous != case.audit_head:
        return ChainProblem(case.reference, len(events) + 1, "latest event missing")
    return None
