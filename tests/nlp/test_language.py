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
