"""The queue page: ordering by binding deadline, colours, filters and search."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from inbox_triage.cases import actions
from inbox_triage.db.session import transaction

_ROW = re.compile(r'<tr class="row-(\w+)" data-reference="([^"]+)"')
STAFF = "anna.staff@clmaster.eu"


def _rows(html: str) -> list[tuple[str, str]]:
    """(reference, urgency) of each queue row, top to bottom."""
    return [(reference, urgency) for urgency, reference in _ROW.findall(html)]


def _four_cases(web) -> dict[str, str]:
    """Cases due 4 Feb (overdue), 2 Mar (today), 10 Mar and 1 Apr 2026; today is 2 Mar."""
    return {
        "ok": web.make_case(
            sender="Kovács János <janos.kovacs@example.hu>", subject="Adataim törlése"
        ),
        "soon": web.make_case(
            received=datetime(2026, 2, 10, 9, tzinfo=UTC),
            rights=["access"],
            sender="Szabó Éva <szabo.eva@example.hu>",
            subject="Kérelem",
        ),
        "overdue": web.make_case(
            received=datetime(2026, 1, 5, 9, tzinfo=UTC),
            sender="Tóth Gábor <toth.gabor@example.hu>",
            subject="Törlés kérése",
        ),
        "urgent": web.make_case(
            received=datetime(2026, 2, 2, 9, tzinfo=UTC),
            rights=["access"],
            sender="Nagy Péter <nagy.peter@example.hu>",
            subject="Adatkérés",
        ),
    }


def test_queue_is_ordered_by_binding_deadline_with_colours(web) -> None:
    """GIVEN four open cases WHEN the queue is shown THEN earliest deadline first, coloured."""
    cases = _four_cases(web)
    page = web.signed_in().get("/")
    assert page.status_code == 200
    assert _rows(page.text) == [
        (cases["overdue"], "overdue"),
        (cases["urgent"], "urgent"),
        (cases["soon"], "soon"),
        (cases["ok"], "ok"),
    ]
    assert "még 6 munkanap" in page.text and "ma jár le" in page.text
    assert "munkanapja lejárt" in page.text


def test_filters_by_status_right_and_overdue(web) -> None:
    """GIVEN cases in several states WHEN filtered THEN only the matching rows remain."""
    cases = _four_cases(web)
    client = web.signed_in()
    web.post_form(
        client, f"/cases/{cases['ok']}", f"/cases/{cases['ok']}/close", {"reason": "done"}
    )
    assert cases["ok"] not in client.get("/").text
    closed = _rows(client.get("/", params={"status": "closed"}).text)
    assert [reference for reference, _ in closed] == [cases["ok"]]
    access = _rows(client.get("/", params={"right": "access"}).text)
    assert [reference for reference, _ in access] == [cases["urgent"], cases["soon"]]
    overdue = _rows(client.get("/", params={"overdue": "1"}).text)
    assert [reference for reference, _ in overdue] == [cases["overdue"]]
    assert client.get("/", params={"status": "bogus"}).status_code == 400


def test_filters_by_assignee_and_unverified(web) -> None:
    """GIVEN an assigned case and a verified one WHEN filtered THEN the right subsets."""
    cases = _four_cases(web)
    client = web.signed_in()
    response = web.post_form(
        client, f"/cases/{cases['soon']}", f"/cases/{cases['soon']}/assign", {"assignee": STAFF}
    )
    assert response.status_code == 303
    mine = _rows(client.get("/", params={"assignee": "me"}).text)
    assert [reference for reference, _ in mine] == [cases["soon"]]
    by_address = _rows(client.get("/", params={"assignee": STAFF}).text)
    assert [reference for reference, _ in by_address] == [cases["soon"]]
    nobody = {
        reference for reference, _ in _rows(client.get("/", params={"assignee": "none"}).text)
    }
    assert nobody == {cases["ok"], cases["overdue"], cases["urgent"]}
    with transaction(web.app.sessions) as session:
        actions.get_case(session, cases["urgent"]).identity = "verified"
    unverified = {ref for ref, _ in _rows(client.get("/", params={"unverified": "1"}).text)}
    assert unverified == {cases["ok"], cases["overdue"], cases["soon"]}


def test_search_by_reference_name_or_address(web) -> None:
    """GIVEN several requesters WHEN searching THEN reference, name and address all find."""
    cases = _four_cases(web)
    client = web.signed_in()

    def found(text: str) -> list[str]:
        return [reference for reference, _ in _rows(client.get("/", params={"q": text}).text)]

    assert found(cases["soon"]) == [cases["soon"]]
    assert found("szabó") == [cases["soon"]]
    assert found("TOTH.GABOR@") == [cases["overdue"]]
    assert found("nincs ilyen") == []
    assert found("100%_") == []
