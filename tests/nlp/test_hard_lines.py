"""The hard lines of shared/labels.md, on messages written for this test only.

None of these texts is in data/corpus/; they check what the shipped models
learned, not what they memorised. The lines: service deletion vs erasure,
unsubscribe vs transactional notices, profiling questions vs contesting a
decision, support exports vs portability, quoted history ignored.
"""

from __future__ import annotations

import pytest

from inbox_triage.mail.parse import parse_message
from inbox_triage.nlp.classify import Classifier
from inbox_triage.nlp.language import detect_language


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    loaded = Classifier.load()
    assert loaded.problems == {}, loaded.problems
    return loaded


def classify(classifier: Classifier, subject: str, body: str) -> set[str]:
    language = detect_language(subject, body)
    return set(classifier.classify(language, subject, body).rights)


NOT_REQUESTS = [
    (
        "Régi tárhely",
        "Sziasztok! A cegemnek mar nem kell a kisbolt-kecskemet.hu tarhelye, "
        "kérlek szüntessétek meg a csomagot a hónap végével és a fájlokat is törölhetitek.",
    ),
    (
        "FTP",
        "Jó napot, a régi ftp felhasználót (ftp_gabor) kérem törölni, már senki sem használja.",
    ),
    (
        "Domain lejárat",
        "Hogyan tudom kikapcsolni, hogy minden héten emlékeztetőt küldjenek "
        "a domain lejáratáról? Automatikus megújítást kértem már.",
    ),
    ("DNS", "Kérlek írjátok át az A rekordot 185.33.12.9-re, köszi!"),
    (
        "Adatfeldolgozói szerződés",
        "Tisztelt Cloudmaster! Cégünk auditja miatt kérnénk a "
        "tárhelyszolgáltatásra vonatkozó adatfeldolgozói szerződést és az alvállalkozók listáját.",
    ),
    (
        "Mailbox export",
        "Hi, how can I download all e-mails from my info@ mailbox as a zip "
        "before we switch provider? Is there an export button in webmail?",
    ),
    ("Cancel", "Please close our reseller account and delete the three test sites on it."),
    (
        "Renewal reminders",
        "Can you stop sending me the invoice reminder emails? I pay by direct debit anyway.",
    ),
]

REQUESTS = [
    (
        "Adataim",
        "Azt szeretném, ha a szerződés megszűnése után semmilyen személyes adatomat "
        "nem tárolnák tovább, kérem töröljék a nevemet, címemet és telefonszámomat.",
        {"erasure"},
    ),
    (
        "hirlevel",
        "Kerem ne kuldjenek tobb reklamlevelet es ajanlatot, nem kerek a hirlevelbol.",
        {"objection"},
    ),
    (
        "Számlázási cím",
        "Elköltöztem, kérem a számlázási címemet módosítsák erre: 4025 Debrecen, Piac utca 12.",
        {"rectification"},
    ),
    (
        "Profilozás?",
        "Érdeklődnék, hogy használnak-e automatizált döntéshozatalt vagy "
        "profilalkotást az ügyfelek adatainál, és ha igen, milyen célból.",
        {"information"},
    ),
    (
        "Letiltott rendelés",
        "A rendszeretek automatikusan letiltotta a rendelésemet egy csalásszűrő "
        "miatt. Kérem, hogy egy ember nézze át újra a döntést, mert tévedés.",
        {"automated_decision"},
    ),
    (
        "Copy of my data",
        "Under Article 15 GDPR please send me a copy of all personal data you hold about me.",
        {"access"},
    ),
    (
        "Moving provider",
        "Please give me my account and billing data in a machine-readable "
        "format (CSV or JSON) so I can take it to my new provider.",
        {"portability"},
    ),
    (
        "Consent",
        "I hereby withdraw the consent I gave for using my photo in your customer stories.",
        {"consent_withdrawal"},
    ),
    (
        "Data breach??",
        "Somebody sent me my own invoice with my home address from a gmail "
        "account. How did my data leak? I will report this to the data protection authority.",
        {"complaint"},
    ),
]


@pytest.mark.parametrize(("subject", "body"), NOT_REQUESTS)
def test_service_actions_and_support_are_not_requests(
    classifier: Classifier, subject: str, body: str
) -> None:
    """GIVEN hosting support mail that deletes, exports or stops things WHEN classified
    THEN no right is invoked."""
    assert classify(classifier, subject, body) == set()


@pytest.mark.parametrize(("subject", "body", "expected"), REQUESTS)
def test_requests_next_to_the_lines(
    classifier: Classifier, subject: str, body: str, expected: set[str]
) -> None:
    """GIVEN a request close to a hard line WHEN classified THEN its right is found."""
    assert expected <= classify(classifier, subject, body)


def test_quoted_history_does_not_count(classifier: Classifier) -> None:
    """GIVEN a thank-you under a quoted erasure request WHEN classified THEN the empty set."""
    raw = (
        "From: Kiss Anna <anna@example.hu>\r\nTo: info@clmaster.eu\r\n"
        "Subject: Re: Adataim törlése\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Köszönöm, megkaptam a visszaigazolást.\r\n\r\n"
        "2026. márc. 2., hétfő 10:12 időpontban Kiss Anna <anna@example.hu> ezt írta:\r\n"
        "> Kérem, hogy töröljék az összes személyes adatomat a rendszerükből.\r\n"
        "> Tiltakozom a hírlevelek ellen is.\r\n"
    ).encode()
    parsed = parse_message(raw)
    assert "töröljék" not in parsed.new_text
    assert classify(classifier, parsed.subject, parsed.new_text) == set()


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Re: Your request to delete your personal data", "Great, thanks for the quick help!"),
        ("RE: Copy of my personal data - CSV", "Any update on this one? Cheers, Rob"),
        ("Vá: Adataim helyesbítése", "Köszönöm, most már jó a cím a számlán."),
        ("Fwd: Hozzájárulás visszavonása", "Szia, ezt továbbítom, mert nem tudom, megkaptátok-e."),
    ],
)
def test_a_reply_subject_is_not_the_request(
    classifier: Classifier, subject: str, body: str
) -> None:
    """GIVEN a thank-you or a bare follow-up whose only privacy words are the thread's subject
    WHEN classified THEN the empty set: the subject of a reply is history, like a quote.
    """
    assert classify(classifier, subject, body) == set()


def test_unknown_language_goes_through_english_and_is_flagged(classifier: Classifier) -> None:
    """GIVEN a German request WHEN classified THEN the English model answers, flagged for review."""
    body = "Bitte löschen Sie alle meine personenbezogenen Daten aus Ihrem System."
    language = detect_language("Datenlöschung", body)
    result = classifier.classify(language, "Datenlöschung", body)
    assert language == "de"
    assert result.needs_review is True
