"""Authentication-Results parsing (RFC 8601) and identity assurance."""

from __future__ import annotations

import pytest

from inbox_triage.customers.identity import (
    assess_identity,
    has_forged_authentication_results,
    parse_authentication_results,
    trusted_authentication_results,
)
from inbox_triage.customers.matching import load_customers

TRUSTED = ["mx1.clmaster.eu"]
SENDER = "Kovács János <kovacs.janos@gmail.com>"


@pytest.fixture
def janos(customers_db):
    return load_customers(customers_db, ["CM-10001"])[0]


def test_parse_rfc8601_example_with_comments_and_versions() -> None:
    header = (
        "Authentication-Results: MX1.clmaster.eu 1;\r\n"
        "  dkim/1=pass (good signature) header.d=example.com header.i=@example.com\r\n"
        "   header.b=Ab/c+9de;\r\n"
        '  spf = fail reason="IP not (really) listed" smtp.mailfrom=bounce@example.net;\r\n'
        "  dmarc=pass (p=none dis=none) header.from=example.com"
    )
    results = parse_authentication_results(header)
    assert results is not None
    assert (results.authserv_id, results.version) == ("mx1.clmaster.eu", "1")
    dkim, spf, dmarc = results.results
    assert (dkim.method, dkim.result) == ("dkim", "pass")
    assert dkim.properties == {
        "header.d": "example.com",
        "header.i": "@example.com",
        "header.b": "Ab/c+9de",
    }
    assert (spf.method, spf.result, spf.reason) == ("spf", "fail", "IP not (really) listed")
    assert spf.properties["smtp.mailfrom"] == "bounce@example.net"
    assert (dmarc.result, dmarc.properties["header.from"]) == ("pass", "example.com")


def test_parse_no_result_and_comment_before_id() -> None:
    results = parse_authentication_results("(comment) mx1.clmaster.eu; none")
    assert results is not None
    assert (results.authserv_id, results.results) == ("mx1.clmaster.eu", ())
    assert parse_authentication_results("   ") is None


def test_only_the_topmost_trusted_run_counts() -> None:
    """GIVEN a trusted header below an untrusted one WHEN filtered THEN it is ignored."""
    headers = [
        "internal.clmaster.eu; dkim=none",
        "mx1.clmaster.eu; dkim=fail header.d=gmail.com",
        "evil.example; dmarc=pass header.from=gmail.com",
        "mx1.clmaster.eu; dmarc=pass header.from=gmail.com",
    ]
    block = trusted_authentication_results(headers, TRUSTED)
    assert [r.results[0].result for r in block] == ["fail"]
    assert has_forged_authentication_results(headers, TRUSTED)
    assert not has_forged_authentication_results(headers[1:2], TRUSTED)


@pytest.mark.parametrize(
    ("header", "method"),
    [
        ("mx1.clmaster.eu; dmarc=pass header.from=gmail.com", "dmarc"),
        ("mx1.clmaster.eu; dkim=pass header.d=gmail.com", "dkim"),
        ("mx1.clmaster.eu; dkim=pass header.i=@gmail.com", "dkim"),
        ("mx1.clmaster.eu; spf=pass smtp.mailfrom=kovacs.janos@gmail.com", "spf"),
        ("mx1.clmaster.eu; spf=pass smtp.mailfrom=gmail.com", "spf"),
        ("MX1.CLMASTER.EU; dmarc=none; dkim=pass header.d=GMAIL.com", "dkim"),
    ],
)
def test_verified_from_on_file_address_with_aligned_pass(janos, mail, header, method) -> None:
    assessment = assess_identity(mail(SENDER, auth=[header]), janos, TRUSTED)
    assert (assessment.state, assessment.method) == ("verified", method)
    assert assessment.verified


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("mx1.clmaster.eu; dmarc=fail header.from=gmail.com; dkim=pass header.d=gmail.com",
         "DMARC result is fail"),
        ("mx1.clmaster.eu; dkim=pass header.d=evil.example", "DKIM passed only for a domain"),
        ("mx1.clmaster.eu; spf=pass smtp.mailfrom=bounce@evil.example", "SPF passed only"),
        ("mx1.clmaster.eu; spf=pass smtp.helo=gmail.com", "SPF passed only"),
        ("mx1.clmaster.eu; dkim=fail header.d=gmail.com; spf=softfail", "no DKIM or SPF pass"),
        ("mx1.clmaster.eu; dmarc=pass header.from=evil.example", "no DKIM or SPF pass"),
        ("mx1.clmaster.eu; none", "no DKIM or SPF pass"),
        ("evil.example; dmarc=pass header.from=gmail.com", "no Authentication-Results"),
    ],
)  # fmt: skip
def test_unverified_without_trusted_aligned_pass(janos, mail, header, reason) -> None:
    assessment = assess_identity(mail(SENDER, auth=[header]), janos, TRUSTED)
    assert assessment.state == "unverified"
    assert reason in assessment.reason


def test_unverified_when_sender_not_on_file(janos, mail, dmarc_pass) -> None:
    message = mail("Kovács János <kj@evil.example>", auth=[dmarc_pass("evil.example")])
    assessment = assess_identity(message, janos, TRUSTED)
    assert assessment.state == "unverified"
    assert assessment.reason == "From address is not on file for this customer"


def test_address_variants_are_not_enough(janos, mail, dmarc_pass) -> None:
    message = mail("kovacs.janos+x@gmail.com", auth=[dmarc_pass("gmail.com")])
    assessment = assess_identity(message, janos, TRUSTED)
    assert assessment.state == "unverified"
    assert "variant" in assessment.reason


def test_no_customer_or_no_trusted_ids(janos, mail, dmarc_pass) -> None:
    message = mail(SENDER, auth=[dmarc_pass("gmail.com")])
    assert assess_identity(message, None, TRUSTED).reason == "no customer record matched"
    assert assess_identity(message, janos, []).state == "unverified"
    assert assess_identity(mail("", auth=[dmarc_pass("gmail.com")]), janos, TRUSTED).state == (
        "unverified"
    )


def test_forged_copy_below_the_mtas_own_header_is_ignored(janos, mail) -> None:
    """GIVEN the MTA's dmarc=fail on top of a forged pass with the same id THEN unverified."""
    headers = [
        "mx1.clmaster.eu; dmarc=fail header.from=gmail.com",
        "mx1.clmaster.eu; dmarc=pass header.from=gmail.com; dkim=pass header.d=gmail.com",
    ]
    assert assess_identity(mail(SENDER, auth=headers), janos, TRUSTED).state == "unverified"
    headers = ["mx1.clmaster.eu; spf=fail smtp.mailfrom=gmail.com", headers[1]]
    assert assess_identity(mail(SENDER, auth=headers), janos, TRUSTED).state == "unverified"


def test_completed_challenge_verifies(janos, mail) -> None:
    """GIVEN a requester who completed the challenge WHEN assessed THEN verified by challenge."""
    assessment = assess_identity(mail("x@elsewhere.example"), janos, TRUSTED, True)
    assert (assessment.state, assessment.method) == ("verified", "challenge")
