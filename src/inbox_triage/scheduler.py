"""The scheduler inside `serve`: the staff digest each working morning, and reminders.

The digest goes out once per local working day (deadlines.timezone, Hungarian
calendar) at or after digest.send_time. "Once" holds across restarts and
several processes on one database: the day's digest_runs row (UNIQUE local
date) is inserted first, and the outbox rows are queued in that same
transaction; whoever loses the insert sends nothing. After downtime there is
one digest for today, covering everything since the previous one; missed
days are not replayed. Reminders are checked on every tick.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from inbox_triage import locks
from inbox_triage.cases.schedule import calendar_for
from inbox_triage.context import AppContext
from inbox_triage.db.models import DigestRun, OutboxMessage
from inbox_triage.db.session import transaction
from inbox_triage.digest.collect import collect, zone_of
from inbox_triage.digest.compose import DIGEST_KIND, enqueue_digest, last_digest_at
from inbox_triage.digest.recipients import digest_recipients
from inbox_triage.digest.reminders import REMINDER_KIND, send_reminders
from inbox_triage.errors import StorageError
from inbox_triage.mail.outbox import send_due

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0
QUEUED, SKIPPED_EMPTY, NO_RECIPIENTS = "queued", "skipped_empty", "no_recipients"
ALREADY_DONE, NOT_YET, NON_WORKING_DAY = "already_done", "not_yet", "non_working_day"


@dataclass(frozen=True)
class TickResult:
    """What one scheduler step did."""

    local_date: date
    digest: str
    digest_outbox_ids: tuple[int, ...] = ()
    reminders: tuple[str, ...] = ()
    sent: int = 0


def send_time(app: AppContext) -> time:
    """digest.send_time as a local time of day."""
    hour, minute = (int(part) for part in app.settings.digest.send_time.split(":"))
    return time(hour, minute)


def scheduler_tick(app: AppContext) -> TickResult:
    """One step: the digest if it is due, every due reminder, then the outbox if needed."""
    local = app.clock().astimezone(zone_of(app))
    digest, ids = digest_if_due(app, local)
    reminders = send_reminders(app)
    sent = 0
    if ids or reminders or _our_mail_waiting(app):
        sent = send_due(app)["sent"]
    return TickResult(local.date(), digest, tuple(ids), tuple(reminders), sent)


def digest_if_due(app: AppContext, local: datetime) -> tuple[str, list[int]]:
    """Queue today's digest unless it is not a working day, too early, or already done."""
    today = local.date()
    if not calendar_for(app).is_working_day(today):
        return NON_WORKING_DAY, []
    if local.time() < send_time(app):
        return NOT_YET, []
    if _ran(app, today):
        return ALREADY_DONE, []
    try:
        outcome, ids = _claim_and_queue(app, today)
    except IntegrityError:
        log.debug("digest of %s: another process has it", today)
        return ALREADY_DONE, []
    log.info("digest of %s: %s, outbox ids %s", today, outcome, ids)
    return outcome, ids


def _ran(app: AppContext, today: date) -> bool:
    with transaction(app.sessions) as session:
        found = session.scalar(select(DigestRun.id).where(DigestRun.local_date == today))
        return found is not None


def _claim_and_queue(app: AppContext, today: date) -> tuple[str, list[int]]:
    """Insert the day's row first (the UNIQUE date decides), then queue in the same transaction."""
    now = app.clock()
    with transaction(app.sessions) as session:
        run = DigestRun(local_date=today, started_at=now, since=now, outcome=QUEUED, outbox_ids=[])
        session.add(run)
        session.flush()
        run.since = last_digest_at(session, app, before=today)
        data = collect(session, app, run.since)
        recipients = digest_recipients(session, app)
        if data.empty and app.settings.digest.skip_empty:
            run.outcome = SKIPPED_EMPTY
        elif not recipients:
            run.outcome = NO_RECIPIENTS
            log.warning("digest of %s: no active staff user and no digest.recipients", today)
        else:
            run.outbox_ids = enqueue_digest(session, app, data, recipients)
        return run.outcome, list(run.outbox_ids)


def _our_mail_waiting(app: AppContext) -> bool:
    """A digest or reminder still queued and due (the relay deferred it)."""
    with transaction(app.sessions) as session:
        count = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.kind.in_((DIGEST_KIND, REMINDER_KIND)),
                OutboxMessage.state == "queued",
                OutboxMessage.next_attempt_at <= app.clock(),
            )
        )
        return bool(count)


def run_scheduler(app: AppContext, stop: threading.Event, interval: float = TICK_SECONDS) -> None:
    """Tick until stopped; an error is logged and the next tick tries again.

    With several `serve` processes on one PostgreSQL database only the holder of
    the scheduler's advisory lock ticks; the others wait to take over. The daily
    digest row stays unique either way.
    """
    log.info(
        "scheduler started: digest at %s %s on working days",
        app.settings.digest.send_time,
        app.settings.deadlines.timezone,
    )
    with locks.wait_for_single_instance(app, "scheduler", stop) as held:
        if held:
            _tick_until_stopped(app, stop, interval)
    log.info("scheduler stopped")


def _tick_until_stopped(app: AppContext, stop: threading.Event, interval: float) -> None:
    """The scheduler loop of the one process that holds the scheduler lock."""
    while not stop.is_set():
        try:
            scheduler_tick(app)
        except StorageError as error:  # database down or disk full: expected, one line
            log.warning("scheduler tick failed, retried next tick: %s", error)
        except Exception:  # database or relay hiccup: keep the loop alive
            log.exception("scheduler tick failed")
        stop.wait(interval)
