"""Drafts on the case page over real HTTP: shown, edited, approved, sent, rejected, redrafted."""

from __future__ import annotations

import csv
import dataclasses
import re

from inbox_triage.cases.audit import verify_chains
from inbox_triage.customers.csv_io import COLUMNS, import_customers
from inbox_triage.db.session import transaction
from inbox_triage.drafting.compose import CODE_PLACEHOLDER

STAFF = "anna.staff@clmaster.eu"
OTHER_STAFF = "bela.staff@clmaster.eu"


def _draft_id(web, reference: str) -> int:
    drafts = web.drafts(reference)
    assert len(drafts) == 1 and drafts[0].state == "draft"
    return drafts[0].id


def test_case_page_shows_each_draft_with_kind_language_recipient_state_and_note(web) -> None:
    """GIVEN a request from someone who is no customer WHEN the case page is opened THEN the
    neutral acknowledgement is shown with its facts, the disclosure note and its forms."""
    reference = web.make_case()
    draft_id = _draft_id(web, reference)
    page = web.signed_in().get(f"/cases/{reference}")
    assert page.status_code == 200
    section = page.text[page.text.index('<section id="drafts"') :]
    section = section[: section.index("</section>")]
    assert f'id="draft-{draft_id}" data-state="draft"' in section
    assert "Semleges visszaigazolás" in section and "Vázlat" in section
    assert "magyar" in section and "janos.kovacs@example.hu" in section
    assert "A teljes válasz helyett ez a levél készült, mert" in section
    assert "a kérelmező egyetlen ügyfelünkkel sem azonosítható." in section
    for action in ("edit", "approve", "reject"):
        assert f'action="/drafts/{draft_id}/{action}"' in section
    assert f'action="/cases/{reference}/drafts/regenerate"' in section
    assert section.count('name="csrf_token"') == 4


def test_edit_then_approve_puts_the_letter_in_the_outbox(web) -> None:
    """GIVEN an open draft WHEN staff edit it in place and approve it THEN the edited text is
    stored (LF line ends, audited with their address) and one outbox row is queued."""
    reference = web.make_case()
    draft_id = _draft_id(web, reference)
    client = web.signed_in()
    page = f"/cases/{reference}"
    edited = web.post_form(
        client,
        page,
        f"/drafts/{draft_id}/edit",
        {"subject": "Kérelmét megkaptuk", "body_text": "Tisztelt Kovács úr!\r\n\r\nÜdvözlettel"},
    )
    assert edited.status_code == 303
    assert edited.headers["location"] == f"/cases/{reference}#draft-{draft_id}"
    draft = web.drafts(reference)[0]
    assert (draft.subject, draft.body_text) == (
        "Kérelmét megkaptuk",
        "Tisztelt Kovács úr!\n\nÜdvözlettel",
    )
    assert draft.edited_by == STAFF

    approved = web.post_form(client, page, f"/drafts/{draft_id}/approve", {})
    assert approved.status_code == 303
    [row] = web.outbox()
    assert (row.draft_id, row.state, row.subject) == (draft_id, "queued", "Kérelmét megkaptuk")
    shown = client.get(page).text
    assert 'data-state="approved"' in shown and "Jóváhagyva" in shown
    assert f"Jóváhagyta: {STAFF}" in shown
    assert f'href="/outbox#outbox-{row.id}" class="outbox-state queued">Küldésre vár' in shown

    again = web.post_form(client, page, f"/drafts/{draft_id}/approve", {})
    assert again.status_code == 409 and "A művelet nem hajtható végre" in again.text
    assert len(web.outbox()) == 1
    events = [event.kind for event in web.case(reference).events]
    assert events[-2:] == ["edited", "approved"]
    with web.app.sessions() as session:
        assert verify_chains(session) == []


def test_sent_and_failed_sending_show_on_the_case_page(web) -> None:
    """GIVEN two approved drafts WHEN the relay takes one and refuses the other THEN each case
    page shows its outbox row as sent or failed, with the relay's error."""
    sent_case = web.make_case()
    failed_case = web.make_case(sender="Szabó Éva <szabo.eva@example.hu>", subject="Törlés")
    client = web.signed_in()
    sent_id = _draft_id(web, sent_case)
    web.post_form(client, f"/cases/{sent_case}", f"/drafts/{sent_id}/approve", {})
    sink = web.send_outbox()
    assert [m.rcpt_tos for m in sink.messages] == [["janos.kovacs@example.hu"]]
    failed_id = _draft_id(web, failed_case)
    web.post_form(client, f"/cases/{failed_case}", f"/drafts/{failed_id}/approve", {})
    web.send_outbox(mode="550")

    sent_page = client.get(f"/cases/{sent_case}").text
    assert 'data-state="sent"' in sent_page and 'class="outbox-state sent">Elküldve' in sent_page
    failed_page = client.get(f"/cases/{failed_case}").text
    assert 'class="outbox-state failed">Sikertelen' in failed_page
    assert "SMTP 550" in failed_page


def test_reject_needs_a_reason_and_regenerate_drafts_a_new_letter(web) -> None:
    """GIVEN an open draft WHEN rejected without a reason THEN 400 and nothing changes; WHEN
    rejected with one THEN it is closed with the reason shown; regenerate drafts it anew."""
    reference = web.make_case()
    draft_id = _draft_id(web, reference)
    client = web.signed_in()
    page = f"/cases/{reference}"
    refused = web.post_form(client, page, f"/drafts/{draft_id}/reject", {"reason": "  "})
    assert refused.status_code == 400 and "Kérjük, adja meg az indoklást." in refused.text
    assert web.drafts(reference)[0].state == "draft"

    rejected = web.post_form(
        client, page, f"/drafts/{draft_id}/reject", {"reason": "Telefonon már válaszoltunk."}
    )
    assert rejected.status_code == 303
    shown = client.get(page).text
    assert 'data-state="rejected"' in shown
    assert "Elutasítva: Telefonon már válaszoltunk." in shown
    assert f'action="/drafts/{draft_id}/approve"' not in shown

    redrafted = web.post_form(client, page, f"/cases/{reference}/drafts/regenerate", {})
    assert redrafted.status_code == 303
    drafts = web.drafts(reference)
    assert [d.state for d in drafts] == ["rejected", "draft"]
    assert f'action="/drafts/{drafts[1].id}/approve"' in client.get(page).text


def test_bad_draft_input_is_refused_without_change(web) -> None:
    """GIVEN a draft WHEN saved with an empty subject, or an unknown draft is approved THEN
    400 and 404, and the draft is as it was."""
    reference = web.make_case()
    draft_id = _draft_id(web, reference)
    before = web.drafts(reference)[0]
    client = web.signed_in()
    page = f"/cases/{reference}"
    empty = web.post_form(
        client, page, f"/drafts/{draft_id}/edit", {"subject": " ", "body_text": "x"}
    )
    assert empty.status_code == 400 and "A tárgy és a szöveg nem lehet üres." in empty.text
    assert web.post_form(client, page, "/drafts/99999/approve", {}).status_code == 404
    after = web.drafts(reference)[0]
    assert (after.subject, after.body_text, after.edited_at) == (
        before.subject,
        before.body_text,
        None,
    )


def test_drafts_speak_english_to_an_english_user(web) -> None:
    """GIVEN a staff member who chose English WHEN the case page is opened THEN the drafts
    section is in English too."""
    reference = web.make_case()
    page = web.signed_in(OTHER_STAFF).get(f"/cases/{reference}").text
    assert "Neutral acknowledgement" in page and "Approve and send" in page
    assert (
        "This letter replaces the full reply because\nthe requester matches none of our "
        "customers." in page
    )
    assert "Regenerate drafts" in page and "Hungarian" in page


def _customer_on_file(web, tmp_path) -> None:
    """Kovács János on file with the address the test requests come from."""
    path = tmp_path / "customers.csv"
    row = ["CM-1", "Kovács János", "janos.kovacs@example.hu", "+36 30 123 4567"] + [""] * 8
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([COLUMNS, row])
    with transaction(web.app.sessions) as session:
        import_customers(session, path, now=web.app.clock())


def test_a_verification_request_gets_its_one_time_code_before_approval(web, tmp_path) -> None:
    """GIVEN an unverified customer writing from the address on file, and codes not issued
    automatically WHEN the verification request is approved before its code is in THEN 409;
    WHEN staff insert the code THEN the letter carries it, the case awaits verification, and
    approval queues it."""
    _customer_on_file(web, tmp_path)
    manual = dataclasses.replace(web.app.settings.verification, issue_automatically=False)
    web.app.settings = dataclasses.replace(web.app.settings, verification=manual)
    reference = web.make_case()
    [draft] = web.drafts(reference)
    assert draft.kind == "verification_request"
    client = web.signed_in()
    page = f"/cases/{reference}"
    shown = client.get(page).text
    assert f'action="/drafts/{draft.id}/code"' in shown and "Egyszeri kód beillesztése" in shown
    early = web.post_form(client, page, f"/drafts/{draft.id}/approve", {})
    assert early.status_code == 409 and web.outbox() == []

    assert web.post_form(client, page, f"/drafts/{draft.id}/code", {}).status_code == 303
    [filled] = web.drafts(reference)
    assert CODE_PLACEHOLDER not in filled.body_text
    assert re.search(r"\b\d{4} \d{4}\b", filled.body_text), filled.body_text
    assert web.case(reference).status == "awaiting_verification"
    assert f'action="/drafts/{draft.id}/code"' not in client.get(page).text
    assert web.post_form(client, page, f"/drafts/{draft.id}/approve", {}).status_code == 303
    assert [row.state for row in web.outbox()] == ["queued"]
