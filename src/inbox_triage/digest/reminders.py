"""Deadline reminders: an immediate e-mail when a case crosses a threshold, once each.

Thresholds are working days left (digest.reminder_thresholds, default 5 and
2), "overdue" once the deadline has passed, and "extension_notice" for an
extended case whose notice to the requester has not gone out within
EXTENSION_NOTICE_WINDOW working days of the original deadline. Each
(case, threshold, deadline) is inserted into reminders_sent before the mail
is queued, in the same transaction, so it fires once however many
schedulers run. Several thresholds crossed at once (after downtime) give
one reminder, for the most urgent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_triage.cases.audit import append_event
from inbox_triage.cases.schedule import calendar_for
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, ReminderSent
from inbox_triage.db.session import transaction
from inbox_triage.digest.collect import (
    PENDING_STATES,
    case_url,
    local_today,
    notices_sent,
    working_days_left,
)
from inbox_triage.digest.recipients import enqueue_per_language, reminder_recipients
from inbox_triage.digest.render import render
from inbox_triage.errors import StorageError
from inbox_triage.nlp.labels import RIGHTS
from inbox_triage.web.assignment import assignee_of

log = logging.getLogger(__name__)

REMINDER_KIND = "reminder"
OVERDUE = "overdue"
EXTENSION_NOTICE = "extension_notice"
EXTENSION_NOTICE_WINDOW = 5


@dataclass(frozen=True)
class DueReminder:
    """A reminder to fire: the keys it records and the one it reports."""

    case_id: int
    reference: str
    kind: str
    keys: tuple[str, ...]
    due: date


@dataclass(frozen=True)
class ReminderItem:
    """What the reminder template shows."""

    kind: str
    reference: str
    url: str
    rights: tuple[str, ...]
    due: date
    days_left: int
    extended_due: date | None
    to_all: bool


def crossed(left: int, thresholds: list[int]) -> list[str]:
    """The threshold keys a case with `left` working days has crossed."""
    keys = [str(t) for t in sorted(thresholds, reverse=True) if left <= t]
    return [*keys, OVERDUE] if left < 0 else keys


def most_urgent(keys: tuple[str, ...]) -> str:
    """'overdue' beats any count; a smaller count beats a larger one."""
    return OVERDUE if OVERDUE in keys else min(keys, key=int)


def find_due(session: Session, app: AppContext, today: date) -> list[DueReminder]:
    """Every reminder that should fire now and has not been recorded."""
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.status.in_(sorted(PENDING_STATES)), Case.due.is_not(None))
            .order_by(Case.due, Case.id)
        )
    )
    ids = [case.id for case in cases]
    query = select(ReminderSent.case_id, ReminderSent.threshold, ReminderSent.due).where(
        ReminderSent.case_id.in_(ids)
    )
    done = {(case_id, key, due) for case_id, key, due in session.execute(query)}
    sent = notices_sent(session, [case.id for case in cases if case.extended])
    found: list[DueReminder] = []
    for case in cases:
        assert case.due is not None
        left = working_days_left(calendar_for(app), case.due, today)
        new = tuple(
            k
            for k in crossed(left or 0, app.settings.digest.reminder_thresholds)
            if (case.id, k, case.due) not in done
        )
        if new:
            found.append(DueReminder(case.id, case.reference, most_urgent(new), new, case.due))
        notice = _notice_due(app, case, today, sent)
        if notice is not None and (case.id, EXTENSION_NOTICE, notice) not in done:
            keys = (EXTENSION_NOTICE,)
            found.append(DueReminder(case.id, case.reference, EXTENSION_NOTICE, keys, notice))
    return found


def _notice_due(app: AppContext, case: Case, today: date, sent: set[int]) -> date | None:
    """The original deadline, when the extension notice is missing and it is close."""
    if not case.extended or case.gdpr_due is None or case.id in sent or today > case.gdpr_due:
        return None
    left = calendar_for(app).working_days_between(today, case.gdpr_due)
    return case.gdpr_due if left <= EXTENSION_NOTICE_WINDOW else None


def send_reminders(app: AppContext) -> list[str]:
    """Queue every due reminder; returns 'REFERENCE:kind' for each one fired."""
    today = local_today(app)
    with transaction(app.sessions) as session:
        due = find_due(session, app, today)
    fired = []
    for reminder in due:
        try:
            if _fire(app, reminder, today):
                fired.append(f"{reminder.reference}:{reminder.kind}")
        except IntegrityError:
            log.debug("case %s: %s reminder fired elsewhere", reminder.case_id, reminder.kind)
        except StorageError as error:
            log.warning(
                "case %s: reminder not recorded, retried later: %s", reminder.case_id, error
            )
    return fired


def _fire(app: AppContext, reminder: DueReminder, today: date) -> bool:
    """Record first (the unique key decides who fires), then queue, in one transaction."""
    with transaction(app.sessions) as session:
        now = app.clock()
        rows = [
            ReminderSent(
                case_id=reminder.case_id,
                threshold=key,
                due=reminder.due,
                sent_at=now,
                outbox_ids=[],
            )
            for key in reminder.keys
        ]
        session.add_all(rows)
        session.flush()
        case = session.get(Case, reminder.case_id)
        assert case is not None
        ids = _enqueue(session, app, case, reminder, today)
        for row in rows:
            row.outbox_ids = ids
        details = {
            "reminder": reminder.kind,
            "recorded": list(reminder.keys),
            "due": reminder.due.isoformat(),
            "outbox": ids,
        }
        append_event(session, case, "reminder_sent", now, details)
    log.info("case %s: %s reminder queued, outbox ids %s", reminder.case_id, reminder.kind, ids)
    return bool(ids)


def _enqueue(
    session: Session, app: AppContext, case: Case, reminder: DueReminder, today: date
) -> list[int]:
    recipients = reminder_recipients(session, app, case)
    if not recipients:
        log.warning("case %s: nobody to remind (no staff users, no digest.recipients)", case.id)
        return []
    assignee = assignee_of(session, case)
    to_all = not (len(recipients) == 1 and recipients[0].address == assignee)
    item = ReminderItem(
        kind=reminder.kind,
        reference=case.reference,
        url=case_url(app, case.reference),
        rights=tuple(r for r in RIGHTS if r in set(case.rights or [])),
        due=reminder.due,
        days_left=working_days_left(calendar_for(app), reminder.due, today) or 0,
        extended_due=case.extended_due,
        to_all=to_all,
    )
    return enqueue_per_language(
        session,
        app,
        REMINDER_KIND,
        recipients,
        lambda language: render(app, language, "reminder", {"r": item}),
    )
