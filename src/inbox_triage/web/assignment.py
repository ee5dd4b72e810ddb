"""Who works on a case: an `assigned` event in the audit log, the latest one counts.

Kept in the audit log rather than a column, so every hand-over is part of
the case's tamper-evident history and the case table's schema stays as is.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Subquery, and_, func, select
from sqlalchemy.orm import Session

from inbox_triage.cases.audit import append_event
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, CaseEvent, User
from inbox_triage.errors import UsageError

ASSIGNED = "assigned"


def assignees(session: Session, case_ids: Iterable[int] | None = None) -> dict[int, str | None]:
    """The current assignee of each case (cases never assigned are absent)."""
    query = select(CaseEvent.case_id, CaseEvent.details).where(CaseEvent.kind == ASSIGNED)
    if case_ids is not None:
        query = query.where(CaseEvent.case_id.in_(list(case_ids)))
    current: dict[int, str | None] = {}
    for case_id, details in session.execute(query.order_by(CaseEvent.case_id, CaseEvent.sequence)):
        current[case_id] = (details or {}).get("assignee")
    return current


def current_assignments() -> Subquery:
    """(case_id, assignee) of every case ever assigned, from its latest `assigned` event."""
    latest = (
        select(CaseEvent.case_id, func.max(CaseEvent.sequence).label("sequence"))
        .where(CaseEvent.kind == ASSIGNED)
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    joined = and_(CaseEvent.case_id == latest.c.case_id, CaseEvent.sequence == latest.c.sequence)
    return (
        select(CaseEvent.case_id, CaseEvent.details["assignee"].as_string().label("assignee"))
        .join(latest, joined)
        .subquery()
    )


def assignee_of(session: Session, case: Case) -> str | None:
    """The staff member the case is assigned to, or None."""
    return assignees(session, [case.id]).get(case.id)


def assign(session: Session, app: AppContext, case: Case, assignee: str | None, actor: str) -> bool:
    """Assign (or, with None, unassign) the case; False when nothing changed."""
    assignee = assignee.strip().lower() if assignee and assignee.strip() else None
    if assignee is not None:
        active = session.scalar(select(User.id).where(User.email == assignee, User.active))
        if active is None:
            raise UsageError(f"no active staff member {assignee}")
    previous = assignee_of(session, case)
    if previous == assignee:
        return False
    append_event(
        session,
        case,
        ASSIGNED,
        app.clock(),
        {"assignee": assignee, "previous": previous},
        actor=actor,
    )
    return True
