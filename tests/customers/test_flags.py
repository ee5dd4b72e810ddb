"""Impersonation attempts: never verified, never given data, and flagged for staff."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from inbox_triage.customers.disclosure import check_disclosure
from inbox_triage.customers.flags import (
    FLAGS,
    edit_distance,
    impersonation_flags,
    is_lookalike_domain,
    skeleton,
)
from inbox_triage.customers.identity import assess_identity
from inbox_triage.customers.matching import MatchResult, load_customers, match_message
from inbox_triage.customers.records import normalise_domain
from inbox_triage.nlp.extract import extract_emails

TRUSTED = ["mx1.clmaster.eu"]
JANOS = "kovacs.janos@gmail.com"
GMAIL_FAIL = "mx1.clmaster.eu; dkim=none; spf=fail smtp.mailfrom=gmail.com; dmarc=fail"
CYRILLIC_PELDA = "p\u0435lda.hu"  # Cyrillic 'е'


@dataclass(frozen=True)
class Attempt:
    """One impersonation attempt against `target`, and the flags staff must see."""

    name: str
    sender: str
    text: str = "Kérem az adataimat."
    flags: tuple[str, ...] = ()
    target: str = "CM-10001"
    subject: str = "Adatkérés"
    reply_to: tuple[str, ...] = ()
    auth: tuple[str, ...] = ()
    quoted: str = ""
    extra: dict[str, str] = field(default_factory=dict)


ATTEMPTS = [
    Attempt("spoofed From without authentication", f"Kovács János <{JANOS}>"),
    Attempt("spoofed From, DMARC fail at our MTA", JANOS, auth=(GMAIL_FAIL,)),
    Attempt(
        "forged Authentication-Results from an untrusted host",
        JANOS,
        auth=("mx.evil.example; dkim=pass header.d=gmail.com; dmarc=pass header.from=gmail.com",),
        flags=("forged_authentication_results",),
    ),
    Attempt(
        "forged copy of our authserv-id below the MTA's own header",
        JANOS,
        auth=(GMAIL_FAIL, "relay.evil.example; none", "mx1.clmaster.eu; dmarc=pass"),
        flags=("forged_authentication_results",),
    ),
    Attempt(
        "authserv-id that only starts like ours",
        JANOS,
        auth=("mx1.clmaster.eu.evil.example; dmarc=pass header.from=gmail.com",),
        flags=("forged_authentication_results",),
    ),
    Attempt(
        "lookalike domain (digit for letter) with its own DMARC pass",
        "Példa Kft. <info@pe1da.hu>",
        auth=("mx1.clmaster.eu; dmarc=pass header.from=pe1da.hu",),
        flags=("display_name_spoof", "lookalike_domain"),
        target="CM-10003",
    ),
    Attempt(
        "IDN homoglyph domain",
        f"info@{CYRILLIC_PELDA}",
        text="A Példa Kft. nevében kérjük az adatainkat.",
        flags=("lookalike_domain",),
        target="CM-10003",
    ),
    Attempt(
        "swapped letters in the customer's domain",
        "office@alfabtea.hu",
        text="Az Alfa Beta Trade Zrt. ügyvezetője vagyok.",
        flags=("lookalike_domain",),
        target="CM-10006",
    ),
    Attempt(
        "customer's domain as a prefix of the attacker's",
        "office@alfabeta.hu.mailer.example",
        text="Az Alfa Beta Trade Zrt. adatait kérem, ügyfélszám CM-10006.",
        flags=("lookalike_domain",),
        target="CM-10006",
    ),
    Attempt(
        "Reply-To to another address",
        f"Kovács János <{JANOS}>",
        reply_to=("Kovács János <kj.private@protonmail.com>",),
        flags=("reply_to_differs",),
    ),
    Attempt(
        "küldjék erre a címre",
        "Kovács János <kovacs.janos.uj@gmail.com>",
        text="Kérem küldjék erre a címre az adataimat: kovacs.janos.uj@gmail.com",
        flags=("send_to_other_address", "display_name_spoof"),
    ),
    Attempt(
        "please send it to my new address",
        "jkovacs.new@outlook.com",
        text="Hi, this is János Kovács (CM-10001). I lost my old mailbox, please send it to"
        " my new address jkovacs.new@outlook.com",
        flags=("send_to_other_address",),
    ),
    Attempt(
        "a stranger quoting a customer's name and phone",
        "stranger@yahoo.com",
        text="Kovács János nevében írok, telefonszáma +36 30 123 4567. Kérem az adatait.",
    ),
    Attempt(
        "display-name spoofing",
        "Kovács János <janos.k1977@yahoo.com>",
        flags=("display_name_spoof",),
    ),
    Attempt(
        "an address as the display name",
        f'"{JANOS}" <evil@evil.example>',
        flags=("display_name_spoof",),
    ),
    Attempt(
        "hijacked thread",
        "attacker@evil.example",
        text="Igen, kérem küldjék el a számlákat erre a címre: attacker@evil.example",
        quoted="> Kovács János\n> CM-10001\n> +36 30 123 4567",
        flags=("send_to_other_address",),
    ),
    Attempt(
        "header injection in the subject",
        JANOS,
        subject="Adatkérés\r\nBcc: evil@evil.example",
        flags=("header_injection",),
    ),
    Attempt(
        "header injection in the display name",
        "Kovács János\r\nReply-To: evil@evil.example <kovacs.janos@gmail.com>",
        flags=("display_name_spoof", "header_injection"),
    ),
    Attempt(
        "DKIM pass for another domain",
        JANOS,
        auth=("mx1.clmaster.eu; dkim=pass header.d=evil.example; spf=none",),
    ),
    Attempt(
        "SPF pass of an unaligned envelope domain",
        JANOS,
        auth=("mx1.clmaster.eu; spf=pass smtp.mailfrom=bounces@evil.example",),
    ),
    Attempt(
        "plus-addressed variant with a genuine DMARC pass",
        "kovacs.janos+secure@gmail.com",
        auth=("mx1.clmaster.eu; dmarc=pass header.from=gmail.com",),
    ),
    Attempt(
        "customer's mail domain as a subdomain prefix",
        "Kovács János <kovacs.janos@gmail.com.evil.example>",
        flags=("display_name_spoof", "lookalike_domain"),
    ),
    Attempt(
        "ambiguous name from an unknown address",
        "Varga Péter <vp@evil.example>",
        flags=("display_name_spoof",),
        target="CM-10011",
    ),
    Attempt(
        "a colleague at the customer's domain with a genuine DMARC pass",
        "anna@pelda.hu",
        auth=("mx1.clmaster.eu; dmarc=pass header.from=pelda.hu",),
        target="CM-10003",
    ),
]


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=[a.name for a in ATTEMPTS])
def test_impersonation_attempt(customers_db, mail, attempt: Attempt) -> None:
    """GIVEN an impersonation attempt WHEN matched, assessed and flagged
    THEN identity is unverified, no personal data may go anywhere, and staff see the flags."""
    parsed = mail(attempt.sender, attempt.text, attempt.subject, attempt.reply_to, attempt.auth,
                  attempt.quoted)  # fmt: skip
    match = match_message(customers_db, parsed)
    candidates = load_customers(customers_db, match.candidate_ids)
    target = load_customers(customers_db, [attempt.target])[0]

    for customer in {target, *candidates}:
        assert assess_identity(parsed, customer, TRUSTED).state == "unverified"
    identity = assess_identity(parsed, target, TRUSTED)

    written = [parsed.sender, *(r.address for r in parsed.reply_to), *extract_emails(attempt.text)]
    for recipient in {*written, "evil@evil.example", target.email}:
        decision = check_disclosure(recipient, target, identity.state, True)
        assert not decision.allowed, recipient
        assert decision.required_reply == "verification_request"

    assert impersonation_flags(parsed, match, candidates, TRUSTED) == list(attempt.flags)


def test_there_are_at_least_fifteen_attempts() -> None:
    assert len(ATTEMPTS) >= 15
    assert {flag for a in ATTEMPTS for flag in a.flags} == set(FLAGS)


def test_genuine_customer_raises_no_flags(customers_db, mail, dmarc_pass) -> None:
    """GIVEN the customer writing from the on-file address WHEN checked THEN verified, no flags."""
    parsed = mail(f"Kovács János <{JANOS}>", "Kérem az adataimat.", auth=[dmarc_pass("gmail.com")])
    match = match_message(customers_db, parsed)
    customers = load_customers(customers_db, match.candidate_ids)
    assert impersonation_flags(parsed, match, customers, TRUSTED) == []
    assert assess_identity(parsed, customers[0], TRUSTED).state == "verified"


def test_verified_customer_asking_for_reply_to_elsewhere(customers_db, mail, dmarc_pass) -> None:
    """GIVEN a verified customer with a Reply-To WHEN disclosing THEN only the on-file address."""
    parsed = mail(JANOS, "Válaszoljanak ide.", reply_to=["other@protonmail.com"],
                  auth=[dmarc_pass("gmail.com")])  # fmt: skip
    janos = load_customers(customers_db, ["CM-10001"])[0]
    identity = assess_identity(parsed, janos, TRUSTED).state
    assert identity == "verified"
    assert not check_disclosure("other@protonmail.com", janos, identity, True).allowed
    assert check_disclosure(JANOS, janos, identity, True).allowed
    match = match_message(customers_db, parsed)
    assert impersonation_flags(parsed, match, [janos], TRUSTED) == ["reply_to_differs"]


def test_flags_need_no_customers_for_header_checks(mail) -> None:
    parsed = mail("a@b.hu", subject="x\ny", auth=["other.example; none"])
    flags = impersonation_flags(parsed, MatchResult([], "none"), [], TRUSTED)
    assert flags == ["header_injection", "forged_authentication_results"]


@pytest.mark.parametrize(
    ("candidate", "target", "expected"),
    [
        ("pe1da.hu", "pelda.hu", True),
        ("pelda.hu", "pelda.hu", False),
        ("mail.pelda.hu", "pelda.hu", False),
        ("pleda.hu", "pelda.hu", True),
        ("peldaa.hu", "pelda.hu", True),
        ("exarnple.com", "example.com", True),
        ("example.co", "example.com", True),
        ("exampel.org", "example.com", False),
        ("pelda.hu.evil.example", "pelda.hu", True),
        ("mail.com", "gmail.com", False),
        ("gmai1.com", "gmail.com", True),
        ("teljesenmas.hu", "pelda.hu", False),
    ],
)
def test_lookalike_domains(candidate: str, target: str, expected: bool) -> None:
    assert is_lookalike_domain(candidate, target) is expected


def test_idn_homoglyph_is_a_lookalike() -> None:
    punycode = normalise_domain(CYRILLIC_PELDA)
    assert punycode is not None and punycode.startswith("xn--")
    assert is_lookalike_domain(punycode, "pelda.hu")
    assert skeleton(CYRILLIC_PELDA) == skeleton("pelda.hu")
    assert edit_distance("alfabtea", "alfabeta") == 1
    assert edit_distance("kitten", "sitting") == 3
