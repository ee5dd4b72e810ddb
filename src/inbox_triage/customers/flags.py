"""Warning flags for staff: signs that someone is impersonating a customer.

Flags never decide anything on their own (identity.py and disclosure.py do);
they tell the person approving a reply what to look at. Names are stable,
because cases store them and the UI and digest show them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from inbox_triage.customers.identity import has_forged_authentication_results
from inbox_triage.customers.matching import MatchResult
from inbox_triage.customers.records import (
    email_domain,
    fold,
    normalise_domain,
    normalise_email,
    normalise_name,
    on_file_addresses,
)
from inbox_triage.db.models import Customer
from inbox_triage.mail.parsed import ParsedMail
from inbox_triage.nlp.extract import extract_emails

FLAGS = (
    "reply_to_differs",
    "send_to_other_address",
    "display_name_spoof",
    "lookalike_domain",
    "header_injection",
    "forged_authentication_results",
)

_SEND_ELSEWHERE = re.compile(
    r"kuldj\w*|kuldd\w*|kuldeni|tovabbit\w*|\b(erre|ezen|ezt|az alabbi|a kovetkezo|masik|uj)"
    r" (az? )?(e-?mail ?)?cim|\bcimre\b|\buj (e-?mail ?)?cimem"
    r"|\b(send|forward|mail|email|e-mail|deliver|reply|respond|write|copy)\b[^.\n]{0,40}\bto\b"
    r"|\b(new|other|another|different|private|personal) (e-?mail )?address|\binstead\b",
)
_INJECTION = re.compile(r"[\r\n\x00]")
_CONFUSABLES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "і": "i", "ј": "j",
    "ԁ": "d", "ɡ": "g", "ӏ": "l", "ℓ": "l", "ο": "o", "α": "a", "ν": "v", "τ": "t", "ι": "i",
    "κ": "k", "ѕ": "s", "ԛ": "q", "ԝ": "w", "ı": "i", "0": "o", "1": "l", "|": "l",
})  # fmt: skip
_MULTI_CONFUSABLES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
# fmt: off
_FREEMAIL = frozenset({
    "gmail.com", "googlemail.com", "mail.com", "gmx.com", "gmx.net", "gmx.de", "freemail.hu",
    "citromail.hu", "yahoo.com", "outlook.com", "hotmail.com", "live.com", "icloud.com",
    "me.com", "t-online.hu", "t-online.de", "upcmail.hu", "vipmail.hu", "indamail.hu",
    "proton.me", "protonmail.com", "aol.com", "web.de",
})
# fmt: on


def impersonation_flags(
    parsed: ParsedMail,
    match: MatchResult,
    customers: Sequence[Customer],
    trusted_authserv_ids: Sequence[str] = (),
) -> list[str]:
    """Stable flag names, in FLAGS order.

    `customers` are the records the match points to (`load_customers(session,
    match.candidate_ids)`); their names, addresses and domains are what a spoof imitates.
    """
    relevant = list(customers)
    checks = {
        "reply_to_differs": _reply_to_differs(parsed),
        "send_to_other_address": _send_to_other_address(parsed, relevant),
        "display_name_spoof": _display_name_spoof(parsed, relevant) or _spoof_evidence(match),
        "lookalike_domain": _lookalike_sender(parsed, relevant),
        "header_injection": _header_injection(parsed),
        "forged_authentication_results": has_forged_authentication_results(
            parsed.authentication_results, trusted_authserv_ids
        ),
    }
    return [name for name in FLAGS if checks[name]]


def _reply_to_differs(parsed: ParsedMail) -> bool:
    sender = normalise_email(parsed.sender)
    return any(normalise_email(r.address) != sender for r in parsed.reply_to)


def _send_to_other_address(parsed: ParsedMail, customers: Sequence[Customer]) -> bool:
    """An address not on file in the sender's text, with words asking to send there."""
    text = f"{parsed.subject}\n{parsed.new_text}"
    on_file = set().union(*(on_file_addresses(c) for c in customers))
    others = [a for a in map(normalise_email, extract_emails(text)) if a and a not in on_file]
    return bool(others) and _SEND_ELSEWHERE.search(fold(text)) is not None


def _display_name_spoof(parsed: ParsedMail, customers: Sequence[Customer]) -> bool:
    """The display name is a customer's name (or another address) but the address is not."""
    if parsed.from_address is None:
        return False
    sender = normalise_email(parsed.from_address.address)
    display = parsed.from_address.name or ""
    if any(a != sender for a in map(normalise_email, extract_emails(display)) if a):
        return True
    shown = normalise_name(display)
    if not shown:
        return False
    imitated = [
        c for c in customers if shown in {normalise_name(c.name), normalise_name(c.contact_name)}
    ]
    return bool(imitated) and not any(sender in on_file_addresses(c) for c in imitated)


def _spoof_evidence(match: MatchResult) -> bool:
    """The match found a customer by display name only, not by the From address."""
    named = {e["customer_id"] for e in match.evidence if e["kind"] == "display_name"}
    sent = {e["customer_id"] for e in match.evidence if e["kind"] == "from_address"}
    return bool(named) and not named & sent


def _header_injection(parsed: ParsedMail) -> bool:
    addresses = [parsed.from_address, *parsed.reply_to, *parsed.to, *parsed.cc]
    fields = [parsed.subject, *(v for a in addresses if a for v in (a.name, a.address))]
    return any(_INJECTION.search(value or "") for value in fields)


def _lookalike_sender(parsed: ParsedMail, customers: Sequence[Customer]) -> bool:
    sender_domain = email_domain(normalise_email(parsed.sender))
    if not sender_domain:
        return False
    targets = set(_customer_domains(customers))
    if sender_domain in targets:
        return False
    return any(is_lookalike_domain(sender_domain, target) for target in targets)


def _customer_domains(customers: Iterable[Customer]) -> Iterable[str]:
    for customer in customers:
        for address in on_file_addresses(customer):
            if domain := email_domain(address):
                yield domain
        yield from (d for d in map(normalise_domain, customer.domains or []) if d)


def is_lookalike_domain(candidate: str, target: str) -> bool:
    """Within edit distance 1-2, a homoglyph/IDN confusable, or the target as a prefix."""
    if candidate == target or candidate.endswith("." + target):
        return False
    if candidate in _FREEMAIL and target in _FREEMAIL:
        return False
    if candidate.startswith(target + "."):
        return True
    shown, wanted = _unicode(candidate), _unicode(target)
    if skeleton(shown) == skeleton(wanted):
        return True
    tail = ".".join(shown.split(".")[-len(wanted.split(".")) :])
    limit = 1 if len(wanted) < 8 else 2
    return any(0 < edit_distance(text, wanted) <= limit for text in {shown, tail})


def _unicode(domain: str) -> str:
    try:
        return domain.encode("ascii").decode("idna")
    except UnicodeError:
        return domain


def skeleton(domain: str) -> str:
    """A rough confusable skeleton: 'pеlda.hu' (Cyrillic e), 'peIda', 'rn' for 'm' look alike."""
    text = unicodedata.normalize("NFKD", domain.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_CONFUSABLES)
    for many, one in _MULTI_CONFUSABLES:
        text = text.replace(many, one)
    return text


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance: swaps count as one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
