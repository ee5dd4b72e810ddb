"""What the digest lists: deadlines, drafts, unverified requesters, extensions, counts.

Everything is read in one session at one instant, so the digest is a
consistent snapshot. Working days come from the deadline engine's calendar;
"today" is the local date in deadlines.timezone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from inbox_triage.cases.calendar import WorkingCalendar
from inbox_triage.cases.schedule import calendar_for
from inbox_triage.cases.states import OPEN_STATES
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, Draft
from inbox_triage.nlp.labels import RIGHTS

# A replied case has met its deadline; every other open case still has one to meet.
PENDING_STATES = frozenset(OPEN_STATES - {"replied"})
EXTENSION_NOTICE = "extension_notice"


@dataclass(frozen=True)
class CaseItem:
    """One case line: its reference, link, rights and binding deadline."""

    reference: str
    url: str
    rights: tuple[str, ...]
    due: date | None
    days_left: int | None
    received: date


@dataclass(frozen=True)
class DraftItem:
    """A draft waiting for a person's approval, and for how long."""

    reference: str
    url: str
    draft_id: int
    kind: str
    age_hours: int


@dataclass(frozen=True)
class ExtendedItem:
    """An extended case: the new deadline, the original one, and whether the notice went."""

    reference: str
    url: str
    due: date
    original_due: date | None
    notice_sent: bool


@dataclass(frozen=True)
class DigestData:
    """One digest's content, the same for every recipient."""

    now: datetime
    today: date
    since: datetime
    due_within: int
    overdue: list[CaseItem] = field(default_factory=list)
    due_soon: list[CaseItem] = field(default_factory=list)
    drafts: list[DraftItem] = field(default_factory=list)
    unverified: list[CaseItem] = field(default_factory=list)
    extended: list[ExtendedItem] = field(default_factory=list)
    opened: int = 0
    closed: int = 0

    @property
    def empty(self) -> bool:
        """Nothing to act on and nothing changed since the last digest."""
        lists = (self.overdue, self.due_soon, self.drafts, self.unverified, self.extended)
        return not any(lists) and self.opened == 0 and self.closed == 0


def zone_of(app: AppContext) -> ZoneInfo:
    """The local time zone of deadlines and of the digest's send time."""
    return ZoneInfo(app.settings.deadlines.timezone)


def local_today(app: AppContext) -> date:
    """Today's date in local time."""
    return app.clock().astimezone(zone_of(app)).date()


def case_url(app: AppContext, reference: str) -> str:
    """The case's page in the web UI (web.base_url, else the configured host and port)."""
    base = app.settings.web.base_url.rstrip("/")
    if not base:
        host = app.settings.web.host
        host = "localhost" if host in {"", "0.0.0.0", "::"} else host
        base = f"http://{host}:{app.settings.web.port}"
    return f"{base}/cases/{reference}"


def working_days_left(calendar: WorkingCalendar, due: date | None, today: date) -> int | None:
    """Working days until the deadline; 0 on the day itself; negative once it has passed."""
    if due is None:
        return None
    if due < today:
        return -max(1, calendar.working_days_between(due, today))
    return calendar.working_days_between(today, due)


def default_since(app: AppContext, today: date) -> datetime:
    """Without an earlier digest: the send time of the previous working day."""
    calendar = calendar_for(app)
    previous = calendar.previous_working_day_on_or_before(today - timedelta(days=1))
    hour, minute = (int(part) for part in app.settings.digest.send_time.split(":"))
    return datetime.combine(previous, time(hour, minute), tzinfo=zone_of(app))


def collect(session: Session, app: AppContext, since: datetime) -> DigestData:
    """Read everything the digest shows, as of app.clock()."""
    now = app.clock()
    today = now.astimezone(zone_of(app)).date()
    within = app.settings.digest.due_within_working_days
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.status.in_(sorted(PENDING_STATES)))
            .order_by(Case.due.is_(None), Case.due, Case.reference)
        )
    )
    items = [_case_item(app, case, today) for case in cases]
    return DigestData(
        now=now,
        today=today,
        since=since,
        due_within=within,
        overdue=[i for i in items if i.days_left is not None and i.days_left < 0],
        due_soon=[i for i in items if i.days_left is not None and 0 <= i.days_left <= within],
        drafts=_drafts(session, app, now),
        unverified=[i for i, c in zip(items, cases, strict=True) if c.identity != "verified"],
        extended=_extended(session, app, [c for c in cases if c.extended and c.extended_due]),
        opened=_count(session, Case.opened_at >= since, Case.opened_at < now),
        closed=_count(
            session, Case.status == "closed", Case.closed_at >= since, Case.closed_at < now
        ),
    )


def _case_item(app: AppContext, case: Case, today: date) -> CaseItem:
    return CaseItem(
        reference=case.reference,
        url=case_url(app, case.reference),
        rights=tuple(r for r in RIGHTS if r in set(case.rights or [])),
        due=case.due,
        days_left=working_days_left(calendar_for(app), case.due, today),
        received=case.receipt_at.astimezone(zone_of(app)).date(),
    )


def _drafts(session: Session, app: AppContext, now: datetime) -> list[DraftItem]:
    rows = session.execute(
        select(Draft.id, Draft.kind, Draft.created_at, Case.reference)
        .join(Case, Draft.case_id == Case.id)
        .where(Draft.state == "draft")
        .order_by(Draft.created_at, Draft.id)
    ).all()
    return [
        DraftItem(reference, case_url(app, reference), draft_id, kind, _hours(now - created))
        for draft_id, kind, created, reference in rows
    ]


def _hours(age: timedelta) -> int:
    return max(0, int(age.total_seconds() // 3600))


def _extended(session: Session, app: AppContext, cases: list[Case]) -> list[ExtendedItem]:
    sent = notices_sent(session, [case.id for case in cases])
    return [
        ExtendedItem(
            case.reference,
            case_url(app, case.reference),
            case.extended_due,
            case.gdpr_due,
            case.id in sent,
        )
        for case in sorted(cases, key=lambda c: (c.extended_due, c.reference))
        if case.extended_due is not None
    ]


def notices_sent(session: Session, case_ids: list[int]) -> set[int]:
    """The cases (of these) whose extension notice has gone out."""
    if not case_ids:
        return set()
    return set(
        session.scalars(
            select(Draft.case_id).where(
                Draft.case_id.in_(case_ids), Draft.kind == EXTENSION_NOTICE, Draft.state == "sent"
            )
        )
    )


def _count(session: Session, *conditions: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(Case).where(*conditions)
    return int(session.scalar(query) or 0)
