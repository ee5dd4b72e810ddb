"""The queue in pages of 100: the order holds across pages, filters stay in the links."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from inbox_triage.db.models import Case
from inbox_triage.db.session import transaction

_ROW = re.compile(r'data-reference="([^"]+)"')
TODAY = date(2026, 3, 2)


def _bulk_cases(web, count: int, undated: int = 3) -> list[str]:
    """`count` open cases straight into the table (no classifier); the expected order."""
    received = datetime(2026, 2, 20, 9, tzinfo=UTC)
    rows = []
    for number in range(1, count + 1):
        due = None if number <= undated else TODAY + timedelta(days=(number * 7) % 40 - 10)
        rows.append(
            {
                "reference": f"GDPR-2026-{number:04d}",
                "status": "new" if number % 2 else "in_progress",
                "opened_at": received,
                "receipt_at": received,
                "receipt_basis": "smtp_accepted",
                "requester_address": f"ugyfel{number}@example.hu",
                "requester_name": f"Ügyfél {number}",
                "subject": "Kérelem",
                "rights": ["automated_decision"] if number % 3 == 0 else ["access"],
                "flags": [],
                "evidence": [],
                "due": due,
            }
        )
    with transaction(web.app.sessions) as session:
        session.execute(insert(Case), rows)
    dated = sorted((r for r in rows if r["due"]), key=lambda r: (r["due"], r["reference"]))
    return [r["reference"] for r in dated] + [r["reference"] for r in rows if not r["due"]]


def test_queue_pages_keep_the_deadline_order(web) -> None:
    """GIVEN 130 open cases, 3 undated WHEN the queue is paged THEN 100 and 30 rows, by
    deadline then reference, the undated last, with counts and prev/next links."""
    expected = _bulk_cases(web, 130)
    client = web.signed_in()
    first = client.get("/").text
    second = client.get("/", params={"page": "2"}).text
    assert _ROW.findall(first) + _ROW.findall(second) == expected
    assert "Összesen 130 ügy, ezen az oldalon: 1–100." in first
    assert 'href="/?page=2" rel="next"' in first and 'rel="prev"' not in first
    assert "2. oldal / 2" in second and 'href="/?page=1" rel="prev"' in second
    assert _ROW.findall(client.get("/", params={"page": "99"}).text) == expected[100:]
    assert _ROW.findall(client.get("/", params={"page": "x"}).text) == expected[:100]


def test_filters_work_in_sql_and_stay_in_the_page_links(web) -> None:
    """GIVEN 130 cases WHEN filtered by a right whose name has an underscore, and by overdue
    THEN exactly the matching cases, and the next-page link keeps the filter."""
    _bulk_cases(web, 130)
    client = web.signed_in()
    automated = client.get("/", params={"right": "automated_decision"}).text
    assert len(_ROW.findall(automated)) == 43
    assert 'rel="next"' not in automated
    overdue = client.get("/", params={"overdue": "1", "status": "new"}).text
    rows = _ROW.findall(overdue)
    assert rows and all(int(reference[-4:]) % 2 == 1 for reference in rows)
    api = client.get("/api/cases", params={"overdue": "true"}).json()
    assert all(row["urgency"] == "overdue" for row in api) and len(api) > len(rows)
    everything = client.get("/api/cases").json()
    assert len(everything) == 130
    paged = client.get("/", params={"unverified": "1", "q": "gyfél"}).text
    assert 'href="/?q=gyf%C3%A9l&amp;unverified=1&amp;page=2" rel="next"' in paged
