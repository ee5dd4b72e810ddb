"""The classifier's input text: what it keeps of the subject and the new text."""

from __future__ import annotations

import pytest

from inbox_triage.mail.subjects import is_reply_or_forward, strip_reply_prefixes
from inbox_triage.nlp.text import model_input


@pytest.mark.parametrize(
    "subject",
    ["Re: adatok", "RE: data", "AW: Daten", "Vá: adatok", "Fwd: data", "FW: data", "Re[2]: x"],
)
def test_reply_and_forward_subjects_are_left_out(subject: str) -> None:
    """GIVEN a reply's subject WHEN the model input is built THEN only the new text is in it."""
    assert model_input(subject, "Köszönöm") == model_input("", "Köszönöm")


@pytest.mark.parametrize("subject", ["Reklamáció", "Adatok törlése", "Review of my account"])
def test_own_subjects_stay(subject: str) -> None:
    """GIVEN a subject the sender wrote (even one starting with "Re") WHEN built THEN it stays."""
    assert model_input(subject, "x") != model_input("", "x")
    assert not is_reply_or_forward(subject)


def test_prefixes_are_stripped_however_many() -> None:
    """GIVEN stacked prefixes WHEN stripped THEN the subject underneath."""
    assert strip_reply_prefixes("Re: AW: Fwd: Vá: Adatok") == "Adatok"
