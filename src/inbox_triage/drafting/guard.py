"""The one gate that every draft and every outgoing message passes.

The rule itself is `customers.disclosure.check_disclosure`; this module
decides what to feed it. A message counts as carrying personal data when it
was drafted as such *or* when its text or attachments contain an identifier
of a customer the case points to (phone, tax number, postal address, e-mail
address, customer ID, username), so an edited draft or a tampered outbox row
is judged by what it actually says. Data of any customer other than the
case's own verified one never passes. Names are not scanned: a greeting
with the name the requester signed with discloses nothing.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterable, Sequence
from email.utils import getaddresses
from typing import Any

from sqlalchemy.orm import Session

from inbox_triage.customers.disclosure import DisclosureDecision, check_disclosure
from inbox_triage.customers.identity import UNVERIFIED
from inbox_triage.customers.matching import load_customers
from inbox_triage.customers.records import (
    normalise_email,
    normalise_phone,
    on_file_addresses,
    tax_keys,
)
from inbox_triage.db.models import Case, Customer
from inbox_triage.drafting.export import attachment_bytes
from inbox_triage.nlp.extract import extract_phones

_COMPACT = re.compile(r"[\s./-]")
_MIN_TOKEN = 4
_MIN_ADDRESS = 6


def customer_for_case(session: Session, case: Case | None) -> Customer | None:
    """The case's matched customer, or None (no match, or ambiguous)."""
    if case is None or not case.customer_id:
        return None
    found = load_customers(session, [case.customer_id])
    return found[0] if found else None


def related_customers(session: Session, case: Case | None) -> list[Customer]:
    """Every customer the case's evidence points to: whose data a reply could leak."""
    if case is None:
        return []
    ids = [item.get("customer_id") for item in case.evidence or [] if isinstance(item, dict)]
    return load_customers(session, [i for i in ids if i and i != case.customer_id])


def check_outgoing(
    session: Session,
    case: Case | None,
    recipients: Sequence[str],
    declared_personal: bool,
    texts: Iterable[str],
) -> DisclosureDecision:
    """Allowed only when every recipient may receive everything the message carries."""
    recipients = [r for r in recipients if r and r.strip()]
    if not recipients:
        return DisclosureDecision(False, "neutral_acknowledgement", "the message has no recipient")
    customer = customer_for_case(session, case)
    identity = case.identity if case is not None else UNVERIFIED
    others = related_customers(session, case)
    text = "\n".join(texts)
    for recipient in recipients:
        found = bool(customer is not None and personal_data_in(text, customer, recipient))
        decision = check_disclosure(recipient, customer, identity, declared_personal or found)
        if not decision.allowed:
            return decision
        for other in others:
            if personal_data_in(text, other, recipient):
                refused = check_disclosure(recipient, other, UNVERIFIED, True)
                return DisclosureDecision(
                    False, refused.required_reply, "the message carries another customer's data"
                )
    return DisclosureDecision(True, None, "checked: " + decision.reason)


def carries_personal_data(session: Session, case: Case | None, recipient: str,
                          texts: Iterable[str]) -> bool:  # fmt: skip
    """Whether the text names any identifier of a customer the case points to."""
    text = "\n".join(texts)
    people = [customer_for_case(session, case), *related_customers(session, case)]
    return any(personal_data_in(text, person, recipient) for person in people if person)


def personal_data_in(text: str, customer: Customer, recipient: str | None = None) -> list[str]:
    """Which kinds of the customer's identifiers appear in the text (none: empty list)."""
    folded = " ".join(text.casefold().split())
    compact = _COMPACT.sub("", text.upper())
    own = normalise_email(_single(recipient)) if recipient else None
    kinds: list[str] = []
    if any(a in folded for a in on_file_addresses(customer) if a != own):
        kinds.append("email")
    for kind, value, minimum in (
        ("address", customer.billing_address, _MIN_ADDRESS),
        ("address", customer.postal_address, _MIN_ADDRESS),
        ("customer_id", customer.customer_id, _MIN_TOKEN),
        ("username", customer.username, _MIN_TOKEN),
    ):
        needle = " ".join((value or "").casefold().split())
        if len(needle) >= minimum and _contains_token(folded, needle):
            kinds.append(kind)
    if any(len(key) >= 8 and _COMPACT.sub("", key) in compact
           for key in tax_keys(customer.tax_number)):  # fmt: skip
        kinds.append("tax_number")
    if _has_phone(text, folded, customer):
        kinds.append("phone")
    return list(dict.fromkeys(kinds))


def _contains_token(haystack: str, needle: str) -> bool:
    """The needle as a whole token run (a username 'anna' is not found inside 'hanna')."""
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def _has_phone(text: str, folded: str, customer: Customer) -> bool:
    values = [v for v in (customer.phone, customer.contact_phone) if v and v.strip()]
    if not values:
        return False
    if any(" ".join(v.casefold().split()) in folded for v in values):
        return True
    wanted = {normalise_phone(v) for v in values} - {None}
    return bool(wanted & set(extract_phones(text)))


def _single(recipient: str) -> str:
    addresses = [a for _, a in getaddresses([recipient]) if a]
    return addresses[0] if len(addresses) == 1 else ""


def draft_texts(
    subject: str, body_text: str, body_html: str, attachments: Sequence[dict[str, Any]]
) -> list[str]:
    """Everything of a draft that would leave the house, as text."""
    texts = [subject, body_text, body_html]
    for item in attachments:
        texts += [item.get("name", ""), attachment_bytes(item).decode("utf-8", "replace")]
    return texts


def message_texts(raw: bytes) -> tuple[list[str], list[str]]:
    """The decoded subject, parts and attachments of a built message; and its header recipients."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    texts = [str(message.get("Subject", ""))]
    for part in message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        texts.append(content if isinstance(content, str) else content.decode("utf-8", "replace"))
        texts.append(part.get_filename() or "")
    headers = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return texts, [a for _, a in getaddresses(headers) if a]
