"""The disclosure rule: personal data only to an on-file address of a verified customer."""

from __future__ import annotations

import pytest

from inbox_triage.customers.disclosure import check_disclosure
from inbox_triage.db.models import Customer


@pytest.fixture
def customer() -> Customer:
    return Customer(customer_id="CM-1", name="Példa Kft.", email="info@pelda.hu",
                    contact_email="Nagy.Peter@pelda.hu", domains=["pelda.hu"])  # fmt: skip


@pytest.mark.parametrize(
    "recipient",
    ["info@pelda.hu", "INFO@Pelda.HU", "Példa Kft. <info@pelda.hu>", "nagy.peter@pelda.hu"],
)
def test_verified_customer_on_file_address_may_receive_data(customer, recipient) -> None:
    decision = check_disclosure(recipient, customer, "verified", True)
    assert (decision.allowed, decision.required_reply) == (True, None)


@pytest.mark.parametrize(
    "recipient",
    [
        "other@pelda.hu",
        "info+x@pelda.hu",
        "info@pelda.hu.evil.example",
        '"info@pelda.hu" <evil@evil.example>',
        "info@pelda.hu, evil@evil.example",
        "info@pelda.hu\r\nBcc: evil@evil.example",
        "",
        "not an address",
    ],
)
def test_non_on_file_recipients_are_refused_even_when_verified(customer, recipient) -> None:
    """GIVEN a verified customer WHEN data would go elsewhere THEN a verification request."""
    decision = check_disclosure(recipient, customer, "verified", True)
    assert not decision.allowed
    assert decision.required_reply == "verification_request"


@pytest.mark.parametrize("identity", ["unverified", "", "VERIFIED", "pending"])
def test_unverified_identity_is_refused_even_to_on_file_address(customer, identity) -> None:
    decision = check_disclosure("info@pelda.hu", customer, identity, True)
    assert (decision.allowed, decision.required_reply) == (False, "verification_request")
    assert decision.reason == "the requester's identity is not verified"


def test_no_customer_gets_a_neutral_acknowledgement() -> None:
    """GIVEN no matched customer WHEN replying THEN nothing confirms or denies a record."""
    decision = check_disclosure("someone@example.com", None, "verified", True)
    assert (decision.allowed, decision.required_reply) == (False, "neutral_acknowledgement")


def test_customer_without_on_file_address_cannot_be_verified_by_mail() -> None:
    bare = Customer(customer_id="CM-2", name="Cím Nélküli", email="", contact_email="")
    decision = check_disclosure("x@example.com", bare, "verified", True)
    assert (decision.allowed, decision.required_reply) == (False, "neutral_acknowledgement")


def test_messages_without_personal_data_may_go_anywhere(customer) -> None:
    decision = check_disclosure("stranger@example.com", None, "unverified", False)
    assert (decision.allowed, decision.required_reply) == (True, None)
