"""The processor end to end: stored raw bytes to cases, with the real classifier."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select
from support.mail import build_message
from support.settings import FixedClock

from inbox_triage.cases.audit import verify_chains
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, Message
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import STAGES, Processor

ERASURE = "Tisztelt Cloudmaster Kft.!\n\nKérem, hogy töröljék az összes személyes adatomat.\n"
SUPPORT = "Sziasztok!\n\nA webmail nem enged belépni, elfelejtettem a jelszavam. Tudtok segíteni?\n"


def _store_and_process(app: AppContext, raw: bytes, source: str = "smtp") -> Message:
    stored = store_raw(app, raw, source)
    Processor(app).run_pending()
    with app.sessions() as session:
        message = session.get(Message, stored.id)
        assert message is not None
        return message


def _case(app: AppContext, message: Message) -> Case:
    with app.sessions() as session:
        case = session.scalar(select(Case).where(Case.id == message.case_id))
        assert case is not None
        _ = case.messages, case.events
        return case


def test_privacy_request_opens_a_case_with_deadline(app: AppContext) -> None:
    """GIVEN an erasure request WHEN processed THEN a case with reference, rights and due date."""
    message = _store_and_process(app, build_message(body=ERASURE))
    assert message.state == "processed" and message.kind == "request"
    assert message.language == "hu" and "erasure" in (message.rights or [])
    case = _case(app, message)
    assert case.reference == "GDPR-2026-0001"
    assert case.status == "new" and "erasure" in case.rights
    # received Monday 2 March 2026: GDPR month 2 April (Thu); policy 30 days: 1 April (Wed).
    assert case.gdpr_due is not None and case.gdpr_due.isoformat() == "2026-04-02"
    assert case.due is not None and case.due.isoformat() == "2026-04-01"
    assert case.basis == "policy"
    assert [e.kind for e in case.events][:3] == ["opened", "message_received", "classified"]


def test_support_mail_is_kept_as_other_mail(app: AppContext) -> None:
    """GIVEN a password question WHEN processed THEN no case, kept as other mail."""
    message = _store_and_process(app, build_message(subject="belépés", body=SUPPORT))
    assert message.state == "processed"
    assert message.kind == "other" and message.case_id is None and message.rights == []


def test_replies_join_their_case_by_headers_reference_or_subject(app: AppContext) -> None:
    """GIVEN an open case WHEN a reply arrives by In-Reply-To, by the reference in the subject,
    or from the same sender with the same subject THEN each joins that case."""
    first = _store_and_process(app, build_message(body=ERASURE, message_id="<first@example.hu>"))
    reference = _case(app, first).reference
    by_header = _store_and_process(
        app,
        build_message(
            subject="Re: valami más", body="Köszönöm, megkaptam.", in_reply_to="<first@example.hu>"
        ),
    )
    by_reference = _store_and_process(
        app,
        build_message(
            subject=f"Kérdés a {reference} ügyhöz",
            body="Mikor válaszolnak?",
            sender="Kovács János <mas.cim@example.hu>",
        ),
    )
    by_subject = _store_and_process(
        app, build_message(subject="RE: Adataim törlése", body="Még annyi, hogy siessenek.")
    )
    for reply in (by_header, by_reference, by_subject):
        assert reply.case_id == first.case_id and reply.kind == "reply"
    assert len(_case(app, first).messages) == 4


def test_auto_reply_never_opens_a_case(app: AppContext) -> None:
    """GIVEN an out-of-office reply that mentions deletion WHEN processed THEN no case."""
    raw = build_message(
        subject="Automatikus válasz: Adataim törlése",
        body=ERASURE,
        headers={"Auto-Submitted": "auto-replied"},
    )
    message = _store_and_process(app, raw)
    assert message.kind == "auto_reply" and message.case_id is None


def test_reply_reopens_a_closed_case_within_the_window(app: AppContext, clock: FixedClock) -> None:
    """GIVEN a closed case WHEN the requester replies 10 days later THEN it is in progress again."""
    first = _store_and_process(app, build_message(body=ERASURE, message_id="<c1@example.hu>"))
    with app.sessions() as session, session.begin():
        case = session.get(Case, first.case_id)
        assert case is not None
        case.status, case.closed_at = "closed", clock()
    clock.advance(days=10)
    _store_and_process(
        app,
        build_message(
            subject="Re: Adataim törlése", body="Még valami.", in_reply_to="<c1@example.hu>"
        ),
    )
    assert _case(app, first).status == "in_progress"


def test_failing_stage_is_recorded_and_retried(app: AppContext, clock: FixedClock) -> None:
    """GIVEN a stage that fails once WHEN processed THEN failed with the stage named,
    and processed on the retry after the back-off."""
    calls = {"count": 0}

    def flaky(stage, work):  # type: ignore[no-untyped-def]
        calls["count"] += 1
        if calls["count"] == 1:
            raise RuntimeError("temporary trouble")
        return work

    stages = (*STAGES[:2], ("flaky", flaky), *STAGES[2:])
    stored = store_raw(app, build_message(body=ERASURE), "smtp")
    Processor(app, stages).run_pending()
    with app.sessions() as session:
        row = session.get(Message, stored.id)
        assert row is not None and row.state == "failed"
        assert row.error is not None and row.error.startswith("flaky: RuntimeError")
        assert row.case_id is None
    assert Processor(app, stages).run_pending() == 0
    clock.advance(minutes=5)
    Processor(app, stages).run_pending()
    with app.sessions() as session:
        row = session.get(Message, stored.id)
        assert row is not None and row.state == "processed" and row.case_id is not None


def test_audit_chain_verifies_and_detects_tampering(app: AppContext) -> None:
    """GIVEN a processed case WHEN an event is edited, deleted or reordered in the database
    THEN audit verification names the first broken event."""
    message = _store_and_process(app, build_message(body=ERASURE))
    with app.sessions() as session:
        assert verify_chains(session) == []
    with app.sessions() as session, session.begin():
        case = session.get(Case, message.case_id)
        assert case is not None
        case.events[1].details = case.events[1].details | {"message": 999}
    with app.sessions() as session:
        problems = verify_chains(session)
        assert [(p.sequence, p.reason) for p in problems] == [(2, "event content was changed")]


def test_deleted_and_reordered_events_are_detected(app: AppContext) -> None:
    """GIVEN a case WHEN its last event is deleted, or two events swap places THEN detected."""
    first = _store_and_process(app, build_message(body=ERASURE))
    second = _store_and_process(
        app,
        build_message(
            body="Kérem, küldjék el a rólam tárolt adatok másolatát.",
            subject="Adatmásolat",
            sender="Tóth Anna <anna@example.hu>",
        ),
    )
    with app.sessions() as session, session.begin():
        case = session.get(Case, first.case_id)
        assert case is not None
        session.delete(case.events[-1])
        other = session.get(Case, second.case_id)
        assert other is not None
        a, b = other.events[0], other.events[1]
        a.sequence, b.sequence = -1, 1
        session.flush()
        a.sequence = 2
    with app.sessions() as session:
        reasons = {p.reference: p.reason for p in verify_chains(session)}
    assert reasons == {
        "GDPR-2026-0001": "latest event missing",
        "GDPR-2026-0002": "event missing or out of order",
    }


def test_settings_prefix_is_used_for_references(app: AppContext) -> None:
    """GIVEN another reference prefix WHEN a case opens THEN its reference uses it."""
    app.settings = dataclasses.replace(
        app.settings, cases=dataclasses.replace(app.settings.cases, reference_prefix="ADAT")
    )
    message = _store_and_process(app, build_message(body=ERASURE))
    assert _case(app, message).reference == "ADAT-2026-0001"
