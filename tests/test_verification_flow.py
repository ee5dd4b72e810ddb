"""Identity verification end to end: request, challenge, approval, real SMTP, reply with the code.

Requests and replies are real RFC 5322 messages stored through intake and run
through the whole pipeline; the challenge letter goes out through the outbox
to a recording SMTP relay on loopback, and the code the requester sends back
is the one that relay delivered.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from support.mail import build_message
from support.settings import FixedClock
from support.smtp_sink import SmtpSink, start_sink

from inbox_triage.cases.audit import verify_chains
from inbox_triage.cases.schedule import calendar_for
from inbox_triage.cases.views import show_case
from inbox_triage.context import AppContext
from inbox_triage.customers.challenge import issue_challenge
from inbox_triage.customers.csv_io import COLUMNS, import_customers
from inbox_triage.db.models import (
    Case,
    CaseEvent,
    Draft,
    Message,
    OutboxMessage,
    VerificationChallenge,
)
from inbox_triage.db.session import transaction
from inbox_triage.drafting.store import approve_draft
from inbox_triage.intake.store import store_raw
from inbox_triage.mail.outbox import send_due
from inbox_triage.pipeline import Processor

ON_FILE = "kovacs.janos@gmail.com"
STAFF = "staff@clmaster.eu"
# customer_id, name, email, phone, contact_name, contact_email, contact_phone,
# billing_address, postal_address, tax_number, username, domains
CUSTOMER = (
    "CM-30001",
    "Kovács János",
    ON_FILE,
    "+36 30 123 4567",
    "",
    "",
    "",
    "1111 Budapest, Fő utca 1.",
    "",
    "8123456786",
    "kjanos",
    "",
)
REQUEST = (
    "Tisztelt Cloudmaster Kft.!\n\nKérem, küldjék meg nekem a rólam tárolt összes személyes "
    "adatot.\n\nÜdvözlettel:\nKovács János\n"
)


@pytest.fixture
def relay(app: AppContext, tmp_path: Path) -> Iterator[SmtpSink]:
    """The customer on file, and the app's outgoing relay pointed at a recording sink."""
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([COLUMNS, CUSTOMER])
    with transaction(app.sessions) as session:
        import_customers(session, path, now=app.clock())
    sink = start_sink()
    outgoing = dataclasses.replace(
        app.settings.outgoing, host="127.0.0.1", port=sink.port, security="none", timeout_seconds=10
    )
    web = dataclasses.replace(app.settings.web, base_url="https://triage.clmaster.eu/")
    app.settings = dataclasses.replace(app.settings, outgoing=outgoing, web=web)
    try:
        yield sink
    finally:
        sink.stop()


def receive(app: AppContext, sender: str, body: str, **options: Any) -> None:
    """Deliver one message through intake and run the pipeline over it."""
    store_raw(app, build_message(sender=sender, body=body, **options), "smtp")
    Processor(app).run_pending()


def open_case(app: AppContext, sender: str, **options: Any) -> str:
    receive(app, sender, REQUEST, subject="Adataim", **options)
    with app.sessions() as session:
        reference = session.scalar(select(Case.reference).order_by(Case.id.desc()))
        assert reference is not None
        return reference


def challenge_sent(app: AppContext, relay: SmtpSink, reference: str) -> tuple[str, str, str]:
    """Issue the challenge, approve its letter, send it; the code, token and Message-ID."""
    with transaction(app.sessions) as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        code, token = issue_challenge(session, app, case, actor=STAFF)
        draft = session.scalars(
            select(Draft).where(
                Draft.case_id == case.id,
                Draft.kind == "verification_request",
                Draft.state == "draft",
            )
        ).one()
        approve_draft(session, app, draft.id, STAFF)
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.draft_id == draft.id))
        message_id = row.one().message_id
    assert send_due(app)["sent"] == 1
    return code, token, message_id


def reply_with(app: AppContext, message_id: str, sender: str, text: str, quoted: str = "") -> None:
    body = text + (
        "\n\nOn Mon, 2 Mar 2026 at 10:00, Cloudmaster <info@clmaster.eu> wrote:\n"
        + "".join(f"> {line}\n" for line in quoted.splitlines())
        if quoted
        else ""
    )
    receive(app, sender, body, subject="Re: Kérjük, erősítse meg", in_reply_to=message_id)


def state_of(app: AppContext, reference: str) -> tuple[Case, VerificationChallenge, list[str]]:
    with app.sessions() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        challenge = session.scalars(
            select(VerificationChallenge)
            .where(VerificationChallenge.case_id == case.id)
            .order_by(VerificationChallenge.id.desc())
        ).first()
        assert challenge is not None
        kinds = list(
            session.scalars(
                select(CaseEvent.kind)
                .where(CaseEvent.case_id == case.id)
                .order_by(CaseEvent.sequence)
            )
        )
        return case, challenge, kinds


def test_code_in_a_reply_from_the_on_file_address_verifies_and_audits(
    app: AppContext, relay: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN a request from the on-file address without DKIM/SPF, its challenge approved and
    sent WHEN the requester replies with the code THEN the case is verified, the audit log
    says so (without the code), the full reply is drafted, and no log line holds the code."""
    caplog.set_level(logging.DEBUG, logger="inbox_triage")
    reference = open_case(app, f"Kovács János <{ON_FILE}>")
    code, token, message_id = challenge_sent(app, relay, reference)
    [sent] = relay.messages
    assert sent.rcpt_tos == [ON_FILE]
    text = sent.parsed().get_body(("plain",)).get_content()
    assert f"{code[:4]} {code[4:]}" in text and f"https://triage.clmaster.eu/verify/{token}" in text

    reply_with(app, message_id, ON_FILE, f"Köszönöm, a kód: {code[:4]} {code[4:]}", quoted=text)

    case, challenge, kinds = state_of(app, reference)
    assert case.identity == "verified" and challenge.state == "completed"
    assert challenge.completed_via == "code" and challenge.attempts == 0
    assert "verification_requested" in kinds and kinds.count("verified") == 1
    with app.sessions() as session:
        verified = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "verified")
        ).one()
        assert verified.details["method"] == "challenge" and verified.details["via"] == "code"
        events = json.dumps([e.details for e in session.scalars(select(CaseEvent))])
        assert code not in events and token not in events
        reply = session.scalars(
            select(Draft).where(Draft.case_id == case.id, Draft.kind == "reply")
        ).one()
        assert reply.recipient == ON_FILE and reply.contains_personal_data
        assert verify_chains(session) == []
        shown = show_case(session, reference, case.opened_at.date(), calendar_for(app), app=app)
    assert shown["verification"]["state"] == "completed"
    assert shown["verification"]["completed_at"] == challenge.completed_at.isoformat()
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("inbox_triage")]
    assert ours and not any(code in line or token in line for line in ours)


def test_challenge_goes_only_to_the_on_file_address_and_only_a_reply_from_it_counts(
    app: AppContext, relay: SmtpSink
) -> None:
    """GIVEN a request from an address not on file, with a Reply-To and another address named
    in its body WHEN the challenge is sent THEN the relay is asked to deliver it to the on-file
    address only; the code sent back from the requester's own address (or the Reply-To) does
    not verify and costs no attempt; sent back from the on-file address it verifies."""
    body_address = "jani.masik@example.org"
    receive(
        app,
        "Kovács János <jani.uj@example.hu>",
        REQUEST.replace(
            "adatot.", f"adatot. Ügyfélazonosítóm CM-30001, a választ a {body_address} címre kérem."
        ),
        subject="Adataim",
        headers={"Reply-To": "valaszcim@example.net"},
    )
    with app.sessions() as session:
        reference = session.scalars(select(Case.reference)).one()
    code, _, message_id = challenge_sent(app, relay, reference)
    [sent] = relay.messages
    assert sent.rcpt_tos == [ON_FILE] and sent.parsed()["To"] == ON_FILE
    with app.sessions() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert [row.recipients for row in rows] == [[ON_FILE]]
        neutral = session.scalars(select(Draft).where(Draft.kind == "neutral_acknowledgement"))
        assert [d.recipient for d in neutral] == ["jani.uj@example.hu"]

    for outsider in ("jani.uj@example.hu", "valaszcim@example.net", body_address):
        reply_with(app, message_id, outsider, f"A kód: {code}")
        case, challenge, kinds = state_of(app, reference)
        assert case.identity == "unverified" and challenge.state == "pending"
        assert challenge.attempts == 0 and kinds[-1] != "verified"
    with app.sessions() as session:
        reasons = [
            e.details["reason"]
            for e in session.scalars(
                select(CaseEvent).where(CaseEvent.kind == "verification_failed")
            )
        ]
    assert reasons == ["the reply is not from the address the code was sent to"] * 3

    reply_with(app, message_id, f"Kovács János <{ON_FILE}>", f"Igen, én kértem. {code}")
    case, challenge, _ = state_of(app, reference)
    assert case.identity == "verified" and challenge.state == "completed"
    with app.sessions() as session:
        reply = session.scalars(select(Draft).where(Draft.kind == "reply")).one()
        assert reply.recipient == ON_FILE and reply.state == "draft"


def test_code_only_in_the_quoted_history_is_ignored(app: AppContext, relay: SmtpSink) -> None:
    """GIVEN a sent challenge WHEN the reply's own text has no code and only the quoted copy
    of our letter carries the code and the link THEN nothing is verified and no attempt is
    counted."""
    reference = open_case(app, ON_FILE)
    code, token, message_id = challenge_sent(app, relay, reference)
    link = f"https://triage.clmaster.eu/verify/{token}"
    reply_with(app, message_id, ON_FILE, "Nem én kértem.", quoted=f"A kód:\n\n{code}\n\n{link}\n")
    case, challenge, kinds = state_of(app, reference)
    with app.sessions() as session:
        parsed = session.scalars(select(Message.parsed).order_by(Message.id.desc())).first()
    assert parsed is not None and code in parsed["quoted_text"] and token in parsed["quoted_text"]
    assert code not in parsed["new_text"] and token not in parsed["new_text"]
    assert case.identity == "unverified" and challenge.state == "pending"
    assert challenge.attempts == 0 and "verification_failed" not in kinds


def test_wrong_codes_count_attempts_and_lock_the_challenge(
    app: AppContext, relay: SmtpSink
) -> None:
    """GIVEN a sent challenge (5 attempts) WHEN replies carry wrong codes THEN each counts, the
    fifth locks the challenge, and then even the right code no longer verifies."""
    reference = open_case(app, ON_FILE)
    code, _, message_id = challenge_sent(app, relay, reference)
    wrong = [f"{(int(code) + n) % 10**8:08d}" for n in range(1, 6)]
    reply_with(app, message_id, ON_FILE, f"Talán {wrong[0]} vagy {wrong[1][:4]}-{wrong[1][4:]}?")
    _, challenge, _ = state_of(app, reference)
    assert (challenge.attempts, challenge.state) == (2, "pending")
    reply_with(app, message_id, ON_FILE, f"{wrong[2]}\n{wrong[3]}")
    reply_with(app, message_id, ON_FILE, f"Utolsó próba: {wrong[4]}")
    case, challenge, _ = state_of(app, reference)
    assert (challenge.attempts, challenge.state, case.identity) == (5, "locked", "unverified")
    reply_with(app, message_id, ON_FILE, f"Most már jó: {code}")
    case, challenge, _ = state_of(app, reference)
    assert (challenge.attempts, challenge.state, case.identity) == (5, "locked", "unverified")
    with app.sessions() as session:
        reasons = [
            e.details["reason"]
            for e in session.scalars(
                select(CaseEvent)
                .where(CaseEvent.kind == "verification_failed")
                .order_by(CaseEvent.id)
            )
        ]
    assert reasons == [
        "wrong code",
        "wrong code",
        "too many wrong codes",
        "the challenge is locked after too many wrong codes",
    ]


def test_expired_code_is_refused(app: AppContext, relay: SmtpSink, clock: FixedClock) -> None:
    """GIVEN a challenge sent with the default 7-day expiry WHEN the right code arrives after
    seven days THEN it is refused as expired and the case stays unverified."""
    reference = open_case(app, ON_FILE)
    code, _, message_id = challenge_sent(app, relay, reference)
    clock.advance(days=7)
    reply_with(app, message_id, ON_FILE, code)
    case, challenge, _ = state_of(app, reference)
    assert (challenge.state, case.identity) == ("expired", "unverified")
    with app.sessions() as session:
        failed = session.scalars(select(CaseEvent).where(CaseEvent.kind == "verification_failed"))
        assert [e.details["reason"] for e in failed] == ["the code has expired"]
