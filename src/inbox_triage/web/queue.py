"""The queue: open cases by binding deadline, with the filters staff use every day.

"Days left" is counted in working days, since that is how much work time is
left: overdue, under 3 and under 7 working days are coloured differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from inbox_triage.cases.schedule import calendar_for
from inbox_triage.cases.states import OPEN_STATES, STATES
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, Customer
from inbox_triage.errors import UsageError
from inbox_triage.nlp.labels import RIGHTS
from inbox_triage.web.assignment import assignees
from inbox_triage.web.deps import local_today

UNASSIGNED = "none"
_TRUE = {"1", "true", "on", "yes"}


@dataclass(frozen=True)
class QueueFilter:
    """What the queue is narrowed to; empty means every open case."""

    status: str | None = None
    right: str | None = None
    overdue: bool = False
    assignee: str | None = None
    unverified: bool = False
    search: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueFilter:
        """From query parameters; an unknown status or right is a UsageError."""
        status = params.get("status") or None
        right = params.get("right") or None
        if status is not None and status not in STATES:
            raise UsageError(f"unknown status {status!r}")
        if right is not None and right not in RIGHTS:
            raise UsageError(f"unknown right {right!r}")
        return cls(
            status=status,
            right=right,
            overdue=params.get("overdue", "").lower() in _TRUE,
            assignee=(params.get("assignee") or "").strip().lower() or None,
            unverified=params.get("unverified", "").lower() in _TRUE,
            search=(params.get("q") or "").strip()[:200],
        )


@dataclass(frozen=True)
class QueueRow:
    """One case as the queue shows it."""

    reference: str
    subject: str
    requester_name: str | None
    requester_address: str | None
    status: str
    rights: list[str]
    language: str | None
    identity: str
    flags: list[Any]
    needs_review: bool
    assignee: str | None
    due: date | None
    basis: str | None
    extended: bool
    working_days_left: int | None
    urgency: str

    def to_json(self) -> dict[str, Any]:
        """The API's form of the row (dates as ISO strings)."""
        data = asdict(self)
        data["due"] = self.due.isoformat() if self.due else None
        return data


def urgency(working_days_left: int | None) -> str:
    """The colour class of a deadline: overdue, urgent (<3), soon (<7), ok or none."""
    if working_days_left is None:
        return "none"
    if working_days_left < 0:
        return "overdue"
    if working_days_left < 3:
        return "urgent"
    if working_days_left < 7:
        return "soon"
    return "ok"


def working_days_left(app: AppContext, due: date | None, today: date) -> int | None:
    """Working days from today to the deadline; negative when it has passed."""
    if due is None:
        return None
    if due < today:
        return -max(1, calendar_for(app).working_days_between(due, today))
    return calendar_for(app).working_days_between(today, due)


def queue_rows(
    session: Session, app: AppContext, wanted: QueueFilter, user_email: str | None = None
) -> list[QueueRow]:
    """The cases matching the filter, binding deadline first, undated last."""
    today = local_today(app)
    cases = list(session.scalars(_query(wanted)))
    assigned = assignees(session, [case.id for case in cases])
    rows = []
    for case in cases:
        left = working_days_left(app, case.due, today)
        row = QueueRow(
            reference=case.reference,
            subject=case.subject,
            requester_name=case.requester_name,
            requester_address=case.requester_address,
            status=case.status,
            rights=sorted(case.rights),
            language=case.language,
            identity=case.identity,
            flags=list(case.flags),
            needs_review=case.needs_review,
            assignee=assigned.get(case.id),
            due=case.due,
            basis=case.basis,
            extended=case.extended,
            working_days_left=left,
            urgency=urgency(left),
        )
        if _keeps(row, wanted, user_email):
            rows.append(row)
    return rows


def _query(wanted: QueueFilter) -> Select[tuple[Case]]:
    query = select(Case)
    if wanted.status is not None:
        query = query.where(Case.status == wanted.status)
    else:
        query = query.where(Case.status.in_(sorted(OPEN_STATES)))
    if wanted.unverified:
        query = query.where(Case.identity != "verified")
    if wanted.search:
        query = query.where(_search(wanted.search))
    return query.order_by(Case.due.is_(None), Case.due, Case.id)


def _search(text: str) -> Any:
    """Reference, requester name or address, or the matched customer's name or address."""
    needle = text.lower()
    customers = select(Customer.customer_id).where(
        or_(
            func.lower(Customer.name).contains(needle, autoescape=True),
            func.lower(Customer.email).contains(needle, autoescape=True),
        )
    )
    return or_(
        func.lower(Case.reference).contains(needle, autoescape=True),
        func.lower(Case.requester_name).contains(needle, autoescape=True),
        func.lower(Case.requester_address).contains(needle, autoescape=True),
        Case.customer_id.in_(customers),
    )


def _keeps(row: QueueRow, wanted: QueueFilter, user_email: str | None) -> bool:
    """The filters on JSON columns and derived values, applied in Python (portable)."""
    if wanted.right is not None and wanted.right not in row.rights:
        return False
    if wanted.overdue and row.urgency != "overdue":
        return False
    if wanted.assignee == UNASSIGNED:
        return row.assignee is None
    if wanted.assignee == "me":
        return row.assignee is not None and row.assignee == user_email
    return wanted.assignee is None or row.assignee == wanted.assignee
