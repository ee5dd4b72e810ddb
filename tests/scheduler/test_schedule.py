"""The digest schedule under a frozen clock: working days only, once a day, one catch-up."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

from sqlalchemy import select

from inbox_triage.context import AppContext
from inbox_triage.db.models import DigestRun, OutboxMessage
from inbox_triage.scheduler import (
    ALREADY_DONE,
    NO_RECIPIENTS,
    NON_WORKING_DAY,
    NOT_YET,
    QUEUED,
    SKIPPED_EMPTY,
    run_scheduler,
    scheduler_tick,
)

# Local times of day at which the tests tick: before, at and after 08:00, and near midnight.
TIMES = ((0, 30), (7, 59), (8, 0), (8, 1), (12, 0), (23, 59))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_one_digest_per_working_day_across_weekend_holiday_and_restart(
    staff: AppContext, sched, local_clock
) -> None:
    """GIVEN Thu 11 to Wed 17 March 2027 (weekend, 15 March holiday) and a restart on Tuesday
    WHEN the scheduler ticks through each day THEN exactly one digest each working day."""
    app = staff
    for day in days(date(2027, 3, 11), date(2027, 3, 17)):
        if day == date(2027, 3, 16):
            app = sched.sibling(staff)  # a fresh process on the same database
        outcomes = []
        for hour, minute in TIMES:
            local_clock(day, hour, minute)
            outcomes.append(scheduler_tick(app).digest)
            outcomes.append(scheduler_tick(app).digest)
        if day.weekday() >= 5 or day == date(2027, 3, 15):
            assert set(outcomes) == {NON_WORKING_DAY}, day
        else:
            assert outcomes.count(QUEUED) == 1, (day, outcomes)
            assert outcomes[:4] == [NOT_YET] * 4 and outcomes[4] == QUEUED, (day, outcomes)
    assert sched.digest_days(staff) == [date(2027, 3, d) for d in (11, 12, 16, 17)]
    assert sched.outbox_count(staff, "digest") == 4 * 2  # two staff members a day
    app.close()


def test_single_catch_up_after_a_three_day_outage(staff: AppContext, sched, local_clock) -> None:
    """GIVEN a digest on Mon 5 April 2027 and no process Tue-Thu WHEN it starts again on
    Friday 10:30 THEN one digest, counting everything since Monday's."""
    local_clock(date(2027, 4, 5), 8, 0)
    assert scheduler_tick(staff).digest == QUEUED
    for day in (6, 7, 8):  # cases keep arriving while nobody runs the scheduler
        sched.make_case(staff, f"GDPR-2027-{day:04d}", date(2027, 5, 7), opened=sched.at(
            date(2027, 4, day), 11))  # fmt: skip
    restarted = sched.sibling(staff)
    local_clock(date(2027, 4, 9), 10, 30)
    first = scheduler_tick(restarted)
    assert first.digest == QUEUED and len(first.digest_outbox_ids) == 2
    assert [scheduler_tick(restarted).digest for _ in range(3)] == [ALREADY_DONE] * 3
    assert sched.digest_days(staff) == [date(2027, 4, 5), date(2027, 4, 9)]
    with staff.sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(
            OutboxMessage.id.in_(first.digest_outbox_ids))).all()  # fmt: skip
        run = session.scalar(select(DigestRun).where(DigestRun.local_date == date(2027, 4, 9)))
    assert run is not None and run.since == sched.at(date(2027, 4, 5), 8, 0)
    texts = b"".join(row.raw for row in rows)
    assert b"3 new cases" in texts
    restarted.close()


def test_outage_ending_before_send_time_waits_for_it(staff: AppContext, sched, local_clock) -> None:
    """GIVEN a restart at 06:00 after missed days WHEN ticking THEN nothing until 08:00, then
    one digest."""
    local_clock(date(2027, 4, 9), 6, 0)
    assert scheduler_tick(staff).digest == NOT_YET
    local_clock(date(2027, 4, 9), 8, 0)
    assert scheduler_tick(staff).digest == QUEUED
    local_clock(date(2027, 4, 10), 8, 0)  # Saturday
    assert scheduler_tick(staff).digest == NON_WORKING_DAY
    assert sched.digest_days(staff) == [date(2027, 4, 9)]


def test_configured_send_time_and_skip_empty(staff: AppContext, sched, local_clock) -> None:
    """GIVEN send_time 09:30 and skip_empty WHEN nothing is pending THEN the day is marked
    skipped (not retried) and nothing is queued."""
    sched.configure(staff, send_time="09:30", skip_empty=True)
    local_clock(date(2027, 4, 9), 9, 29)
    assert scheduler_tick(staff).digest == NOT_YET
    local_clock(date(2027, 4, 9), 9, 30)
    assert scheduler_tick(staff).digest == SKIPPED_EMPTY
    assert scheduler_tick(staff).digest == ALREADY_DONE
    assert sched.outbox_count(staff, "digest") == 0
    sched.make_case(staff, "GDPR-2027-0001", date(2027, 4, 12))
    local_clock(date(2027, 4, 12), 9, 30)
    assert scheduler_tick(staff).digest == QUEUED


def test_no_recipients_is_recorded_once(app: AppContext, sched, local_clock) -> None:
    """GIVEN no staff users and no digest.recipients WHEN due THEN recorded, nothing queued."""
    local_clock(date(2027, 4, 9), 8, 0)
    assert scheduler_tick(app).digest == NO_RECIPIENTS
    assert scheduler_tick(app).digest == ALREADY_DONE
    sched.configure(app, recipients=["dpo@clmaster.eu"])
    local_clock(date(2027, 4, 12), 8, 0)
    result = scheduler_tick(app)
    assert result.digest == QUEUED and len(result.digest_outbox_ids) == 1


def test_run_scheduler_loops_until_stopped(staff: AppContext, sched, local_clock) -> None:
    """GIVEN the loop in a thread WHEN it has ticked a while THEN one digest, and it stops."""
    local_clock(date(2027, 4, 9), 9, 0)
    stop = threading.Event()
    thread = threading.Thread(target=run_scheduler, args=(staff, stop, 0.02), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not sched.digest_days(staff) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # several more ticks
    stop.set()
    thread.join(timeout=20)
    assert not thread.is_alive()
    assert sched.digest_days(staff) == [date(2027, 4, 9)]
    assert sched.outbox_count(staff, "digest") == 2
