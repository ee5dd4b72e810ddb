"""Normalisation of customer data and the lookup keys built from it.

Every value that matching looks for is stored once more in a canonical form
(lower-cased address, E.164 phone, accent- and order-free name...) so a
message is matched by indexed equality lookups, never by scanning customers.
The same functions normalise what is extracted from a message, so both sides
always agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import phonenumbers

from inbox_triage.db.models import Customer
from inbox_triage.nlp.extract import is_valid_adoazonosito

DEFAULT_REGION = "HU"
KEY_KINDS = ("email", "email_canon", "phone", "tax", "username", "customer_id", "domain", "name")
MAX_KEY_LENGTH = 255

_EMAIL = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_NAME_TOKEN = re.compile(r"[^\W\d_]+|\d+")
# fmt: off
_COMPANY_FORMS = frozenset({
    "kft", "bt", "zrt", "nyrt", "rt", "kkt", "ev", "kht", "nkft", "ltd", "llc", "inc", "gmbh",
    "plc", "corp", "co", "limited",
})
# fmt: on
_LONG_FORMS = (
    (re.compile(r"\bkorlatolt felelossegu tarsasag\b"), " kft "),
    (re.compile(r"\bzartkoruen mukodo reszvenytarsasag\b"), " zrt "),
    (re.compile(r"\bnyilvanosan mukodo reszvenytarsasag\b"), " nyrt "),
    (re.compile(r"\breszvenytarsasag\b"), " rt "),
    (re.compile(r"\bbeteti tarsasag\b"), " bt "),
    (re.compile(r"\bkozkereseti tarsasag\b"), " kkt "),
    (re.compile(r"\begyeni vallalkozo\b"), " ev "),
    (re.compile(r"\be\.\s*v\b\.?"), " ev "),
)
_MAY_HAVE_LONG_FORM = re.compile(r"tarsasag|vallalkozo|e\.")
_TITLES = frozenset(["dr", "mr", "mrs", "ms", "miss", "prof"])


def fold(text: str) -> str:
    """Case- and accent-free text: 'Kovács' and 'KOVACS' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1 << 16)  # a few mail domains (gmail.com...) recur in every import
def normalise_domain(value: str | None, strip_www: bool = True) -> str | None:
    """A domain in lower-case ASCII (IDN as punycode), without scheme, path (or www.)."""
    text = (value or "").strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/")[0].rstrip(".")
    if strip_www:
        text = text.removeprefix("www.")
    if not text or "." not in text:
        return None
    try:
        ascii_domain = text if text.isascii() else text.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if not all(_DOMAIN_LABEL.match(label) for label in labels):
        return None
    return ascii_domain


def normalise_email(value: str | None) -> str | None:
    """A lower-cased address with an ASCII domain, or None when it is not an address."""
    text = (value or "").strip().lower().removeprefix("mailto:")
    if not _EMAIL.fullmatch(text):
        return None
    local, _, domain = text.rpartition("@")
    ascii_domain = normalise_domain(domain, strip_www=False)
    return f"{local}@{ascii_domain}" if ascii_domain and local else None


def canonical_email(address: str) -> str:
    """The mailbox behind plus-addressing and Gmail dots: weaker evidence than equality."""
    local, _, domain = address.rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def email_domain(address: str | None) -> str | None:
    """The domain part of an address, normalised."""
    if not address or "@" not in address:
        return None
    return normalise_domain(address.rpartition("@")[2], strip_www=False)


@lru_cache(maxsize=1 << 17)  # an import validates, then builds keys: parse each number once
def normalise_phone(value: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form (+36301234567), or None when the text is not a possible number."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def tax_keys(value: str | None) -> list[str]:
    """Lookup forms of a tax number: adószám 8-1-2, its EU VAT form, adóazonosító jel."""
    compact = re.sub(r"[\s./-]", "", (value or "").upper())
    if not compact:
        return []
    if re.fullmatch(r"\d{11}", compact):
        return [f"{compact[:8]}-{compact[8]}-{compact[9:]}", f"HU{compact[:8]}"]
    if re.fullmatch(r"HU\d{8}", compact) or is_valid_adoazonosito(compact):
        return [compact]
    return [compact[:MAX_KEY_LENGTH]]


def name_tokens(value: str | None) -> list[str]:
    """Folded word tokens of a name; long company forms become short ones ('kft', 'ev')."""
    folded = fold(value or "")
    if _MAY_HAVE_LONG_FORM.search(folded):
        for pattern, short in _LONG_FORMS:
            folded = pattern.sub(short, folded)
    return _NAME_TOKEN.findall(folded)


def is_company_form(token: str) -> bool:
    """Kft., Bt., Zrt., Ltd. and the like, as folded tokens."""
    return token in _COMPANY_FORMS


def normalise_name_tokens(tokens: Iterable[str]) -> str:
    """Order-free form of name tokens without company forms or titles."""
    kept = sorted(t for t in tokens if t not in _COMPANY_FORMS and t not in _TITLES)
    return " ".join(kept)[:MAX_KEY_LENGTH]


def normalise_name(value: str | None) -> str:
    """'Kovács János' and 'janos kovacs' both become 'janos kovacs'; 'Példa Kft.' is 'pelda'."""
    return normalise_name_tokens(name_tokens(value))


def normalise_username(value: str | None) -> str:
    """Usernames compare case-insensitively."""
    return (value or "").strip().casefold()[:MAX_KEY_LENGTH]


def normalise_customer_id(value: str | None) -> str:
    """Customer ids compare case-insensitively (cm-10482 is CM-10482)."""
    return (value or "").strip().upper()[:MAX_KEY_LENGTH]


def on_file_addresses(customer: Customer | Mapping[str, Any]) -> set[str]:
    """The addresses a disclosure may go to: the customer's and the contact person's."""
    get = _getter(customer)
    found = (normalise_email(get("email")), normalise_email(get("contact_email")))
    return {a for a in found if a}


def customer_keys(customer: Customer | Mapping[str, Any]) -> set[tuple[str, str]]:
    """Every (kind, normalised value) that should find this customer."""
    get = _getter(customer)
    keys: set[tuple[str, str]] = set()
    for address in on_file_addresses(customer):
        keys |= {("email", address[:MAX_KEY_LENGTH]), ("email_canon", canonical_email(address))}
    for field in ("phone", "contact_phone"):
        if phone := normalise_phone(get(field)):
            keys.add(("phone", phone))
    keys |= {("tax", value) for value in tax_keys(get("tax_number"))}
    keys |= {("domain", d) for d in map(normalise_domain, get("domains") or []) if d}
    for kind, value in (
        ("username", normalise_username(get("username"))),
        ("customer_id", normalise_customer_id(get("customer_id"))),
        ("name", normalise_name(get("name"))),
        ("name", normalise_name(get("contact_name"))),
    ):
        if value:
            keys.add((kind, value))
    return {(kind, value[:MAX_KEY_LENGTH]) for kind, value in keys}


def _getter(customer: Customer | Mapping[str, Any]) -> Any:
    if isinstance(customer, Mapping):
        return customer.get
    return lambda field: getattr(customer, field, None)
