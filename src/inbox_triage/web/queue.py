"""The queue: open cases by binding deadline, with the filters staff use every day.

"Days left" is counted in working days, since that is how much work time is
left: overdue, under 3 and under 7 working days are coloured differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, String, cast, false, func, or_, select
from sqlalchemy.orm import Session

from inbox_triage.cases.schedule import calendar_for
from inbox_triage.cases.states import OPEN_STATES, STATES
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, Customer
from inbox_triage.errors import UsageError
from inbox_triage.nlp.labels import RIGHTS
from inbox_triage.web.assignment import assignees, current_assignments
from inbox_triage.web.deps import local_today

UNASSIGNED = "none"
PER_PAGE = 100
_COLUMNS = (
    Case.id, Case.reference, Case.subject, Case.requester_name, Case.requester_address,
    Case.status, Case.rights, Case.language, Case.identity, Case.flags, Case.needs_review,
    Case.due, Case.basis, Case.extended,
)  # fmt: skip
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

    def to_params(self) -> dict[str, str]:
        """The query parameters that give this filter back (empty ones left out)."""
        params = {
            "q": self.search,
            "status": self.status or "",
            "right": self.right or "",
            "assignee": self.assignee or "",
            "overdue": "1" if self.overdue else "",
            "unverified": "1" if self.unverified else "",
        }
        return {key: value for key, value in params.items() if value}


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


@dataclass(frozen=True)
class QueuePage:
    """One page of queue rows and where it lies in the whole filtered queue."""

    rows: list[QueueRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least one, even when empty)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """1-based position of the page's first row (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        """1-based position of the page's last row."""
        return (self.page - 1) * self.per_page + len(self.rows)


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
    """Every case matching the filter, binding deadline first, undated last (the API)."""
    conditions = _conditions(wanted, local_today(app), user_email)
    dated, undated = _counts(session, conditions)
    return _rows(session, app, _cases(session, conditions, dated, 0, dated + undated))


def queue_page(
    session: Session,
    app: AppContext,
    wanted: QueueFilter,
    user_email: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> QueuePage:
    """One page of the queue: counted and sliced in SQL, so 10,000 cases cost one page."""
    conditions = _conditions(wanted, local_today(app), user_email)
    dated, undated = _counts(session, conditions)
    total = dated + undated
    page = min(max(1, page), max(1, -(-total // per_page)))
    cases = _cases(session, conditions, dated, (page - 1) * per_page, per_page)
    return QueuePage(_rows(session, app, cases), total, page, per_page)


def _rows(session: Session, app: AppContext, cases: list[Row[Any]]) -> list[QueueRow]:
    """Queue rows of the selected cases; the assignees come in one query."""
    today = local_today(app)
    assigned = assignees(session, [case.id for case in cases])
    days_left: dict[date | None, int | None] = {}
    rows = []
    for case in cases:
        if case.due not in days_left:  # a page shares a handful of due dates
            days_left[case.due] = working_days_left(app, case.due, today)
        left = days_left[case.due]
        rows.append(
            QueueRow(
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
        )
    return rows


def _counts(session: Session, conditions: list[Any]) -> tuple[int, int]:
    """How many matching cases have a deadline, and how many have none."""
    total, dated = session.execute(
        select(func.count(), func.count(Case.due)).select_from(Case).where(*conditions)
    ).one()
    return int(dated), int(total) - int(dated)


def _cases(
    session: Session, conditions: list[Any], dated: int, offset: int, limit: int
) -> list[Row[Any]]:
    """A slice of the ordering: dated cases by (due, id) on the due index, then undated."""
    cases: list[Row[Any]] = []
    if offset < dated:
        query = select(*_COLUMNS).where(*conditions, Case.due.is_not(None))
        query = query.order_by(Case.due, Case.id).offset(offset).limit(limit)
        cases = list(session.execute(query))
    if len(cases) < limit:
        query = select(*_COLUMNS).where(*conditions, Case.due.is_(None)).order_by(Case.id)
        query = query.offset(max(0, offset - dated)).limit(limit - len(cases))
        cases += list(session.execute(query))
    return cases


def _conditions(wanted: QueueFilter, today: date, user_email: str | None) -> list[Any]:
    """The filter as SQL conditions (the JSON rights column is matched as text, portably).

    Most cases are open, so "every open state" is written as an expression the status
    index cannot serve: the planner then walks the due index in order and stops after a
    page, instead of sorting every open case.
    """
    conditions: list[Any] = [
        Case.status == wanted.status
        if wanted.status is not None
        else func.coalesce(Case.status, "").in_(sorted(OPEN_STATES))
    ]
    if wanted.unverified:
        conditions.append(Case.identity != "verified")
    if wanted.search:
        conditions.append(_search(wanted.search))
    if wanted.right is not None:
        conditions.append(cast(Case.rights, String).contains(f'"{wanted.right}"', autoescape=True))
    if wanted.overdue:
        conditions.append(Case.due < today)
    if wanted.assignee is not None:
        conditions.append(_assignee_condition(wanted.assignee, user_email))
    return conditions


def _assignee_condition(assignee: str, user_email: str | None) -> Any:
    """Unassigned, mine, or one staff member's cases, by the latest `assigned` event."""
    current = current_assignments()
    if assignee == UNASSIGNED:
        taken = select(current.c.case_id).where(current.c.assignee.is_not(None))
        return Case.id.not_in(taken)
    email = user_email if assignee == "me" else assignee
    if email is None:
        return false()
    return Case.id.in_(select(current.c.case_id).where(current.c.assignee == email))


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
