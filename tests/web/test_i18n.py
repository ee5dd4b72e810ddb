"""The message catalogues: both languages say everything, in their own words."""

from __future__ import annotations

from inbox_triage.cases.states import STATES
from inbox_triage.nlp.labels import RIGHTS
from inbox_triage.web.i18n import LANGUAGES, load_catalogue


def test_catalogues_have_the_same_keys_and_cover_states_and_rights() -> None:
    """GIVEN hu.toml and en.toml THEN same keys, every state and right named, none empty."""
    hu, en = (load_catalogue(language) for language in LANGUAGES)
    assert set(hu) == set(en)
    for state in STATES:
        assert f"status.{state}" in hu
    for right in RIGHTS:
        assert f"right.{right}" in hu
    assert all(value.strip() for value in [*hu.values(), *en.values()])
    assert hu["right.erasure"] == "Törlés" and en["right.erasure"] == "Erasure"


def test_placeholders_match_between_languages() -> None:
    """GIVEN a message with {placeholders} THEN the other language uses the same ones."""
    import string

    hu, en = (load_catalogue(language) for language in LANGUAGES)
    for key, text in hu.items():
        names = {field for _, field, _, _ in string.Formatter().parse(text) if field}
        other = {field for _, field, _, _ in string.Formatter().parse(en[key]) if field}
        assert names == other, key
