"""The case page: messages as text, deadlines, and the staff actions on a case."""

from __future__ import annotations

import re
from datetime import date
from email.message import EmailMessage

STAFF = "anna.staff@clmaster.eu"
OTHER_STAFF = "bela.staff@clmaster.eu"


def _rich_request() -> bytes:
    """A request with an HTML alternative, a script tag, quoted history and an attachment."""
    message = EmailMessage()
    message["From"] = "Kovács János <janos.kovacs@example.hu>"
    message["To"] = "info@clmaster.eu"
    message["Subject"] = "Adataim törlése"
    message["Message-ID"] = "<rich@example.hu>"
    message.set_content(
        "Tisztelt Cloudmaster Kft.!\n\nKérem, hogy töröljék az összes személyes adatomat. "
        "<script>alert(1)</script>\n\n"
        "2026. febr. 1., vasárnap 10:00 Cloudmaster Kft. <info@clmaster.eu> írta:\n"
        "> Korábbi levelünk tartalma\n"
    )
    message.add_alternative("<p>Kérem, hogy <b>töröljék</b> az adataimat.</p>", subtype="html")
    message.add_attachment(
        b"%PDF-1.4 test", maintype="application", subtype="pdf", filename="szemelyi.pdf"
    )
    return message.as_bytes()


def _due_shown(html: str) -> str:
    found = re.search(r'<strong id="due"><time datetime="([\d-]+)"', html)
    assert found, "no binding deadline on the page"
    return found.group(1)


def test_case_page_shows_messages_as_text_and_the_deadlines(web) -> None:
    """GIVEN a rich erasure request WHEN its page is opened THEN new text first, history
    folded, attachment listed, no HTML interpreted, and the binding deadline marked."""
    reference = web.make_case(raw=_rich_request())
    page = web.signed_in().get(f"/cases/{reference}")
    assert page.status_code == 200
    html = page.text
    assert "Kérem, hogy töröljék az összes személyes adatomat." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "<b>töröljék</b>" not in html
    new_text, quoted = html.index("Kérem, hogy töröljék"), html.index("Korábbi levelünk")
    assert new_text < quoted
    assert re.search(
        r"<details class=\"quoted\">\s*<summary>[^<]+</summary>\s*<pre>[^<]*"
        r"Korábbi levelünk",
        html,
    )
    assert "szemelyi.pdf" in html and "application/pdf" in html
    assert _due_shown(html) == "2026-04-01"
    assert re.search(r'<tr class="binding" data-deadline="policy">', html)
    assert 'data-deadline="gdpr"' in html and 'datetime="2026-04-02"' in html
    assert 'data-kind="opened"' in html and 'data-kind="deadline_computed"' in html


def test_correcting_rights_recomputes_the_deadline(web) -> None:
    """GIVEN an erasure case due 1 April WHEN staff correct it to an objection THEN the
    policy's 15 days apply: due 17 March 2026, and the correction is in the timeline."""
    reference = web.make_case()
    client = web.signed_in()
    response = web.post_form(
        client,
        f"/cases/{reference}",
        f"/cases/{reference}/rights",
        {"rights": ["objection"], "reason": "tiltakozik, nem töröltet"},
    )
    assert response.status_code == 303
    case = web.case(reference)
    assert case.rights == ["objection"] and case.due == date(2026, 3, 17)
    assert case.events[-2].kind == "rights_corrected" and case.events[-2].actor == STAFF
    page = client.get(f"/cases/{reference}").text
    assert _due_shown(page) == "2026-03-17"
    assert 'data-kind="rights_corrected"' in page


def test_a_correction_needs_rights_and_a_reason(web) -> None:
    """GIVEN no reason or no right ticked WHEN submitted THEN 400 and nothing changes."""
    reference = web.make_case()
    client = web.signed_in()
    page = f"/cases/{reference}"
    no_reason = web.post_form(client, page, f"{page}/rights", {"rights": ["access"]})
    no_right = web.post_form(client, page, f"{page}/rights", {"reason": "valami"})
    assert no_reason.status_code == no_right.status_code == 400
    assert "Kérjük, adja meg az indoklást." in no_reason.text
    assert web.case(reference).rights == ["erasure"]


def test_extending_shows_the_policy_warning(web) -> None:
    """GIVEN an erasure case (policy: 30 days) WHEN extended THEN due 2 June 2026 and the
    page warns that this is past the privacy policy's date; a second extension is refused."""
    reference = web.make_case()
    client = web.signed_in()
    before = client.get(f"/cases/{reference}").text
    assert "későbbi lesz, mint az adatkezelési tájékoztatóban vállalt" in before
    response = web.post_form(
        client,
        f"/cases/{reference}",
        f"/cases/{reference}/extend",
        {"reason": "Nagy mennyiségű adat összegyűjtése szükséges."},
    )
    assert response.status_code == 303
    case = web.case(reference)
    assert case.extended and case.due == date(2026, 6, 2)
    page = client.get(f"/cases/{reference}").text
    assert 'id="extension-warning"' in page and "2026. 04. 01." in page
    assert _due_shown(page) == "2026-06-02"
    again = web.post_form(
        client, f"/cases/{reference}", f"/cases/{reference}/extend", {"reason": "még egyszer"}
    )
    assert again.status_code == 409 and "already extended" in again.text


def test_assign_and_close(web) -> None:
    """GIVEN a case WHEN assigned to a colleague and closed THEN both are recorded."""
    reference = web.make_case()
    client = web.signed_in()
    page = f"/cases/{reference}"
    assert (
        web.post_form(client, page, f"{page}/assign", {"assignee": OTHER_STAFF}).status_code == 303
    )
    html = client.get(page).text
    assert f'<strong id="assignee">{OTHER_STAFF}</strong>' in html
    assert 'data-kind="assigned"' in html
    unknown = web.post_form(client, page, f"{page}/assign", {"assignee": "x@example.hu"})
    assert unknown.status_code == 400
    assert web.post_form(client, page, f"{page}/close", {"reason": "kész"}).status_code == 303
    case = web.case(reference)
    assert case.status == "closed" and case.events[-1].actor == STAFF


def test_unknown_case_is_404(web) -> None:
    """GIVEN no such case WHEN its page is asked for THEN 404 with a readable page."""
    response = web.signed_in().get("/cases/GDPR-2026-9999")
    assert response.status_code == 404 and "nem található" in response.text
