"""The outbox against a real SMTP server on loopback: delivery, retry, and never twice."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from support.postgres import free_port
from support.smtp_sink import PASSWORD, USER, running_sink, start_sink

from inbox_triage.cases.audit import verify_case
from inbox_triage.db.models import Case, CaseEvent, Draft, OutboxMessage
from inbox_triage.drafting.store import approve_draft, draft_for_case
from inbox_triage.mail import outbox, send
from inbox_triage.mail.outbox import confirm_delivered, requeue, send_due, stale_after
from inbox_triage.mail.send import case_id_for_message_ids

STAFF = "staff@clmaster.eu"


def approved(customers, session, helpers, rights=("access", "portability"), language="hu"):
    """A verified customer's reply, approved and committed: one queued outbox row."""
    parsed = helpers.mail("Kovács János <kovacs.janos@gmail.com>", "Kérem az adataimat.",
                          auth=[helpers.dmarc_pass("gmail.com")])  # fmt: skip
    case = helpers.open_request(customers, session, parsed, list(rights), language)
    draft = draft_for_case(session, customers, case)
    approve_draft(session, customers, draft.id, STAFF)
    session.commit()
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.draft_id == draft.id)).one()
    return case, draft, row, parsed


def events(session, case: Case) -> list[CaseEvent]:
    session.expire_all()
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                .order_by(CaseEvent.sequence)))  # fmt: skip


def test_reply_arrives_threaded_in_utf8_with_attachments(customers, session, helpers,
                                                         sink) -> None:  # fmt: skip
    """GIVEN an approved Hungarian reply WHEN sent THEN it parses back exactly as approved."""
    case, draft, row, parsed = approved(customers, session, helpers)
    assert send_due(customers) == {"sent": 1, "failed": 0, "uncertain": 0, "deferred": 0,
                                   "remaining": 0}  # fmt: skip
    [received] = sink.messages
    assert (received.mail_from, received.rcpt_tos) == ("info@clmaster.eu",
                                                       ["kovacs.janos@gmail.com"])  # fmt: skip
    message = received.parsed()
    sender = message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Cloudmaster Kft.", "info@clmaster.eu")
    assert message["To"] == "kovacs.janos@gmail.com"
    assert message["Subject"] == draft.subject == f"Válasz adatvédelmi kérelmére – {case.reference}"
    assert message["Message-ID"] == row.message_id and row.message_id.endswith("@clmaster.eu>")
    assert message["In-Reply-To"] == parsed.message_id == message["References"]
    text = message.get_body(("plain",)).get_content()
    assert text.replace("\r\n", "\n") == draft.body_text
    assert "műszakilag megvalósítható" in text and "Szilágyi Erzsébet fasor" in text
    assert "Tisztelettel:" in message.get_body(("html",)).get_content()
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert set(files) == {"szemelyes-adatok-CM-20001.json", "szemelyes-adatok-CM-20001.csv"}
    document = json.loads(files["szemelyes-adatok-CM-20001.json"])
    assert document["controller_record"]["name"] == "Kovács János"
    csv_text = files["szemelyes-adatok-CM-20001.csv"]
    csv_text = csv_text.decode() if isinstance(csv_text, bytes) else csv_text
    assert "1111 Budapest, Fő utca 1." in csv_text
    session.expire_all()
    assert session.get(Draft, draft.id).state == "sent"
    assert session.get(OutboxMessage, row.id).sent_at is not None
    kinds = [e.kind for e in events(session, case)]
    assert kinds[-3:] == ["drafted", "approved", "sent"]
    assert verify_case(session, case) is None
    assert send_due(customers)["sent"] == 0 and len(sink.messages) == 1


def test_our_message_ids_thread_replies_into_the_case(customers, session, helpers, sink) -> None:
    case, _, row, _ = approved(customers, session, helpers)
    assert case_id_for_message_ids(session, ["<unknown@x>", row.message_id]) == case.id
    assert case_id_for_message_ids(session, ["<unknown@x>"]) is None
    assert case_id_for_message_ids(session, []) is None


def test_relay_down_is_retried_later_and_never_duplicated(customers, session, helpers,
                                                          clock) -> None:  # fmt: skip
    """GIVEN nothing listening WHEN sending THEN deferred; once the relay is up, sent once."""
    port = free_port()
    helpers.point_at(customers, port)
    case, _, row, _ = approved(customers, session, helpers)
    summary = send_due(customers)
    assert (summary["sent"], summary["deferred"], summary["remaining"]) == (0, 1, 1)
    session.expire_all()
    stored = session.get(OutboxMessage, row.id)
    assert (stored.state, stored.attempts) == ("queued", 1)
    assert stored.next_attempt_at == clock.now + timedelta(seconds=60)
    assert "ConnectionRefusedError" in stored.last_error
    assert events(session, case)[-1].details["outcome"] == "retry"
    with running_sink(port=port) as sink:
        assert send_due(customers)["sent"] == 0  # not due yet: back-off is respected
        clock.advance(seconds=61)
        assert send_due(customers)["sent"] == 1
        clock.advance(hours=1)
        assert send_due(customers)["sent"] == 0
        assert len(sink.messages) == 1 and sink.handler.data_commands == 1


def test_relay_answering_451_is_retried_with_back_off(customers, session, helpers, clock) -> None:
    with running_sink(mode="451") as sink:
        helpers.point_at(customers, sink)
        _, _, row, _ = approved(customers, session, helpers)
        assert send_due(customers)["deferred"] == 1
        clock.advance(seconds=61)
        assert send_due(customers)["deferred"] == 1
        session.expire_all()
        stored = session.get(OutboxMessage, row.id)
        assert stored.attempts == 2 and stored.last_error.startswith("SMTP 451")
        assert (stored.next_attempt_at - clock.now).total_seconds() == 120
        sink.handler.mode = "accept"
        clock.advance(seconds=121)
        assert send_due(customers)["sent"] == 1
        clock.advance(days=1)
        assert send_due(customers)["sent"] == 0
        assert len(sink.messages) == 1 and sink.handler.data_commands == 3


def test_permanent_refusal_fails_at_once(customers, session, helpers, clock) -> None:
    with running_sink(mode="550") as sink:
        helpers.point_at(customers, sink)
        case, _, row, _ = approved(customers, session, helpers)
        assert send_due(customers)["failed"] == 1
        clock.advance(days=1)
        assert send_due(customers)["failed"] == 0 and sink.handler.data_commands == 1
    session.expire_all()
    stored = session.get(OutboxMessage, row.id)
    assert stored.state == "failed" and stored.next_attempt_at is None
    assert "550" in stored.last_error and "someone@example.com" not in stored.last_error
    assert events(session, case)[-1].details["outcome"] == "failed"


def test_gives_up_after_max_attempts(customers, session, helpers, clock) -> None:
    helpers.point_at(customers, free_port(), max_attempts=2)
    _, _, row, _ = approved(customers, session, helpers)
    assert send_due(customers)["deferred"] == 1
    clock.advance(seconds=61)
    summary = send_due(customers)
    assert (summary["failed"], summary["remaining"]) == (1, 0)
    session.expire_all()
    assert session.get(OutboxMessage, row.id).state == "failed"


def test_crash_after_relay_accepted_never_resends(customers, session, helpers, sink, clock,
                                                  monkeypatch) -> None:  # fmt: skip
    """GIVEN the process dies after the relay took the message WHEN run again THEN no resend."""
    case, draft, row, _ = approved(customers, session, helpers)
    real_deliver = send.deliver

    def deliver_then_die(*args, **kwargs):
        real_deliver(*args, **kwargs)
        raise KeyboardInterrupt  # the process is killed before it can record the outcome

    monkeypatch.setattr(send, "deliver", deliver_then_die)
    with pytest.raises(KeyboardInterrupt):
        send_due(customers)
    monkeypatch.setattr(send, "deliver", real_deliver)
    assert len(sink.messages) == 1
    session.expire_all()
    assert session.get(OutboxMessage, row.id).state == "sending"
    assert send_due(customers) == {"sent": 0, "failed": 0, "uncertain": 0, "deferred": 0,
                                   "remaining": 0}  # fmt: skip
    clock.advance(seconds=stale_after(customers).total_seconds() + 1)
    assert send_due(customers)["uncertain"] == 1
    clock.advance(days=2)
    assert send_due(customers)["uncertain"] == 0
    assert len(sink.messages) == 1 and sink.handler.data_commands == 1
    session.expire_all()
    stored = session.get(OutboxMessage, row.id)
    assert stored.state == "uncertain" and session.get(Draft, draft.id).state == "approved"
    assert events(session, case)[-1].details["outcome"] == "uncertain"
    confirm_delivered(session, customers, row.id, STAFF)
    session.commit()
    assert session.get(Draft, draft.id).state == "sent"
    assert events(session, case)[-1].kind == "sent"


def test_connection_lost_after_the_final_dot_is_uncertain(customers, session, helpers,
                                                          clock) -> None:  # fmt: skip
    """GIVEN the relay took the data but never answered THEN uncertain, not retried."""
    with running_sink(mode="drop") as sink:
        helpers.point_at(customers, sink)
        _, _, row, _ = approved(customers, session, helpers)
        assert send_due(customers)["uncertain"] == 1
        clock.advance(days=1)
        assert send_due(customers)["sent"] == 0
        assert sink.handler.data_commands == 1
    session.expire_all()
    assert session.get(OutboxMessage, row.id).state == "uncertain"


def test_staff_can_requeue_an_uncertain_message(customers, session, helpers, clock) -> None:
    with running_sink(mode="drop") as sink:
        helpers.point_at(customers, sink)
        _, _, row, _ = approved(customers, session, helpers)
        send_due(customers)
        sink.handler.mode = "accept"
        session.expire_all()
        requeue(session, customers, row.id, STAFF)
        session.commit()
        assert send_due(customers)["sent"] == 1
        assert sink.handler.data_commands == 2


def test_only_one_worker_claims_a_row(customers, session, helpers, sink) -> None:
    _, _, row, _ = approved(customers, session, helpers)
    first = outbox._claim(customers, row.id)
    assert isinstance(first, outbox.Claim) and outbox._claim(customers, row.id) is None


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # implicit TLS
@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated")  # aiosmtpd internals
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_authentication(customers, session, helpers, tmp_path: Path,
                                security) -> None:  # fmt: skip
    """GIVEN a relay that requires TLS and AUTH WHEN sending THEN it verifies and logs in."""
    secret = tmp_path / "relay-password"
    secret.write_text(PASSWORD + "\n")
    sink = start_sink(tls=security)
    try:
        helpers.point_at(customers, sink, security=security, ca_file=str(sink.ca_file),
                         user=USER, password_file=str(secret))  # fmt: skip
        approved(customers, session, helpers)
        assert send_due(customers)["sent"] == 1
        [received] = sink.messages
        assert received.authenticated
    finally:
        sink.stop()


def test_unconfigured_relay_keeps_mail_queued(customers, session, helpers) -> None:
    _, _, row, _ = approved(customers, session, helpers)
    assert send_due(customers)["deferred"] == 1
    session.expire_all()
    assert "outgoing.host is not configured" in session.get(OutboxMessage, row.id).last_error


def test_mail_without_a_case_goes_through_the_same_outbox(customers, session, sink) -> None:
    """GIVEN a staff digest WHEN queued THEN sent; the same kind of mail claiming data: blocked."""
    outbox.enqueue_message(session, customers, "digest", ["staff@clmaster.eu"],
                           "Napi összesítő", "Ma 2 ügy határideje jár le.")  # fmt: skip
    outbox.enqueue_message(session, customers, "digest", ["staff@clmaster.eu"], "Adatok",
                           "x", contains_personal_data=True)  # fmt: skip
    session.commit()
    summary = send_due(customers)
    assert (summary["sent"], summary["failed"]) == (1, 1)
    [received] = sink.messages
    assert received.parsed()["Subject"] == "Napi összesítő"
