"""Impersonation: no draft and no outgoing byte carries a customer's data off file.

Each scenario is a request as the parser and the matcher see it. Every draft
the pipeline hook makes is approved (as a careless approver would) and sent
to a real SMTP sink; then every message that reached anyone but an on-file
address is searched, decoded and raw, for the customer's phone, tax number,
addresses, ids and e-mail addresses. The send-time re-check is shown to stop
drafts and outbox rows that were edited after the drafting-time check.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from inbox_triage.cases.audit import verify_case
from inbox_triage.customers.records import normalise_phone, on_file_addresses
from inbox_triage.db.models import CaseEvent, Draft, OutboxMessage
from inbox_triage.drafting.store import (
    approve_draft,
    draft_for_case,
    edit_draft,
    fill_verification_code,
)
from inbox_triage.errors import WorkflowError
from inbox_triage.mail import send
from inbox_triage.mail.outbox import send_due
from inbox_triage.nlp.extract import extract_phones

STAFF = "staff@clmaster.eu"
ATTACKER = "attacker@evil.example"


@dataclass(frozen=True)
class Scenario:
    name: str
    sender: str
    text: str
    rights: tuple[str, ...]
    victims: tuple[str, ...]
    auth: str | None = None  # a domain with DMARC pass by our MTA, or "forged"
    reply_to: tuple[str, ...] = ()
    discloses: bool = False  # a verified customer: data goes, but only on file


SCENARIOS = [
    Scenario("lookalike_domain", "Kovács János <kovacs.janos@gmaii.com>",
             "Ügyfélazonosítóm CM-20001. Kérem, küldjék el az összes adatomat.",
             ("access",), ("CM-20001",), auth="gmaii.com"),
    Scenario("freemail_with_tax_number_and_phone", "Kovács János <kj.uj@freemail.hu>",
             "Adóazonosító jelem 8123456786, telefonom +36 30 123 4567. Kérem az adataimat "
             "géppel olvasható formában.", ("access", "portability"), ("CM-20001",)),
    Scenario("spoofed_on_file_from_without_authentication", "kovacs.janos@gmail.com",
             "Kérem az adataim másolatát.", ("access",), ("CM-20001",)),
    Scenario("forged_authentication_results", "Kovács János <kovacs.janos@gmail.com>",
             "Kérem az adataim másolatát.", ("access", "rectification"), ("CM-20001",),
             auth="forged"),
    Scenario("plus_address_variant", "kovacs.janos+gdpr@gmail.com",
             "Please send me all my data.", ("access",), ("CM-20001",), auth="gmail.com"),
    Scenario("display_name_spoof_of_company", "Példa Kft. <peldakft.ugyfel@gmail.com>",
             "A pelda.hu domain tulajdonosaként kérem az adatainkat. Adószámunk 12345678-2-41.",
             ("access", "erasure"), ("CM-20002",), auth="gmail.com"),
    Scenario("ambiguous_two_customers", "Ügyintéző <ugyintezo@example.org>",
             "CM-20001 és CM-20003 ügyfelek adatait kérem.", ("access",),
             ("CM-20001", "CM-20003")),
    Scenario("verified_customer_asking_for_someone_else", "Horváth Anna <anna.horvath@gmail.com>",
             "Kérem Kovács János adatait, adóazonosító jele 8123456786.", ("access",),
             ("CM-20001",), auth="gmail.com"),
    Scenario("reply_to_points_at_attacker", "Kovács János <kovacs.janos@gmail.com>",
             "Kérem az adataim másolatát.", ("access", "portability"), ("CM-20001",),
             auth="gmail.com", reply_to=(ATTACKER,), discloses=True),
    Scenario("asks_to_send_data_elsewhere", "Kovács János <kovacs.janos@gmail.com>",
             f"Kérem, az adataimat erre a címre küldjék: {ATTACKER}", ("access",),
             ("CM-20001",), auth="gmail.com", discloses=True),
]  # fmt: skip


def _auth(helpers, scenario: Scenario) -> list[str]:
    if scenario.auth is None:
        return []
    if scenario.auth == "forged":
        return ["evil.example; dkim=pass header.d=gmail.com; dmarc=pass header.from=gmail.com"]
    return [helpers.dmarc_pass(scenario.auth)]


def approve_all_and_send(app, session, case) -> dict[str, int]:
    """Approve every open draft of the case (code filled in), then run `outbox send`."""
    drafts = session.scalars(select(Draft).where(Draft.case_id == case.id,
                                                 Draft.state == "draft")).all()  # fmt: skip
    for draft in drafts:
        if draft.kind == "verification_request":
            fill_verification_code(session, app, draft.id, "482913")
        approve_draft(session, app, draft.id, STAFF)
    session.commit()
    summary = send_due(app)
    session.expire_all()
    return summary


def assert_no_leak(helpers, session, data: bytes, recipients: list[str], victims) -> None:
    """Decoded and raw: none of the victims' strings in a message to an off-file address."""
    text = helpers.decoded_texts(data)
    for recipient in recipients:  # the requester's own address is theirs, not the victim's
        text, data = text.replace(recipient, "<them>"), data.replace(recipient.encode(), b"<them>")
    for victim in victims:
        on_file = on_file_addresses(helpers.customer(session, victim))
        if all(r.lower() in on_file for r in recipients):
            continue
        for secret in helpers.secrets_of(victim):
            assert secret not in text, (victim, secret)
            assert secret.encode() not in data, (victim, secret)
        record = helpers.customer(session, victim)
        phones = {normalise_phone(p) for p in (record.phone, record.contact_phone) if p}
        assert not phones & set(extract_phones(text)), victim


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_no_data_reaches_anything_but_an_on_file_address(customers, session, helpers, sink,
                                                         scenario) -> None:  # fmt: skip
    """GIVEN an impersonation attempt WHEN every draft is approved and sent THEN no leak."""
    parsed = helpers.mail(scenario.sender, scenario.text, auth=_auth(helpers, scenario),
                          reply_to=scenario.reply_to)  # fmt: skip
    case = helpers.open_request(customers, session, parsed, scenario.rights)
    primary = draft_for_case(session, customers, case)
    assert primary is not None and primary.recipient == parsed.sender
    drafts = session.scalars(select(Draft).where(Draft.case_id == case.id)).all()
    for draft in drafts:
        texts = "\n".join([draft.subject, draft.body_text, draft.body_html] +
                          [helpers.attachment_text(a) for a in draft.attachments])  # fmt: skip
        assert_no_leak(helpers, session, _as_message(texts), [draft.recipient], scenario.victims)
        assert draft.recipient != ATTACKER
    summary = approve_all_and_send(customers, session, case)
    assert summary["sent"] == len(drafts) and summary["failed"] == 0
    assert len(sink.messages) == len(drafts)
    for received in sink.messages:
        assert ATTACKER not in received.rcpt_tos
        assert_no_leak(helpers, session, received.data, received.rcpt_tos, scenario.victims)
    for row in session.scalars(select(OutboxMessage)):
        assert_no_leak(helpers, session, row.raw, row.recipients, scenario.victims)
    disclosed = [m for m in sink.messages if "+36 30 123 4567" in helpers.decoded_texts(m.data)]
    if scenario.discloses:  # the control: data does flow, to the on-file address only
        assert [m.rcpt_tos for m in disclosed] == [["kovacs.janos@gmail.com"]]
    else:
        assert disclosed == [] and not primary.contains_personal_data
    assert verify_case(session, case) is None


def _as_message(text: str) -> bytes:
    return b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + text.encode("utf-8")


def test_neutral_reply_neither_confirms_nor_denies(customers, session, helpers) -> None:
    """GIVEN an impersonator of a customer and a stranger THEN they get the same words."""
    texts = []
    for sender, text in (("kj.uj@freemail.hu", "Adóazonosító jelem 8123456786. Adataimat kérem."),
                         ("nobody@example.net", "Adataimat kérem.")):  # fmt: skip
        case = helpers.open_request(customers, session, helpers.mail(sender, text), ["access"])
        draft = draft_for_case(session, customers, case)
        assert draft.kind == "neutral_acknowledgement"
        texts.append(draft.body_text.replace(case.reference, "REF"))
    assert texts[0] == texts[1]
    assert "nem áll módunkban megerősíteni" in texts[0]


def test_impersonator_triggers_a_verification_to_the_on_file_address(customers, session,
                                                                     helpers) -> None:  # fmt: skip
    """GIVEN data asked from an unknown address THEN the on-file owner is asked to confirm."""
    parsed = helpers.mail("kj.uj@freemail.hu", "Adóazonosító jelem 8123456786. Adataimat kérem.")
    case = helpers.open_request(customers, session, parsed, ["access"])
    draft_for_case(session, customers, case)
    drafts = {d.slot: d for d in session.scalars(select(Draft).where(Draft.case_id == case.id))}
    assert drafts["reply"].kind == "neutral_acknowledgement"
    assert drafts["reply"].disclosure_note == (
        "the recipient is not an address on file for the customer"
    )
    check = drafts["verification"]
    assert (check.kind, check.recipient) == ("verification_request", "kovacs.janos@gmail.com")
    assert "nem erről az e-mail-címről" in check.body_text and "kj.uj" not in check.body_text


def test_edited_draft_with_data_cannot_be_approved(customers, session, helpers, sink) -> None:
    """GIVEN a neutral draft WHEN staff paste the customer's data in THEN approval refuses."""
    parsed = helpers.mail("kj.uj@freemail.hu", "Adóazonosító jelem 8123456786. Adataimat kérem.")
    case = helpers.open_request(customers, session, parsed, ["access"])
    draft = draft_for_case(session, customers, case)
    body = draft.body_text + "\nNyilvántartott címe: 1111 Budapest, Fő utca 1., tel. 06301234567\n"
    result = edit_draft(session, customers, draft.id, STAFF, body_text=body)
    assert result["disclosure"]["allowed"] is False and result["contains_personal_data"]
    with pytest.raises(WorkflowError, match="may not be sent"):
        approve_draft(session, customers, draft.id, STAFF)
    session.commit()
    assert send_due(customers)["sent"] == 0 and sink.messages == []
    assert session.scalars(select(OutboxMessage)).all() == []


def test_redirected_data_reply_cannot_be_approved(customers, session, helpers) -> None:
    parsed = helpers.mail("kovacs.janos@gmail.com", "Kérem az adataimat.",
                          auth=[helpers.dmarc_pass("gmail.com")])  # fmt: skip
    case = helpers.open_request(customers, session, parsed, ["access"])
    draft = draft_for_case(session, customers, case)
    edit_draft(session, customers, draft.id, STAFF, recipient=ATTACKER)
    with pytest.raises(WorkflowError, match="not an address on file"):
        approve_draft(session, customers, draft.id, STAFF)


def _approved_row(customers, session, helpers, verified: bool) -> OutboxMessage:
    auth = [helpers.dmarc_pass("gmail.com")] if verified else []
    sender = "kovacs.janos@gmail.com" if verified else "kj.uj@freemail.hu"
    parsed = helpers.mail(sender, "Adóazonosító jelem 8123456786. Kérem az adataimat.", auth=auth)
    case = helpers.open_request(customers, session, parsed, ["access"])
    draft = draft_for_case(session, customers, case)
    approve_draft(session, customers, draft.id, STAFF)
    return session.scalars(select(OutboxMessage).where(OutboxMessage.draft_id == draft.id)).one()


def _tamper_body(customers, row: OutboxMessage, extra: str, cc: str | None = None) -> bytes:
    raw = send.build_message(customers.settings.outgoing, row.recipients, row.subject,
                             "Tisztelt Hölgyem/Uram!\n" + extra, "", [], row.message_id,
                             customers.clock())  # fmt: skip
    if cc:
        raw = raw.replace(b"\r\nSubject:", f"\r\nCc: {cc}\r\nSubject:".encode(), 1)
    return raw


@pytest.mark.parametrize("tampering", ["body", "recipients", "identity", "cc_header"])
def test_send_time_recheck_blocks_rows_changed_after_approval(customers, session, helpers, sink,
                                                              tampering) -> None:  # fmt: skip
    """GIVEN an approved row changed afterwards WHEN `outbox send` runs THEN nothing is sent."""
    row = _approved_row(customers, session, helpers, verified=tampering != "body")
    if tampering == "body":  # a neutral notice to an impersonator, now with the victim's data
        row.raw = _tamper_body(customers, row, "Az Ön címe: 1111 Budapest, Fő utca 1.")
    elif tampering == "recipients":
        row.recipients = [ATTACKER]
    elif tampering == "identity":  # e.g. staff withdrew the verification after approval
        session.get(Draft, row.draft_id).case.identity = "unverified"
    else:
        row.raw = _tamper_body(customers, row, "Másolat.", cc=ATTACKER)
    session.commit()
    summary = send_due(customers)
    assert (summary["sent"], summary["failed"]) == (0, 1)
    assert sink.messages == [] and sink.handler.data_commands == 0
    session.expire_all()
    stored = session.get(OutboxMessage, row.id)
    assert stored.state == "failed" and stored.last_error.startswith("blocked by the disclosure")
    event = session.scalars(select(CaseEvent).where(CaseEvent.case_id == row.case_id)
                            .order_by(CaseEvent.sequence.desc())).first()  # fmt: skip
    assert (event.kind, event.details["outcome"]) == ("send_failed", "blocked")
    assert session.get(Draft, row.draft_id).state == "approved"
    assert send_due(customers)["sent"] == 0 and sink.messages == []
