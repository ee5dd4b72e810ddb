"""Two schedulers (two `serve` processes) on one database send one digest a day, not two."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from support.smtp_sink import SmtpSink

from inbox_triage.context import AppContext
from inbox_triage.scheduler import QUEUED, TickResult, scheduler_tick


def test_two_schedulers_ticking_together_send_one_digest_a_day(
    staff: AppContext, sink: SmtpSink, sched, local_clock
) -> None:
    """GIVEN two contexts on the same database WHEN both tick at the same instants from Thu 11
    to Wed 17 March 2027 THEN one digest per working day and each reminder once, received."""
    other = sched.sibling(staff)
    sched.make_case(
        staff, "GDPR-2027-0001", date(2027, 3, 19), opened=sched.at(date(2027, 3, 1), 9)
    )
    barrier = threading.Barrier(2)

    def tick(app: AppContext) -> TickResult:
        barrier.wait(timeout=30)
        return scheduler_tick(app)

    queued: list[date] = []
    reminders: list[str] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        day = date(2027, 3, 11)
        while day <= date(2027, 3, 17):
            for hour, minute in ((7, 59), (8, 0), (8, 0), (12, 30)):
                local_clock(day, hour, minute)
                results = list(pool.map(tick, (staff, other)))
                queued += [r.local_date for r in results if r.digest == QUEUED]
                reminders += [key for r in results for key in r.reminders]
            day += timedelta(days=1)
    other.close()
    working = [date(2027, 3, d) for d in (11, 12, 16, 17)]
    assert queued == working
    assert sched.digest_days(staff) == working
    assert sorted(reminders) == ["GDPR-2027-0001:2", "GDPR-2027-0001:5"]
    subjects = [str(m.parsed()["Subject"]) for m in sink.messages]
    digests = [s for s in subjects if "digest" in s or "összefoglaló" in s]
    assert len(digests) == len(working) * 2  # one per staff member per working day
    assert len(set(digests)) == len(working) * 2  # each day's subject once per language
    assert len(subjects) - len(digests) == 2 * 2  # two reminders, each to both staff


def test_losing_the_insert_race_sends_nothing(staff: AppContext, sched, local_clock,
                                              monkeypatch) -> None:  # fmt: skip
    """GIVEN another process inserted today's run after our check WHEN we insert THEN the
    UNIQUE date refuses it and nothing is queued (the whole transaction rolls back)."""
    from inbox_triage import scheduler

    local_clock(date(2027, 3, 16), 9)
    first = sched.sibling(staff)
    assert scheduler_tick(first).digest == QUEUED
    first.close()
    monkeypatch.setattr(scheduler, "_ran", lambda app, today: False)  # the check saw nothing
    assert scheduler_tick(staff).digest == scheduler.ALREADY_DONE
    assert sched.digest_days(staff) == [date(2027, 3, 16)]
    assert sched.outbox_count(staff, "digest") == 2
