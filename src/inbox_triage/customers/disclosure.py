"""The one disclosure rule every draft and outgoing message passes through.

Personal data goes only to an address already on file for the matched
customer, and only when the requester's identity is verified. Anything else
must be a verification request (when there is a customer to verify against)
or a neutral acknowledgement that neither confirms nor denies that the
requester is a customer. Keeping the rule in one function means there is one
place to read, test and audit it.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import getaddresses

from inbox_triage.customers.identity import VERIFIED
from inbox_triage.customers.records import normalise_email, on_file_addresses
from inbox_triage.db.models import Customer

VERIFICATION_REQUEST = "verification_request"
NEUTRAL_ACKNOWLEDGEMENT = "neutral_acknowledgement"


@dataclass(frozen=True)
class DisclosureDecision:
    """Whether the message may go as drafted; if not, which reply it must be instead."""

    allowed: bool
    required_reply: str | None
    reason: str


def check_disclosure(
    recipient: str, customer: Customer | None, identity: str, contains_personal_data: bool
) -> DisclosureDecision:
    """Allow personal data only to an on-file address of a verified customer."""
    if not contains_personal_data:
        return DisclosureDecision(True, None, "no personal data in the message")
    if customer is None:
        return _refuse(NEUTRAL_ACKNOWLEDGEMENT, "no customer record matched")
    fallback = VERIFICATION_REQUEST if on_file_addresses(customer) else NEUTRAL_ACKNOWLEDGEMENT
    address = _single_address(recipient)
    if address is None:
        return _refuse(fallback, "the recipient is not exactly one valid address")
    if address not in on_file_addresses(customer):
        return _refuse(fallback, "the recipient is not an address on file for the customer")
    if identity != VERIFIED:
        return _refuse(fallback, "the requester's identity is not verified")
    return DisclosureDecision(True, None, "verified customer, recipient on file")


def _refuse(required_reply: str, reason: str) -> DisclosureDecision:
    return DisclosureDecision(False, required_reply, reason)


def _single_address(recipient: str) -> str | None:
    """The one address in 'Name <addr>' or 'addr'; None for lists, injection or garbage."""
    if not recipient or any(ch in recipient for ch in "\r\n\x00"):
        return None
    addresses = [a for _, a in getaddresses([recipient]) if a]
    if len(addresses) != 1:
        return None
    return normalise_email(addresses[0])
