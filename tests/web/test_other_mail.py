"""Other mail: messages that opened no case, and opening one as a case by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from support.mail import build_message

from inbox_triage.db.models import Case, Message
from inbox_triage.db.session import transaction
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor

SUPPORT = "Sziasztok!\n\nA webmail nem enged belépni, elfelejtettem a jelszavam. Segítenétek?\n"


def _other_message(web, needs_review: bool = True) -> int:
    """A support question stored on 2 Feb 2026, kept as other mail."""
    saved = web.clock.now
    web.clock.now = datetime(2026, 2, 2, 9, tzinfo=UTC)
    stored = store_raw(
        web.app,
        build_message(subject="belépés", body=SUPPORT, sender="Szabó Éva <szabo.eva@example.hu>"),
        "smtp",
    )
    web.clock.now = saved
    Processor(web.app).process(stored.id)
    with transaction(web.app.sessions) as session:
        message = session.get(Message, stored.id)
        assert message is not None and message.kind == "other" and message.case_id is None
        message.needs_review = needs_review
    return stored.id


def test_other_mail_lists_messages_needing_review(web) -> None:
    """GIVEN one unsure and one plain other message WHEN listed THEN the unsure one by default."""
    unsure = _other_message(web)
    client = web.signed_in()
    page = client.get("/other").text
    assert f'id="message-{unsure}"' in page and "elfelejtettem a jelszavam" in page
    with transaction(web.app.sessions) as session:
        session.get(Message, unsure).needs_review = False
    assert f'id="message-{unsure}"' not in client.get("/other").text
    assert f'id="message-{unsure}"' in client.get("/other", params={"all": "1"}).text


def test_open_as_case_uses_the_rights_staff_chose(web) -> None:
    """GIVEN other mail received 2 Feb WHEN staff open it as an access request THEN a case
    due on the GDPR month from its own receipt (2 March), opened by that staff member."""
    message_id = _other_message(web)
    client = web.signed_in()
    empty = web.post_form(client, "/other", f"/messages/{message_id}/open-case", {})
    assert empty.status_code == 400
    response = web.post_form(
        client, "/other", f"/messages/{message_id}/open-case", {"rights": ["access"]}
    )
    assert response.status_code == 303
    reference = response.headers["location"].rsplit("/", 1)[1]
    case = web.case(reference)
    assert case.rights == ["access"] and case.due == date(2026, 3, 2)
    assert case.events[0].kind == "opened" and case.events[0].actor == "anna.staff@clmaster.eu"
    assert [m.id for m in case.messages] == [message_id]
    with web.app.sessions() as session:
        assert session.get(Message, message_id).kind == "request"
        assert session.scalar(select(Case.id).where(Case.reference == reference))
    again = web.post_form(
        client, "/other", f"/messages/{message_id}/open-case", {"rights": ["access"]}
    )
    assert again.status_code == 409
