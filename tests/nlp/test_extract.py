"""Identifier extraction from free text (Hungarian and English)."""

from __future__ import annotations

import pytest

from inbox_triage.nlp.extract import (
    extract_customer_ids,
    extract_domains,
    extract_emails,
    extract_phones,
    extract_tax_numbers,
    extract_usernames,
    is_valid_adoazonosito,
)

LETTER = """Tisztelt Cloudmaster Kft.!
Kovács János vagyok (ügyfélszám: CM-10482). Adószámunk 12345678-2-41, közösségi adószám
HU12345678, adóazonosító jelem 8123456786. Telefon: +36 30 123 4567 vagy 06-1/234-5678.
Kérem küldjék erre a címre: Uj.Cim+gdpr@Gmail.com. A weboldalunk www.pelda.hu és példa.eu.
Felhasználónevem: kjanos. Csatolom: adatok.pdf
"""


def test_emails_are_lower_cased_and_trimmed() -> None:
    assert extract_emails(LETTER) == ["uj.cim+gdpr@gmail.com"]
    assert extract_emails("írjon: a.b@c.hu. vagy <x@y.co.uk>, nem@valid") == [
        "a.b@c.hu",
        "x@y.co.uk",
    ]


def test_phones_are_e164_with_hungarian_default_region() -> None:
    assert extract_phones(LETTER) == ["+36301234567", "+3612345678"]
    assert extract_phones("hívjon: 0630 123 4567, +44 20 7946 0958") == [
        "+36301234567",
        "+442079460958",
    ]


def test_tax_numbers_are_not_taken_for_phones() -> None:
    assert extract_phones("adószám: 12345678-2-41, adóazonosító 8123456786") == []


def test_tax_numbers_in_all_three_forms() -> None:
    assert extract_tax_numbers(LETTER) == ["12345678-2-41", "HU12345678", "8123456786"]
    assert extract_tax_numbers("12345678 2 41") == ["12345678-2-41"]


@pytest.mark.parametrize(
    ("digits", "valid"),
    [("8123456786", True), ("8123456787", False), ("7123456786", False), ("812345678", False),
     ("8765432100", False), ("8234567896", True)],
)  # fmt: skip
def test_adoazonosito_check_digit(digits: str, valid: bool) -> None:
    """The 10th digit is the sum of digit*position over the first nine, modulo 11."""
    assert is_valid_adoazonosito(digits) is valid


def test_adoazonosito_with_wrong_check_digit_is_not_extracted() -> None:
    assert extract_tax_numbers("adóazonosító jel: 8123456787") == []


def test_customer_ids_default_and_custom_pattern() -> None:
    assert extract_customer_ids(LETTER) == ["CM-10482"]
    assert extract_customer_ids("cm-123 and CM-1234 and XCM-55555") == ["CM-1234"]
    assert extract_customer_ids("ügyfél #A-77 és #A-78", pattern=r"#A-\d+") == ["#A-77", "#A-78"]


def test_usernames_after_keywords() -> None:
    assert extract_usernames(LETTER) == ["kjanos"]
    text = "My username is JSmith. Login: j.smith-2; user name = js@x. I can't login to the page"
    assert extract_usernames(text) == ["jsmith", "j.smith-2", "js@x"]
    assert extract_usernames("a felhasználónév: „kovi77”") == ["kovi77"]


def test_domains_mentioned_not_email_domains_or_files() -> None:
    assert extract_domains(LETTER) == ["pelda.hu", "példa.eu"]
    assert extract_domains("about example.hu, see https://shop.example.com/x?y=1") == [
        "example.hu",
        "shop.example.com",
    ]
    assert extract_domains("file report.pdf, e.g. this, i.e. that") == []
