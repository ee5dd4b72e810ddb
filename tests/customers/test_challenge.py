"""Verification challenges: hashed codes, the on-file recipient, attempts, expiry, links, views.

Cases are opened the way production opens them: real messages stored through
intake and run through the pipeline, against customers imported from CSV.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.orm import Session
from support.mail import build_message
from support.settings import FixedClock

from inbox_triage.cases import actions
from inbox_triage.cases.schedule import calendar_for
from inbox_triage.cases.views import show_case
from inbox_triage.config import load_settings
from inbox_triage.context import AppContext
from inbox_triage.customers.challenge import (
    RedeemResult,
    check_reply_for_code,
    code_candidates,
    issue_challenge,
    redeem_link,
    verification_status,
)
from inbox_triage.customers.csv_io import COLUMNS, import_customers
from inbox_triage.db.models import Base, Case, CaseEvent, Draft, VerificationChallenge
from inbox_triage.db.session import transaction
from inbox_triage.drafting.compose import CODE_PLACEHOLDER
from inbox_triage.drafting.store import edit_draft
from inbox_triage.errors import ConfigError, WorkflowError
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor

ON_FILE = "szabo.eva@upcmail.hu"
STAFF = "staff@clmaster.eu"
# customer_id, name, email, phone, contact_name, contact_email, contact_phone,
# billing_address, postal_address, tax_number, username, domains
CUSTOMER = (
    "CM-10005",
    "Szabó Éva",
    ON_FILE,
    "+36 1 234 5678",
    "",
    "",
    "",
    "",
    "",
    "8456789011",
    "",
    "",
)
REQUEST = "Tisztelt Cloudmaster Kft.!\n\nKérem, töröljék az összes személyes adatomat.\n"


def configure(app: AppContext, **sections: dict[str, Any]) -> None:
    """Override settings sections of a running app (web, deadlines, verification...)."""
    replaced = {
        name: dataclasses.replace(getattr(app.settings, name), **values)
        for name, values in sections.items()
    }
    app.settings = dataclasses.replace(app.settings, **replaced)


def open_case(
    app: AppContext, tmp_path: Path, sender: str = f"Szabó Éva <{ON_FILE}>", **options: Any
) -> str:
    """Import the customer, receive one request through intake and the pipeline.

    Automatic issuing is off here, so each test issues the challenge it examines.
    """
    if app.settings.verification.issue_automatically:
        configure(app, verification={"issue_automatically": False})
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([COLUMNS, CUSTOMER])
    with transaction(app.sessions) as session:
        import_customers(session, path, now=app.clock())
    store_raw(app, build_message(sender=sender, body=REQUEST, **options), "smtp")
    Processor(app).run_pending()
    with app.sessions() as session:
        return session.scalars(select(Case.reference)).one()


def case_of(session: Session, reference: str) -> Case:
    return session.scalars(select(Case).where(Case.reference == reference)).one()


def challenges(session: Session) -> list[VerificationChallenge]:
    return list(session.scalars(select(VerificationChallenge).order_by(VerificationChallenge.id)))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("A kód: 1234 5678, köszönöm", ["12345678"]),
        ("1234-5678\n12345678\n8765 4321", ["12345678", "87654321"]),
        ("Kód: １２３４\u00a0５６７８", ["12345678"]),  # full-width digits, no-break space
        ("Telefon: +36 30 123 4567, 06 1 234 5678", []),
        ("Adószám: 12345678-2-41, számla 123456789, kód12345678, 2026-03-02", []),
        ("", []),
    ],
)
def test_code_candidates_are_standalone_numbers_of_the_code_length(
    text: str, found: list[str]
) -> None:
    """GIVEN a reply's new text WHEN scanned for an 8-digit code THEN only standalone numbers of
    exactly eight digits count, as typed or grouped; phones, tax numbers and dates do not."""
    assert code_candidates(text, 8) == found


def test_issuing_stores_only_hashes_and_fills_the_on_file_draft(
    app: AppContext, tmp_path: Path
) -> None:
    """GIVEN an erasure request from the on-file address, without DKIM/SPF WHEN a challenge is
    issued THEN the verification draft to that address carries the code and the link, the row
    holds only a salted HMAC of the code and a SHA-256 of the token, and the audit log and case
    state record the request without either secret."""
    configure(
        app,
        web={"base_url": "https://triage.clmaster.eu"},
        verification={"code_length": 6, "max_attempts": 3},
    )
    reference = open_case(app, tmp_path)
    with transaction(app.sessions) as session:
        code, token = issue_challenge(session, app, case_of(session, reference), actor=STAFF)
    assert len(code) == 6 and code.isdigit()
    with app.sessions() as session:
        [row] = challenges(session)
        assert (row.recipient, row.state, row.attempts, row.max_attempts) == (
            ON_FILE,
            "pending",
            0,
            3,
        )
        stored = json.dumps(
            [getattr(row, c.key) for c in VerificationChallenge.__table__.columns], default=str
        )
        assert code not in stored and token not in stored
        expected = hmac.new(bytes.fromhex(row.code_salt), code.encode(), hashlib.sha256)
        assert row.code_hash == expected.hexdigest()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.created_at == app.clock()
        assert row.expires_at - row.created_at == timedelta(days=7)
        draft = session.get(Draft, row.draft_id)
        assert draft is not None and draft.kind == "verification_request"
        assert draft.recipient == ON_FILE and CODE_PLACEHOLDER not in draft.body_text
        assert f"{code[:3]} {code[3:]}" in draft.body_text
        assert f"https://triage.clmaster.eu/verify/{token}" in draft.body_text
        case = case_of(session, reference)
        assert case.status == "awaiting_verification"
        [requested] = [e for e in case.events if e.kind == "verification_requested"]
        assert requested.actor == STAFF and requested.details["to_on_file_address"] is True
        events = json.dumps([e.details for e in session.scalars(select(CaseEvent))])
        assert code not in events and token not in events


def test_a_new_challenge_supersedes_the_old_code(app: AppContext, tmp_path: Path) -> None:
    """GIVEN an issued challenge WHEN a second one is issued THEN the first is superseded with a
    fresh salt, its letter is replaced, and its code now only counts as a wrong attempt."""
    reference = open_case(app, tmp_path)
    with transaction(app.sessions) as session:
        old_code, _ = issue_challenge(session, app, case_of(session, reference))
        new_code, _ = issue_challenge(session, app, case_of(session, reference))
    with transaction(app.sessions) as session:
        first, second = challenges(session)
        assert (first.state, second.state) == ("superseded", "pending")
        assert first.code_salt != second.code_salt and first.draft_id != second.draft_id
        assert session.get(Draft, first.draft_id).state == "rejected"  # type: ignore[union-attr]
        assert session.get(Draft, second.draft_id).recipient == ON_FILE  # type: ignore[union-attr]
        case = case_of(session, reference)
        assert old_code != new_code  # a 1 in 10^8 coincidence
        assert not check_reply_for_code(session, app, case, old_code, sender=ON_FILE)
        assert second.attempts == 1 and case.identity == "unverified"
        assert check_reply_for_code(session, app, case, new_code, sender=ON_FILE)
        assert case.identity == "verified" and case.status == "in_progress"


def test_a_reply_may_carry_the_link_but_not_an_unmarked_copy_of_our_letter(
    app: AppContext, tmp_path: Path
) -> None:
    """GIVEN an issued challenge WHEN the owner of the address answers with our letter pasted
    unmarked into their own text THEN the code in it does not verify and costs no attempt;
    WHEN a reply's own text carries the link THEN the case is verified through it."""
    configure(app, web={"base_url": "https://triage.clmaster.eu"})
    reference = open_case(app, tmp_path)
    with transaction(app.sessions) as session:
        case = case_of(session, reference)
        _, token = issue_challenge(session, app, case)
        letter = session.scalars(select(Draft).where(Draft.kind == "verification_request"))
        pasted = "Nem én kértem!\n\n" + letter.one().body_text
        assert not check_reply_for_code(session, app, case, pasted, sender=ON_FILE)
        [challenge] = challenges(session)
        assert (challenge.attempts, challenge.state, case.identity) == (0, "pending", "unverified")
        other = "https://triage.clmaster.eu/verify/" + "A" * 43
        assert not check_reply_for_code(session, app, case, other, sender=ON_FILE)
        link = f"Megerősítem:\nhttps://triage.clmaster.eu/verify/{token}\n"
        assert check_reply_for_code(session, app, case, link, sender=ON_FILE)
        assert case.identity == "verified" and challenge.completed_via == "link"
        reasons = [e.details["reason"] for e in case.events if e.kind == "verification_failed"]
    assert reasons == [
        "the reply's own text holds our letter (an unmarked quote): for staff to read",
        "the link is not this challenge's",
    ]


def test_code_goes_nowhere_but_on_file(app: AppContext, tmp_path: Path) -> None:
    """GIVEN a verification draft staff re-addressed to the Reply-To address, and a request from
    a stranger WHEN a challenge is issued THEN both are refused and nothing is stored; and a
    letter re-addressed after its code was filled in makes neither its code nor its link work."""
    reference = open_case(app, tmp_path, headers={"Reply-To": "masik@example.net"})
    with transaction(app.sessions) as session:
        case = case_of(session, reference)
        draft = session.scalars(select(Draft).where(Draft.kind == "verification_request")).one()
        edit_draft(session, app, draft.id, STAFF, recipient="masik@example.net")
        with pytest.raises(WorkflowError, match="only to an address on file"):
            issue_challenge(session, app, case)
        assert challenges(session) == []
        edit_draft(session, app, draft.id, STAFF, recipient=ON_FILE)
        code, token = issue_challenge(session, app, case)
        edit_draft(session, app, draft.id, STAFF, recipient="masik@example.net")
        assert not check_reply_for_code(session, app, case, code, sender=ON_FILE)
    assert redeem_link(app, token) == RedeemResult(False, "invalid", None)
    with app.sessions() as session:
        [challenge] = challenges(session)
        assert (challenge.state, challenge.attempts) == ("pending", 0)
        assert case_of(session, reference).identity == "unverified"
        reasons = {
            e.details["reason"]
            for e in session.scalars(
                select(CaseEvent).where(CaseEvent.kind == "verification_failed")
            )
        }
        assert reasons == {
            "the letter with the code was re-addressed away from the address on file"
        }
    store_raw(
        app,
        build_message(sender="Ismeretlen <nobody@example.org>", subject="Másik", body=REQUEST),
        "smtp",
    )
    Processor(app).run_pending()
    with transaction(app.sessions) as session:
        stranger = session.scalars(select(Case).where(Case.customer_id.is_(None))).one()
        with pytest.raises(WorkflowError, match="no matched customer"):
            issue_challenge(session, app, stranger)
        assert [c.case_id for c in challenges(session)] == [case.id]


def test_link_redemption_verifies_once_and_redrafts(app: AppContext, tmp_path: Path) -> None:
    """GIVEN an issued challenge WHEN its link is redeemed THEN the case is verified and audited
    as done by the requester through the link, the unsent request is withdrawn and the reply is
    drafted; redeeming again says already verified, and an unknown token reveals nothing."""
    reference = open_case(app, tmp_path)
    with transaction(app.sessions) as session:
        _, token = issue_challenge(session, app, case_of(session, reference))
    result = redeem_link(app, token)
    assert (result.ok, result.outcome, result.reference) == (True, "verified", reference)
    with app.sessions() as session:
        case = case_of(session, reference)
        assert case.identity == "verified" and case.status == "in_progress"
        [verified] = [e for e in case.events if e.kind == "verified"]
        assert (verified.actor, verified.details["via"]) == ("requester", "link")
        kinds = {d.kind: d.state for d in session.scalars(select(Draft))}
        assert kinds == {"verification_request": "rejected", "reply": "draft"}
    again = redeem_link(app, token)
    assert (again.ok, again.outcome) == (True, "already_verified")
    for bogus in ("", "x" * 300, "not-a-token"):
        assert redeem_link(app, bogus) == RedeemResult(False, "invalid", None)


def test_expired_or_locked_challenges_refuse_the_link(
    app: AppContext, tmp_path: Path, clock: FixedClock
) -> None:
    """GIVEN one challenge locked by wrong codes and, on a fresh issue, one left to expire WHEN
    their links are redeemed THEN both are refused and the case stays unverified."""
    configure(app, verification={"max_attempts": 2})
    reference = open_case(app, tmp_path)
    with transaction(app.sessions) as session:
        case = case_of(session, reference)
        code, token = issue_challenge(session, app, case)
        wrong = f"{(int(code) + 1) % 10**8:08d}, {(int(code) + 2) % 10**8:08d}"
        assert not check_reply_for_code(session, app, case, wrong, sender=ON_FILE)
    assert redeem_link(app, token).outcome == "locked"
    with transaction(app.sessions) as session:
        _, token = issue_challenge(session, app, case_of(session, reference))
    clock.advance(days=7, seconds=1)
    result = redeem_link(app, token)
    assert (result.ok, result.outcome, result.reference) == (False, "expired", None)
    with app.sessions() as session:
        assert case_of(session, reference).identity == "unverified"
        assert [c.state for c in challenges(session)] == ["locked", "expired"]


def test_case_shows_verification_and_whether_the_clock_is_paused(
    app: AppContext, tmp_path: Path, clock: FixedClock
) -> None:
    """GIVEN a case WHEN shown before, during and after its challenge, with the pause policy on
    THEN `verification` gives requested_at, completed_at, state and clock_paused (only while
    pending, and only with the policy on)."""
    reference = open_case(app, tmp_path)
    configure(app, deadlines={"pause_clock_during_verification": True})

    def shown() -> dict[str, Any]:
        with app.sessions() as session:
            today = clock.now.date()
            return show_case(session, reference, today, calendar_for(app), app=app)["verification"]

    assert shown() == {
        "requested_at": None,
        "completed_at": None,
        "state": "not_requested",
        "clock_paused": False,
    }
    with transaction(app.sessions) as session:
        code, _ = issue_challenge(session, app, case_of(session, reference))
    requested = clock.now.isoformat()
    assert shown() == {
        "requested_at": requested,
        "completed_at": None,
        "state": "pending",
        "clock_paused": True,
    }
    configure(app, deadlines={"pause_clock_during_verification": False})
    assert shown()["clock_paused"] is False
    with app.sessions() as session:
        case = case_of(session, reference)
        later = clock.now.replace(year=clock.now.year + 1)
        assert verification_status(session, case, now=later, pause_clock=True)["state"] == "expired"
        assert verification_status(session, case)["clock_paused"] is False
    clock.advance(hours=2)
    with transaction(app.sessions) as session:
        assert check_reply_for_code(
            session, app, case_of(session, reference), code, sender=ON_FILE.upper()
        )
    assert shown() == {
        "requested_at": requested,
        "completed_at": clock.now.isoformat(),
        "state": "completed",
        "clock_paused": False,
    }


def test_extension_drafts_the_notice_at_once(app: AppContext, tmp_path: Path) -> None:
    """GIVEN an open case WHEN staff extend it with a reason THEN the extension notice to the
    requester is drafted in the same step, with the reason, for approval."""
    reference = open_case(app, tmp_path)
    with transaction(app.sessions) as session:
        actions.extend(session, app, case_of(session, reference), "sok rendszer átnézése", STAFF)
    with app.sessions() as session:
        [notice] = session.scalars(select(Draft).where(Draft.kind == "extension_notice"))
        assert (notice.state, notice.recipient) == ("draft", ON_FILE)
        assert "sok rendszer átnézése" in notice.body_text
        case = case_of(session, reference)
        assert [e.kind for e in case.events][-2:] == ["extended", "drafted"]


def test_migration_matches_the_challenge_model(app: AppContext) -> None:
    """GIVEN a migrated database WHEN compared with the models THEN the challenge table agrees."""
    with app.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "verification_challenges" in repr(d)] == []


def test_verification_settings_have_defaults_and_are_checked() -> None:
    """GIVEN no settings, then bad ones WHEN loaded THEN 8 digits, 7 days and 5 attempts by
    default, overridable by environment, and nonsense is refused by its key's name."""
    defaults = load_settings(environ={}).verification
    assert (defaults.code_length, defaults.expiry_days, defaults.max_attempts) == (8, 7, 5)
    changed = load_settings(environ={"INBOX_TRIAGE_VERIFICATION_EXPIRY_DAYS": "3"})
    assert changed.verification.expiry_days == 3
    for name, value in (("CODE_LENGTH", "4"), ("EXPIRY_DAYS", "0"), ("MAX_ATTEMPTS", "0")):
        with pytest.raises(ConfigError, match=f"verification.{name.lower()}"):
            load_settings(environ={f"INBOX_TRIAGE_VERIFICATION_{name}": value})


def test_the_pipeline_issues_a_challenge_to_the_on_file_address(
    app: AppContext, tmp_path: Path
) -> None:
    """GIVEN automatic issuing (the default) WHEN an unauthenticated request from the on-file
    address is processed THEN one pending challenge exists and the verification request
    addressed to that address carries a code instead of the placeholder."""
    configure(app, verification={"issue_automatically": True})
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([COLUMNS, CUSTOMER])
    with transaction(app.sessions) as session:
        import_customers(session, path, now=app.clock())
    store_raw(app, build_message(sender=f"Szabó Éva <{ON_FILE}>", body=REQUEST), "smtp")
    Processor(app).run_pending()
    with app.sessions() as session:
        [row] = challenges(session)
        assert row.state == "pending" and row.recipient == ON_FILE
        draft = session.get(Draft, row.draft_id)
        assert draft is not None and draft.recipient == ON_FILE
        assert CODE_PLACEHOLDER not in draft.body_text
        case = session.scalars(select(Case)).one()
        assert case.status == "awaiting_verification"
