"""The outbox page over real HTTP: rows with state, case, attempts and error; requeue, confirm."""

from __future__ import annotations

import re

STAFF = "anna.staff@clmaster.eu"
_ROW = re.compile(r'<tr id="outbox-(\d+)" data-outbox="\d+" data-state="(\w+)"')


def _approved_case(web, client, sender: str = "Kovács János <janos.kovacs@example.hu>") -> str:
    """A case whose only draft staff approved through the case page."""
    reference = web.make_case(sender=sender)
    [draft] = web.drafts(reference)
    response = web.post_form(client, f"/cases/{reference}", f"/drafts/{draft.id}/approve", {})
    assert response.status_code == 303
    return reference


def _rows(html: str) -> list[tuple[int, str]]:
    return [(int(row_id), state) for row_id, state in _ROW.findall(html)]


def test_outbox_lists_failed_first_with_case_attempts_and_error(web) -> None:
    """GIVEN one message refused by the relay and one queued WHEN the outbox is opened THEN
    the failed one comes first, with its case link, attempt count and the relay's error."""
    client = web.signed_in()
    failed_case = _approved_case(web, client)
    web.send_outbox(mode="550")
    queued_case = _approved_case(web, client, sender="Szabó Éva <szabo.eva@example.hu>")
    failed, queued = web.outbox()

    page = client.get("/outbox")
    assert page.status_code == 200 and "<h1>Kimenő levelek</h1>" in page.text
    assert _rows(page.text) == [(failed.id, "failed"), (queued.id, "queued")]
    row = page.text[page.text.index(f'id="outbox-{failed.id}"') :]
    row = row[: row.index("</tr>")]
    assert f'href="/cases/{failed_case}#draft-{failed.draft_id}"' in row
    assert "<td>1</td>" in row and "SMTP 550" in row and "Sikertelen" in row
    assert f'action="/outbox/{failed.id}/requeue"' in row
    assert f'action="/outbox/{failed.id}/confirm"' not in row
    assert queued_case in page.text

    only_failed = client.get("/outbox", params={"state": "failed"})
    assert _rows(only_failed.text) == [(failed.id, "failed")]
    assert "Sikertelen (1)" in only_failed.text and "Küldésre vár (1)" in only_failed.text
    assert client.get("/outbox", params={"state": "bogus"}).status_code == 400


def test_uncertain_messages_are_confirmed_or_requeued_by_staff(web) -> None:
    """GIVEN two messages the relay took without answering (uncertain) WHEN staff confirm one
    and requeue the other THEN sent (draft too) and queued from attempt 0, both audited."""
    client = web.signed_in()
    first = _approved_case(web, client)
    second = _approved_case(web, client, sender="Szabó Éva <szabo.eva@example.hu>")
    web.send_outbox(mode="drop")
    one, two = web.outbox()
    assert (one.state, two.state) == ("uncertain", "uncertain")
    page = client.get("/outbox").text
    assert f'action="/outbox/{one.id}/confirm"' in page and "Megérkezett, rendben" in page
    assert f'action="/outbox/{two.id}/requeue"' in page and "Újraküldés" in page

    confirmed = web.post_form(client, "/outbox", f"/outbox/{one.id}/confirm", {})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/outbox#outbox-{one.id}"
    requeued = web.post_form(client, "/outbox", f"/outbox/{two.id}/requeue", {})
    assert requeued.status_code == 303
    one, two = web.outbox()
    assert (one.state, two.state, two.attempts) == ("sent", "queued", 0)
    assert web.drafts(first)[0].state == "sent"
    assert web.case(first).events[-1].actor == STAFF
    assert web.case(second).events[-1].kind == "requeued"

    again = web.post_form(client, "/outbox", f"/outbox/{one.id}/confirm", {})
    assert again.status_code == 409 and "A művelet nem hajtható végre" in again.text
    assert web.post_form(client, "/outbox", "/outbox/99999/requeue", {}).status_code == 404
