"""Golden-ish tests of rendered replies: every right, both languages, the key facts present.

Rendering does not depend on the database engine, so these run on SQLite only;
the disclosure and outbox tests run on both.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inbox_triage.cases.actions import extend
from inbox_triage.db.models import Draft
from inbox_triage.drafting.compose import CODE_PLACEHOLDER
from inbox_triage.drafting.environment import long_date_en, until_day_hu
from inbox_triage.drafting.store import approve_draft, create_draft, draft_for_case
from inbox_triage.errors import UsageError, WorkflowError
from inbox_triage.nlp.labels import RIGHTS


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: templates do not care about the database."""
    return f"sqlite:///{tmp_path / 'render.db'}"


COMMON = {
    "hu": ["Nemzeti Adatvédelmi és Információszabadság Hatóság", "ugyfelszolgalat@naih.hu",
           "1125 Budapest, Szilágyi Erzsébet fasor 22/c", "+36 1 391-1400", "törvényszék",
           "Cloudmaster Kft.", "2330 Dunaharaszti, Csók István utca 9/c", "27723797-2-13",
           "info@clmaster.eu", "www.clmaster.eu", "egy hónap", "Tisztelettel:"],
    "en": ["Hungarian National Authority for Data Protection and Freedom of Information",
           "ugyfelszolgalat@naih.hu", "1125 Budapest, Szilágyi Erzsébet fasor 22/c",
           "+36 1 391-1400", "regional court (törvényszék)", "Cloudmaster Kft.",
           "2330 Dunaharaszti, Csók István utca 9/c", "27723797-2-13", "info@clmaster.eu",
           "www.clmaster.eu", "one month", "Yours sincerely,"],
}  # fmt: skip
POLICY_DAYS = {"information": 30, "rectification": 30, "erasure": 30, "restriction": 30,
               "objection": 15}  # fmt: skip
PER_RIGHT = {
    "information": {
        "hu": ["Az adatkezelés részletei", "Google Analytics", "MyStat", "Szervernaplók",
               "30 nap", "a domainnév felszabadításáig", "Ptk. 6:22",
               "8 év (Számviteli tv. 169. §)", "legfeljebb 5 év",
               "Adatfeldolgozóinkról nyilvántartást vezetünk"],
        "en": ["How we process personal data", "Google Analytics", "MyStat", "Server logs",
               "30 days", "until the domain name is released", "Civil Code",
               "8 years (section 169 of the Accounting Act)", "at most 5 years",
               "We keep a record of our processors"],
    },
    "access": {
        "hu": ["Hozzáférés a személyes adataihoz", "+36 30 123 4567", "8123456786",
               "1111 Budapest, Fő utca 1.", "Adatvédelmi ügyei nálunk", "Az adatkezelés részletei"],
        "en": ["Access to your personal data", "+36 30 123 4567", "8123456786",
               "1111 Budapest, Fő utca 1.", "Your data protection requests with us",
               "How we process personal data"],
    },
    "rectification": {"hu": ["Adatainak helyesbítése", "+36 30 999 8888", "GDPR 19. cikk"],
                      "en": ["Correcting your data", "+36 30 999 8888", "Article 19 GDPR"]},
    "erasure": {
        "hu": ["Törlési kérelmének helyt adunk", "számviteli bizonylatok", "8 évig",
               "a számvitelről szóló 2000. évi C. törvény 169. §-a",
               "GDPR 17. cikk (3) bekezdés b) pont"],
        "en": ["We are granting your request for erasure", "accounting records", "8 years",
               "section 169 of Act C of 2000 on Accounting", "Article 17(3)(b) GDPR"],
    },
    "restriction": {"hu": ["korlátozzuk (zároljuk)", "GDPR 18. cikk (2) bekezdés"],
                    "en": ["restricted (blocked)", "Article 18(2) GDPR"]},
    "portability": {"hu": ["JSON és CSV", "GDPR 20. cikk (2) bekezdés"],
                    "en": ["JSON and CSV", "Article 20(2) GDPR"]},
    "objection": {
        "hu": ["közvetlen üzletszerzés", "érdekmérlegelést végzünk", "szervernaplók",
               "15 napon belül"],
        "en": ["direct marketing", "balancing test", "server logs", "within 15 days"],
    },
    "automated_decision": {"hu": ["emberi mérlegeléssel felülvizsgálja", "GDPR 22. cikk (3)"],
                           "en": ["a member of our staff will review", "Article 22(3) GDPR"]},
    "consent_withdrawal": {"hu": ["GDPR 7. cikk (3) bekezdés", "Google Analytics, MyStat"],
                           "en": ["Article 7(3) GDPR", "Google Analytics, MyStat"]},
    "complaint": {"hu": ["Köszönjük, hogy jelezte nekünk panaszát", "legfeljebb 5 év", "(NAIH)"],
                  "en": ["Thank you for bringing your complaint", "at most 5 years", "(NAIH)"]},
}  # fmt: skip


def verified_case(helpers, app, session, rights, language, text="Kérem az adataimat."):
    parsed = helpers.mail("Kovács János <kovacs.janos@gmail.com>", text,
                          auth=[helpers.dmarc_pass("gmail.com")])  # fmt: skip
    return helpers.open_request(app, session, parsed, rights, language)


def assert_clean(text: str) -> None:
    assert "{{" not in text and "{%" not in text and "None" not in text
    assert "\n\n\n" not in text and CODE_PLACEHOLDER not in text


@pytest.mark.parametrize("language", ["hu", "en"])
@pytest.mark.parametrize("right", RIGHTS)
def test_each_right_has_its_facts_in_the_requesters_language(customers, session, helpers,
                                                              right, language) -> None:  # fmt: skip
    """GIVEN a verified customer asking one right WHEN drafted THEN the reply states the facts."""
    text = "Kérem, javítsák a telefonszámomat erre: +36 30 999 8888."
    case = verified_case(helpers, customers, session, [right], language, text)
    draft = draft_for_case(session, customers, case)
    assert draft is not None
    assert (draft.kind, draft.language, draft.recipient) == ("reply", language,
                                                             "kovacs.janos@gmail.com")  # fmt: skip
    body = draft.body_text
    for fact in COMMON[language] + PER_RIGHT[right][language]:
        assert fact in body, fact
    if right in POLICY_DAYS:
        unit = "nap" if language == "hu" else "days"
        assert f"{POLICY_DAYS[right]} {unit}" in body
    assert_clean(body)
    assert case.reference in draft.subject
    assert ("Tisztelt Kovács János!" if language == "hu" else "Dear Kovács János,") in body
    other = ["Dear ", "Yours "] if language == "hu" else ["Tisztelt", "Köszönjük", "Tisztelettel"]
    assert not any(word in body for word in other)
    assert "ugyfelszolgalat@naih.hu" in draft.body_html and "<p>" in draft.body_html


@pytest.mark.parametrize("language", ["hu", "en"])
def test_access_and_portability_attach_the_customers_own_record(customers, session, helpers,
                                                                language) -> None:  # fmt: skip
    """GIVEN access + portability WHEN drafted THEN JSON (with cases) and CSV are attached."""
    case = verified_case(helpers, customers, session, ["access", "portability"], language)
    draft = draft_for_case(session, customers, case)
    names = [item["name"] for item in draft.attachments]
    stem = "szemelyes-adatok" if language == "hu" else "personal-data"
    assert names == [f"{stem}-CM-20001.json", f"{stem}-CM-20001.csv"]
    document = json.loads(helpers.attachment_text(draft.attachments[0]))
    assert document["controller_record"]["tax_number"] == "8123456786"
    assert document["privacy_cases"][0]["reference"] == case.reference
    csv_text = helpers.attachment_text(draft.attachments[1])
    assert csv_text.splitlines()[0].startswith("customer_id,name,email,phone")
    assert "Kovács János" in csv_text and "CM-20002" not in csv_text


@pytest.mark.parametrize("language", ["hu", "en"])
def test_combined_rights_make_one_reply_with_each_part_once(customers, session, helpers,
                                                            language) -> None:  # fmt: skip
    """GIVEN access + erasure + objection WHEN drafted THEN one reply answers each, facts once."""
    case = verified_case(helpers, customers, session, ["erasure", "access", "objection"], language)
    draft = draft_for_case(session, customers, case)
    body = draft.body_text
    headings = {"hu": ["Hozzáférés a személyes adataihoz", "Adatainak törlése",
                       "Tiltakozás az adatkezelés ellen", "Az adatkezelés részletei"],
                "en": ["Access to your personal data", "Erasing your data", "Your objection",
                       "How we process personal data"]}[language]  # fmt: skip
    positions = [body.rindex(h) for h in headings]
    assert positions == sorted(positions)  # the order of the rights list, facts last
    assert all(body.count(h) == 1 for h in headings[:3])
    assert body.count("ugyfelszolgalat@naih.hu") == 1
    assert ("egyes pontjaira" if language == "hu" else "each part of your request") in body
    assert len(draft.attachments) == 1  # access: JSON with the cases


def test_information_alone_goes_to_anyone_as_general_facts(customers, session, helpers) -> None:
    """GIVEN an unknown sender asking how data is processed THEN the general facts, no record."""
    parsed = helpers.mail("Valaki <valaki@example.org>", "Milyen adatokat kezelnek és meddig?")
    case = helpers.open_request(customers, session, parsed, ["information"], "hu")
    draft = draft_for_case(session, customers, case)
    assert (draft.kind, draft.recipient, draft.contains_personal_data) == (
        "reply", "valaki@example.org", False)  # fmt: skip
    assert "Google Analytics" in draft.body_text and "Tisztelt Hölgyem/Uram!" in draft.body_text


def test_other_languages_get_english(customers, session, helpers) -> None:
    case = verified_case(helpers, customers, session, ["erasure"], "de")
    draft = draft_for_case(session, customers, case)
    assert draft.language == "en" and "Erasing your data" in draft.body_text


def test_html_part_escapes_what_came_from_records(customers, session, helpers) -> None:
    """GIVEN a customer name with markup WHEN drafted THEN the HTML shows it as text."""
    row = helpers.customer(session, "CM-20001")
    row.name = "Kovács <b>János</b>"
    session.flush()
    case = verified_case(helpers, customers, session, ["access"], "hu")
    draft = draft_for_case(session, customers, case)
    assert "Kovács <b>János</b>" in draft.body_text
    assert "Kovács &lt;b&gt;János&lt;/b&gt;" in draft.body_html
    assert "<b>János" not in draft.body_html


def test_company_contact_is_greeted_by_name(customers, session, helpers) -> None:
    parsed = helpers.mail("Nagy Péter <nagy.peter@pelda.hu>", "Kérem az adatainkat.",
                          auth=[helpers.dmarc_pass("pelda.hu")])  # fmt: skip
    case = helpers.open_request(customers, session, parsed, ["access"], "hu")
    draft = draft_for_case(session, customers, case)
    assert draft.recipient == "nagy.peter@pelda.hu"
    assert draft.body_text.startswith("Tisztelt Nagy Péter!")


@pytest.mark.parametrize("language", ["hu", "en"])
def test_acknowledgement(customers, session, helpers, language) -> None:
    case = verified_case(helpers, customers, session, ["erasure"], language)
    result = create_draft(session, customers, case.reference, "acknowledgement", "staff@x")
    body = _body(session, result["id"])
    assert case.reference in body and "ugyfelszolgalat@naih.hu" in body
    assert ("2026. április 1-jéig" if language == "hu" else "by 1 April 2026") in body


@pytest.mark.parametrize("language", ["hu", "en"])
def test_extension_notice_names_reason_and_new_date_and_must_precede_deadline(
    customers, session, helpers, clock, language
) -> None:
    """GIVEN an extended case WHEN the notice is drafted THEN reasons and dates; late: refused."""
    case = verified_case(helpers, customers, session, ["access"], language)
    with pytest.raises(WorkflowError, match="not extended"):
        create_draft(session, customers, case.reference, "extension_notice", "staff@x")
    extend(session, customers, case, "A kérelem nagy mennyiségű archív adatot érint.", "staff@x")
    result = create_draft(session, customers, case.reference, "extension_notice", "staff@x")
    body = _body(session, result["id"])
    assert "A kérelem nagy mennyiségű archív adatot érint." in body
    assert case.gdpr_due.isoformat() == "2026-04-02"
    if language == "hu":
        assert "legfeljebb két további hónappal" in body and "GDPR 12. cikk (3)" in body
        assert f"legkésőbb {until_day_hu(case.extended_due)} válaszolunk" in body
        assert "Az eredeti válaszadási határidő 2026. április 2. lett volna." in body
    else:
        assert "by up to two further months" in body and "Article 12(3) GDPR" in body
        assert f"We will reply by {long_date_en(case.extended_due)} at the latest" in body
        assert "The original time limit would have been 2 April 2026." in body
    clock.advance(days=40)
    with pytest.raises(WorkflowError, match="too late"):
        approve_draft(session, customers, result["id"], "staff@x")


@pytest.mark.parametrize("language", ["hu", "en"])
def test_refusal_gives_reasons_and_names_naih_and_court(customers, session, helpers,
                                                        language) -> None:  # fmt: skip
    case = verified_case(helpers, customers, session, ["access"], language)
    with pytest.raises(UsageError):
        create_draft(session, customers, case.reference, "refusal", "staff@x", reason=" ")
    result = create_draft(session, customers, case.reference, "refusal", "staff@x",
                          reason="Ez a negyedik azonos kérelme két hét alatt.")  # fmt: skip
    body = _body(session, result["id"])
    assert "Ez a negyedik azonos kérelme két hét alatt." in body
    assert ("GDPR 12. cikk (5)" if language == "hu" else "Article 12(5) GDPR") in body
    for fact in ("ugyfelszolgalat@naih.hu", "+36 1 391-1400", "törvényszék"):
        assert fact in body


def test_verification_request_needs_its_code_before_approval(customers, session, helpers) -> None:
    """GIVEN an unverified on-file sender THEN a verification request with a code placeholder."""
    parsed = helpers.mail("kovacs.janos@gmail.com", "Kérem az adataimat.")  # no authentication
    case = helpers.open_request(customers, session, parsed, ["access"], "hu")
    draft = draft_for_case(session, customers, case)
    assert (draft.kind, draft.recipient) == ("verification_request", "kovacs.janos@gmail.com")
    assert CODE_PLACEHOLDER in draft.body_text and "egyszeri kódot" in draft.body_text
    assert "+36 30 123 4567" not in draft.body_text
    with pytest.raises(WorkflowError, match="one-time code"):
        approve_draft(session, customers, draft.id, "staff@x")


def _body(session, draft_id: int) -> str:
    return session.get(Draft, draft_id).body_text
