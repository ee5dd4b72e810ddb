"""Golden texts of the digest in Hungarian and English, and the terminal-readability rules."""

from __future__ import annotations

import re
from datetime import date

import pytest

from inbox_triage.context import AppContext
from inbox_triage.db.models import Case
from inbox_triage.db.session import transaction
from inbox_triage.digest.collect import collect
from inbox_triage.digest.compose import digest_dry_run, last_digest_at, render_digest

TODAY = date(2027, 3, 16)  # Tuesday after the 15 March holiday (Monday)


@pytest.fixture
def fixed_cases(staff: AppContext, sched, local_clock) -> AppContext:
    """GIVEN a fixed set of cases, drafts and closures as of Tuesday 16 March 2027, 08:00."""
    make, draft, at = sched.make_case, sched.make_draft, sched.at
    make(staff, "GDPR-2027-0001", date(2027, 3, 10), ["erasure"], opened=at(date(2027, 2, 8), 9))
    second = make(staff, "GDPR-2027-0002", date(2027, 3, 19), ["access", "portability"],
                  opened=at(date(2027, 3, 12), 10), identity="verified")  # fmt: skip
    make(staff, "GDPR-2027-0003", date(2027, 3, 18), ["objection"],
         opened=at(date(2027, 2, 18), 10), extended_due=date(2027, 6, 10))  # fmt: skip
    fourth = make(staff, "GDPR-2027-0004", TODAY, ["rectification"],
                  opened=at(date(2027, 3, 15), 9), identity="verified")  # fmt: skip
    make(staff, "GDPR-2027-0005", date(2027, 3, 31), ["information"],
         opened=at(date(2027, 3, 1), 9), identity="verified")  # fmt: skip
    closed = make(staff, "GDPR-2027-0006", date(2027, 3, 30), ["erasure"],
                  opened=at(date(2027, 3, 1), 9), status="closed")  # fmt: skip
    make(staff, "GDPR-2027-0007", date(2027, 3, 10), ["access"], opened=at(date(2027, 2, 8), 9),
         status="replied", identity="verified")  # fmt: skip
    with transaction(staff.sessions) as session:
        case = session.get(Case, closed)
        assert case is not None
        case.closed_at = at(date(2027, 3, 15), 12)
    draft(staff, second, at(date(2027, 3, 14), 8))
    draft(staff, fourth, at(date(2027, 3, 16), 5, 30), kind="acknowledgement")
    draft(staff, fourth, at(date(2027, 3, 10), 8), state="approved")
    local_clock(TODAY, 8)
    return staff


def text_of(app: AppContext, language: str) -> str:
    with app.sessions() as session:
        data = collect(session, app, last_digest_at(session, app))
    return render_digest(app, data, language).text


HU = """\
Napi összefoglaló – 2027. március 16., kedd

Lejárt határidejű ügyek: 1
- GDPR-2027-0001 (törlés): határidő 2027. március 10., 3 munkanapja lejárt
  https://triage.clmaster.eu/cases/GDPR-2027-0001

5 munkanapon belül esedékes ügyek: 2
- GDPR-2027-0004 (helyesbítés): határidő 2027. március 16., ma jár le
  https://triage.clmaster.eu/cases/GDPR-2027-0004
- GDPR-2027-0002 (hozzáférés, adathordozhatóság): határidő 2027. március 19., még 3 munkanap
  https://triage.clmaster.eu/cases/GDPR-2027-0002

Jóváhagyásra váró levéltervezetek: 2
- GDPR-2027-0002: válaszlevél, 2 napja vár
  https://triage.clmaster.eu/cases/GDPR-2027-0002
- GDPR-2027-0004: átvételi visszaigazolás, 2 órája vár
  https://triage.clmaster.eu/cases/GDPR-2027-0004

Személyazonosságukat még nem igazolt kérelmezők: 2
- GDPR-2027-0001 (törlés): a kérelem 36 napja érkezett
  https://triage.clmaster.eu/cases/GDPR-2027-0001
- GDPR-2027-0003 (tiltakozás): a kérelem 26 napja érkezett
  https://triage.clmaster.eu/cases/GDPR-2027-0003

Meghosszabbított határidejű ügyek: 1
- GDPR-2027-0003: új határidő 2027. június 10. (eredeti: 2027. március 18.)
  A kérelmezőt még nem értesítették a meghosszabbításról.
  https://triage.clmaster.eu/cases/GDPR-2027-0003

Az előző összefoglaló óta: 2 új ügy, 1 lezárt ügy.

Az összes nyitott ügy: https://triage.clmaster.eu/
"""

EN = """\
Daily digest – Tuesday, 16 March 2027

Overdue cases: 1
- GDPR-2027-0001 (erasure): deadline 10 March 2027, 3 working days overdue
  https://triage.clmaster.eu/cases/GDPR-2027-0001

Due within 5 working days: 2
- GDPR-2027-0004 (rectification): deadline 16 March 2027, due today
  https://triage.clmaster.eu/cases/GDPR-2027-0004
- GDPR-2027-0002 (access, portability): deadline 19 March 2027, 3 working days left
  https://triage.clmaster.eu/cases/GDPR-2027-0002

Drafts awaiting approval: 2
- GDPR-2027-0002: reply, waiting 2 days
  https://triage.clmaster.eu/cases/GDPR-2027-0002
- GDPR-2027-0004: acknowledgement, waiting 2 hours
  https://triage.clmaster.eu/cases/GDPR-2027-0004

Requesters not yet verified: 2
- GDPR-2027-0001 (erasure): request received 36 days ago
  https://triage.clmaster.eu/cases/GDPR-2027-0001
- GDPR-2027-0003 (objection): request received 26 days ago
  https://triage.clmaster.eu/cases/GDPR-2027-0003

Extended cases: 1
- GDPR-2027-0003: new deadline 10 June 2027 (originally 18 March 2027)
  The requester has not yet been told about the extension.
  https://triage.clmaster.eu/cases/GDPR-2027-0003

Since the last digest: 2 new cases, 1 closed case.

All open cases: https://triage.clmaster.eu/
"""


def test_hungarian_digest_golden(fixed_cases: AppContext) -> None:
    """GIVEN the fixed cases WHEN the Hungarian digest is rendered THEN exactly these lines."""
    assert text_of(fixed_cases, "hu").splitlines() == HU.splitlines()


def test_english_digest_golden(fixed_cases: AppContext) -> None:
    """GIVEN the fixed cases WHEN the English digest is rendered THEN exactly these lines."""
    assert text_of(fixed_cases, "en").splitlines() == EN.splitlines()


@pytest.mark.parametrize("language", ["hu", "en"])
def test_text_part_reads_in_a_terminal(fixed_cases: AppContext, sched, language: str) -> None:
    """GIVEN many long-named rights WHEN rendered THEN lines <= 100 chars and no markup."""
    every = ["information", "access", "rectification", "erasure", "restriction", "portability",
             "objection", "automated_decision", "consent_withdrawal", "complaint"]  # fmt: skip
    sched.make_case(fixed_cases, "GDPR-2027-0099", date(2027, 3, 17), every)
    text = text_of(fixed_cases, language)
    assert "GDPR-2027-0099" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert not re.search(r"<[a-zA-Z/!][^>]*>|&[a-z]+;|&#\d+;", text)
    assert "\r" not in text and "\t" not in text


def test_html_part_links_every_case(fixed_cases: AppContext) -> None:
    """GIVEN the fixed cases WHEN the HTML part is rendered THEN each case is a link."""
    with fixed_cases.sessions() as session:
        data = collect(session, fixed_cases, last_digest_at(session, fixed_cases))
    html = render_digest(fixed_cases, data, "hu").html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="hu">' in html
    for number in ("0001", "0002", "0003", "0004"):
        link = (
            f'<a href="https://triage.clmaster.eu/cases/GDPR-2027-{number}">GDPR-2027-{number}</a>'
        )
        assert link in html
    assert "GDPR-2027-0005" not in html and "GDPR-2027-0007" not in html
    assert "Lejárt határidejű ügyek: 1" in html


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("hu", "Nincs teendő: egyetlen ügy sem vár intézkedésre, és az előző összefoglaló óta "
               "nem történt változás."),
        ("en", "Nothing to do: no case needs attention, and nothing has changed since the "
               "last digest."),
    ],
)  # fmt: skip
def test_empty_digest_says_so_in_one_line(staff: AppContext, local_clock, language: str,
                                          line: str) -> None:  # fmt: skip
    """GIVEN no cases at all WHEN rendered THEN the body is that one line."""
    local_clock(TODAY, 8)
    assert text_of(staff, language) == line + "\n"


def test_dry_run_prints_each_language_with_its_recipients(fixed_cases: AppContext, sched) -> None:
    """GIVEN two staff languages WHEN `digest --dry-run` THEN both texts, headed by To/Subject."""
    output = digest_dry_run(fixed_cases)
    assert output.startswith(f"To: {sched.HU_STAFF}\nSubject: Adatvédelmi ügyek: napi "
                             "összefoglaló – 2027. március 16.\n\n" + HU)  # fmt: skip
    assert (
        f"To: {sched.EN_STAFF}\nSubject: Privacy cases: daily digest – 16 March 2027\n\n" + EN
        in (output)
    )
    only = digest_dry_run(fixed_cases, to=["Someone <Boss@Clmaster.eu>"])
    assert only.startswith("To: boss@clmaster.eu\nSubject: Adatvédelmi ügyek")
    assert sched.EN_STAFF not in only
