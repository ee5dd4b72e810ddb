"""The requester's verification page over real HTTP: confirm only on POST, disclose nothing.

The case is opened as production opens it: a customer imported from CSV, the
request stored through intake and run through the pipeline (which issues a
challenge on its own); the test then issues a fresh one to learn its link token.
"""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from support.mail import build_message

from inbox_triage.customers.challenge import issue_challenge
from inbox_triage.customers.csv_io import COLUMNS, import_customers
from inbox_triage.db.models import Case, VerificationChallenge
from inbox_triage.db.session import transaction
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor
from inbox_triage.web.routes_verify import ATTEMPTS_PER_MINUTE

ON_FILE = "szabo.eva@upcmail.hu"
CUSTOMER_ID = "CM-10005"
NAME = "Szabó Éva"
CUSTOMER = (CUSTOMER_ID, NAME, ON_FILE, "+36 1 234 5678", "", "", "", "", "", "8456789011", "", "")
REQUEST = "Tisztelt Cloudmaster Kft.!\n\nKérem, töröljék az összes személyes adatomat.\n"
HU_CONFIRMED = "a kérelmét sikeresen megerősítette"
HU_INVALID = "Ez a hivatkozás érvénytelen"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the page's form."""
    found = _CSRF.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def open_case(web: Any, tmp_path: Path) -> tuple[str, str]:
    """A case of an on-file customer awaiting verification, and a fresh link token for it."""
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([COLUMNS, CUSTOMER])
    with transaction(web.app.sessions) as session:
        import_customers(session, path, now=web.app.clock())
    store_raw(web.app, build_message(sender=f"{NAME} <{ON_FILE}>", body=REQUEST), "smtp")
    Processor(web.app).run_pending()
    with transaction(web.app.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert session.scalars(select(VerificationChallenge)).all(), "the pipeline issued none"
        _, token = issue_challenge(session, web.app, case)
        return case.reference, token


def confirm_page(client: httpx.Client, token: str) -> httpx.Response:
    """Open the link and press the button, as a requester's browser would."""
    page = client.get(f"/verify/{token}")
    assert page.status_code == 200
    return client.post(f"/verify/{token}", data={"csrf_token": csrf_of(page.text)})


def assert_discloses_nothing(html: str, reference: str) -> None:
    for secret in (reference, ON_FILE, NAME, "Szabó", CUSTOMER_ID, "upcmail"):
        assert secret not in html, secret


def test_opening_the_link_verifies_nothing(web, tmp_path: Path) -> None:
    """GIVEN a fresh verification link WHEN a logged-out visitor (or a mail scanner) opens it
    THEN a confirm form with a CSRF token is shown, in the browser's language, with the usual
    security headers and nothing about the case, and the case stays unverified."""
    reference, token = open_case(web, tmp_path)
    client = web.client()
    for _ in range(3):
        page = client.get(f"/verify/{token}")
        assert page.status_code == 200
    assert 'method="post"' in page.text and f'action="/verify/{token}"' in page.text
    assert csrf_of(page.text) and "Megerősítem" in page.text and 'lang="hu"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert_discloses_nothing(page.text, reference)
    english = web.client(headers={"Accept-Language": "en-GB,en;q=0.8"}).get(f"/verify/{token}")
    assert 'lang="en"' in english.text and "Confirm your request" in english.text
    case = web.case(reference)
    assert case.identity == "unverified"
    assert "verified" not in {event.kind for event in case.events}


def test_confirming_verifies_the_case_without_disclosing_it(
    web, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN a fresh link WHEN a logged-out visitor confirms it THEN the case is verified and
    audited as done by the requester through the link, the page says so without the reference,
    the customer or the address, the token is not logged; confirming again: already verified."""
    reference, token = open_case(web, tmp_path)
    client = web.client()
    with caplog.at_level(logging.INFO):
        response = confirm_page(client, token)
    assert response.status_code == 200, response.text
    assert HU_CONFIRMED in response.text
    assert_discloses_nothing(response.text, reference)
    server_log = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert server_log and not any(token in line for line in server_log)
    case = web.case(reference)
    assert case.identity == "verified"
    [verified] = [event for event in case.events if event.kind == "verified"]
    assert (verified.actor, verified.details["via"]) == ("requester", "link")
    again = confirm_page(web.client(headers={"Accept-Language": "en"}), token)
    assert again.status_code == 200
    assert "already been confirmed" in again.text
    assert_discloses_nothing(again.text, reference)


def test_confirming_without_the_csrf_token_fails(web, tmp_path: Path) -> None:
    """GIVEN a fresh link WHEN it is posted without a token, with an empty one or with another
    session's THEN 403 and the case stays unverified."""
    reference, token = open_case(web, tmp_path)
    client = web.client()
    client.get(f"/verify/{token}")
    foreign = csrf_of(web.client().get(f"/verify/{token}").text)
    for data in ({}, {"csrf_token": ""}, {"csrf_token": foreign}):
        response = client.post(f"/verify/{token}", data=data)
        assert response.status_code == 403, data
        assert_discloses_nothing(response.text, reference)
    assert web.case(reference).identity == "unverified"


def test_wrong_or_expired_links_show_a_neutral_failure(web, tmp_path: Path) -> None:
    """GIVEN a made-up token and, later, a real one past its expiry WHEN confirmed THEN a failure
    page that names nothing of the case, and the case stays unverified."""
    reference, token = open_case(web, tmp_path)
    client = web.client()
    for bogus in ("not-a-token", "A" * 43, "x" * 300):
        response = confirm_page(client, bogus)
        assert response.status_code == 400
        assert HU_INVALID in response.text and HU_CONFIRMED not in response.text
        assert_discloses_nothing(response.text, reference)
    web.clock.advance(days=7, seconds=1)
    expired = confirm_page(client, token)
    assert expired.status_code == 400
    assert "Ez a hivatkozás lejárt" in expired.text and HU_CONFIRMED not in expired.text
    assert_discloses_nothing(expired.text, reference)
    assert web.case(reference).identity == "unverified"


def test_confirmations_are_limited_per_address(web, tmp_path: Path) -> None:
    """GIVEN one client address WHEN it posts more confirmations a minute than allowed THEN
    429 with Retry-After, and even a good link verifies nothing until the minute is over."""
    reference, token = open_case(web, tmp_path)
    client = web.client()
    for _ in range(ATTEMPTS_PER_MINUTE):
        assert confirm_page(client, "made-up-token").status_code == 400
    limited = confirm_page(client, token)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Túl sok próbálkozás" in limited.text
    assert web.case(reference).identity == "unverified"


def test_a_signed_in_staff_member_sees_the_same_page(web, tmp_path: Path) -> None:
    """GIVEN staff signed in WHEN they open a link THEN the same confirm form (no redirect), and
    nothing is verified by opening it."""
    reference, token = open_case(web, tmp_path)
    page = web.signed_in().get(f"/verify/{token}")
    assert page.status_code == 200 and "Megerősítem" in page.text
    assert web.case(reference).identity == "unverified"
