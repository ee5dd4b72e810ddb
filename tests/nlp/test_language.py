"""Language detection of the sender's own new text."""

from __future__ import annotations

import pytest

from inbox_triage.nlp.language import UNDETERMINED, detect_language


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Adatok törlése", "Kérem, töröljék a rólam tárolt személyes adatokat.", "hu"),
        ("adatok", "szeretnem ha torolnek az osszes adatomat a rendszerbol koszi", "hu"),
        ("tarhely", "sziasztok nem megy a webmail, tudtok segiteni?", "hu"),
        ("Data request", "Please send me a copy of the data you hold about me.", "en"),
        ("", "Bitte löschen Sie alle meine personenbezogenen Daten aus Ihrem System.", "de"),
        ("", "Merci de supprimer toutes mes données personnelles, s'il vous plaît.", "fr"),
    ],
)
def test_languages_including_hungarian_without_accents(
    subject: str, body: str, expected: str
) -> None:
    """GIVEN a message's subject and new text WHEN detected THEN its language's ISO code."""
    assert detect_language(subject, body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "Hallo, ist es möglich, die Domain baeckerei-mohn.de auf die neue IP zu setzen? Danke, Ute",
        "Sehr geehrte Damen und Herren, gibt es eine Möglichkeit, meine Daten bei praxis-lenz.de"
        " zu sehen? Es eilt.",
        "Guten Tag, in meinem Kundenkonto steht noch die alte Adresse. Ist das ein Problem?",
    ],
)
def test_german_is_not_taken_for_hungarian_or_english(body: str) -> None:
    """GIVEN German mail with words that are also Hungarian or English ("es", a .de domain, "in")
    WHEN detected THEN de, so that it goes to the fallback model and is flagged for review.
    """
    assert detect_language("", body) == "de"


@pytest.mark.parametrize(
    "body",
    [
        "TILTAKOZOM A HIRLEVELEK ELLEN, TOBBET NE KULDJENEK NEKEM REKLAMOT!!!",
        "a www rekordot at kene irni az uj szerverre",
        "hogyan tudom a domaint a cegemre atiratni?",
    ],
)
def test_capitals_and_short_accent_free_hungarian(body: str) -> None:
    """GIVEN Hungarian in capitals or short and without accents WHEN detected THEN hu."""
    assert detect_language("", body) == "hu"


def test_short_text_falls_back_to_subject_and_body_together() -> None:
    """GIVEN a one-word body WHEN the subject is Hungarian THEN the two together decide."""
    assert detect_language("Kérem töröljék az adataimat", "köszi") == "hu"


def test_undecidable_text_is_und() -> None:
    """GIVEN nothing but a few letters WHEN detected THEN und."""
    assert detect_language("", "ok") == UNDETERMINED
    assert detect_language("", "12345 !!!") == UNDETERMINED


def test_detection_is_deterministic() -> None:
    """GIVEN the same borderline text WHEN detected many times THEN always the same answer."""
    text = "Hello, kerem a szamlat"
    assert len({detect_language("", text) for _ in range(20)}) == 1
