"""Deadline reminders: once per threshold and deadline, to the assignee or to all staff."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta

from sqlalchemy import select

from inbox_triage.cases.audit import verify_case
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, CaseEvent, OutboxMessage, ReminderSent
from inbox_triage.db.session import transaction
from inbox_triage.scheduler import scheduler_tick
from inbox_triage.web.assignment import assign

DUE = date(2027, 4, 14)  # Wednesday; 5 working days left on Wed 7 April, 2 on Mon 12 April
REF = "GDPR-2027-0001"


def tick_days(app: AppContext, local_clock, first: date, last: date) -> dict[date, list[str]]:
    """Tick twice a day (09:00 and 15:00 local); the reminders fired, by day."""
    fired: dict[date, list[str]] = {}
    day = first
    while day <= last:
        for hour in (9, 15):
            local_clock(day, hour)
            found = list(scheduler_tick(app).reminders)
            if found:
                fired.setdefault(day, []).extend(found)
        day += timedelta(days=1)
    return fired


def reminders(app: AppContext) -> list[tuple[list[str], str, str]]:
    """Recipients, subject and plain text of every queued reminder, oldest first."""
    with app.sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")
                               .order_by(OutboxMessage.id)).all()  # fmt: skip
    result = []
    for row in rows:
        message = email.message_from_bytes(row.raw, policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        result.append((list(row.recipients), str(message["Subject"]), text))
    return result


def test_each_threshold_fires_once_to_all_staff(staff: AppContext, sched, local_clock) -> None:
    """GIVEN an unassigned case due 14 April WHEN ticking 5-16 April THEN 5, 2 and overdue
    fire once each, on the day they are crossed, to every staff member in their language."""
    local_clock(date(2027, 4, 1), 9)
    case_id = sched.make_case(staff, REF, DUE)
    fired = tick_days(staff, local_clock, date(2027, 4, 5), date(2027, 4, 16))
    assert fired == {date(2027, 4, 7): [f"{REF}:5"], date(2027, 4, 12): [f"{REF}:2"],
                     date(2027, 4, 15): [f"{REF}:overdue"]}  # fmt: skip
    sent = reminders(staff)
    assert [r[0] for r in sent] == [[sched.HU_STAFF], [sched.EN_STAFF]] * 3
    assert [r[1] for r in sent] == [
        f"Határidő-emlékeztető – {REF}, még 5 munkanap",
        f"Deadline reminder – {REF}, 5 working days left",
        f"Határidő-emlékeztető – {REF}, még 2 munkanap",
        f"Deadline reminder – {REF}, 2 working days left",
        f"Lejárt határidő – {REF}",
        f"Deadline passed – {REF}",
    ]
    hu_text = sent[0][2]
    assert "Ügyszám: GDPR-2027-0001 (törlés)" in hu_text
    assert "Határidő: 2027. április 14., szerda – még 5 munkanap van hátra." in hu_text
    assert f"Az ügy megnyitása: {sched.BASE_URL}/cases/{REF}" in hu_text
    assert "minden munkatárs megkapta" in hu_text
    assert "1 working day overdue" in sent[5][2]
    with staff.sessions() as session:
        keys = session.scalars(select(ReminderSent.threshold).order_by(ReminderSent.id)).all()
        events = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id)).all()
        assert verify_case(session, session.get(Case, case_id)) is None
    assert keys == ["5", "2", "overdue"]
    assert events.count("reminder_sent") == 3


def test_assignee_alone_is_reminded(staff: AppContext, sched, local_clock) -> None:
    """GIVEN a case assigned to the English staff member WHEN 5 days are left THEN only they
    hear of it."""
    local_clock(date(2027, 4, 1), 9)
    case_id = sched.make_case(staff, REF, DUE)
    with transaction(staff.sessions) as session:
        assign(session, staff, session.get(Case, case_id), sched.EN_STAFF, actor="test")
    tick_days(staff, local_clock, date(2027, 4, 7), date(2027, 4, 7))
    [(recipients, subject, text)] = reminders(staff)
    assert recipients == [sched.EN_STAFF] and subject.startswith("Deadline reminder")
    assert "because the case is assigned to you" in text


def test_thresholds_crossed_together_give_one_reminder(staff: AppContext, sched,
                                                       local_clock) -> None:  # fmt: skip
    """GIVEN the scheduler first runs with 1 working day left WHEN it ticks THEN one reminder
    (the 2-day one) and the 5-day one is never sent afterwards."""
    local_clock(date(2027, 4, 1), 9)
    sched.make_case(staff, REF, DUE)
    fired = tick_days(staff, local_clock, date(2027, 4, 13), date(2027, 4, 14))
    assert fired == {date(2027, 4, 13): [f"{REF}:2"]}
    with staff.sessions() as session:
        assert sorted(session.scalars(select(ReminderSent.threshold))) == ["2", "5"]
    assert sched.outbox_count(staff, "reminder") == 2


def test_extension_rearms_the_reminders(staff: AppContext, sched, local_clock) -> None:
    """GIVEN the 5-day reminder fired WHEN the case is extended to 14 June THEN nothing more in
    April, and the 5-day reminder fires again for the new deadline on 7 June."""
    local_clock(date(2027, 4, 1), 9)
    case_id = sched.make_case(staff, REF, DUE, identity="verified")
    assert tick_days(staff, local_clock, date(2027, 4, 7), date(2027, 4, 7))
    with transaction(staff.sessions) as session:
        case = session.get(Case, case_id)
        case.extended, case.extended_due, case.due = True, date(2027, 6, 14), date(2027, 6, 14)
        case.status = "extended"
        sched_notice = sched.make_draft  # the notice went out: no notice reminder
    sched_notice(staff, case_id, sched.at(date(2027, 4, 7), 10), kind="extension_notice",
                 state="sent")  # fmt: skip
    assert tick_days(staff, local_clock, date(2027, 4, 8), date(2027, 4, 16)) == {}
    fired = tick_days(staff, local_clock, date(2027, 6, 4), date(2027, 6, 7))
    assert fired == {date(2027, 6, 7): [f"{REF}:5"]}


def test_missing_extension_notice_is_reminded_once(staff: AppContext, sched,
                                                   local_clock) -> None:  # fmt: skip
    """GIVEN an extended case whose notice is unsent, and one whose notice went out WHEN the
    original deadline is 5 working days away THEN one notice reminder, for the first only."""
    local_clock(date(2027, 4, 1), 9)
    unsent = sched.make_case(staff, REF, DUE, extended_due=date(2027, 6, 14))
    sent = sched.make_case(staff, "GDPR-2027-0002", DUE, extended_due=date(2027, 6, 14))
    sched.make_draft(staff, unsent, sched.at(date(2027, 4, 2), 9), kind="extension_notice")
    sched.make_draft(staff, sent, sched.at(date(2027, 4, 2), 9), kind="extension_notice",
                     state="sent")  # fmt: skip
    fired = tick_days(staff, local_clock, date(2027, 4, 5), date(2027, 4, 15))
    assert fired == {date(2027, 4, 7): [f"{REF}:extension_notice"]}
    hu_subject, hu_text = reminders(staff)[0][1:]
    assert hu_subject == f"Még nem ment el az értesítés a meghosszabbításról – {REF}"
    assert max(len(line) for line in hu_text.splitlines()) <= 100
    flowing = " ".join(hu_text.split())
    assert "Az ügy határidejét 2027. június 14-éig meghosszabbították, de a kérelmezőt" in flowing
    assert ("az eredeti határidőig, 2027. április 14-éig el kell jutnia a kérelmezőhöz "
            "(még 5 munkanap)") in flowing  # fmt: skip


def test_replied_and_closed_cases_are_not_reminded(staff: AppContext, sched, local_clock) -> None:
    """GIVEN replied and closed cases past their deadline WHEN ticking THEN no reminder."""
    local_clock(date(2027, 4, 1), 9)
    sched.make_case(staff, REF, DUE, status="replied")
    sched.make_case(staff, "GDPR-2027-0002", DUE, status="closed")
    assert tick_days(staff, local_clock, date(2027, 4, 5), date(2027, 4, 16)) == {}
