"""Find identifiers in free text: addresses, phones, tax numbers, ids, usernames, domains.

Extraction is generous on purpose: matching looks every candidate up exactly in
an index, so a false candidate costs one lookup, never a wrong match. Results
are normalised (lower-cased addresses, E.164 phones, canonical tax numbers) and
de-duplicated in order of appearance.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers

DEFAULT_CUSTOMER_ID_PATTERN = r"\bCM-\d{4,}\b"

EMAIL_RE = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[^\W_][\w-]*(?:\.[\w-]+)+", re.UNICODE)
_ADOSZAM = re.compile(r"(?<![\d-])(\d{8})[- ]([1-5])[- ](\d{2})(?![\d-])")
_EU_VAT = re.compile(r"\bHU ?(\d{8})\b", re.IGNORECASE)
_ADOAZONOSITO = re.compile(r"(?<![\d+-])(8\d{9})(?![\d-])")
_USERNAME = re.compile(
    r"(?:felhaszn[áa]l[óo]\s*n[ée]v(?:em|e)?|felhaszn[áa]l[óo](?:m|i)?|bejelentkez[ée]si\s+n[ée]v"
    r"|user\s*name|user\s*id|login(?:\s+name)?)"
    r"\W{0,3}(?:(?:is|was|az|a|pedig|:|=|-)\W{0,3})*"
    r"([^\W_][\w.@+-]{1,63})",
    re.IGNORECASE,
)
# fmt: off
_USERNAME_STOP = frozenset({
    "to", "my", "the", "with", "for", "and", "or", "in", "on", "at", "page", "nem", "is", "a",
    "az", "es", "of", "into", "as", "it", "this",
})
# fmt: on
_DOMAIN = re.compile(
    r"(?<![\w@.+-])((?:[^\W_][\w-]{0,62}\.)+(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{2,59}))"
    r"(?![\w-]|\.[^\W_])",
    re.IGNORECASE,
)
# fmt: off
_GENERIC_TLDS = frozenset({
    "com", "net", "org", "info", "biz", "edu", "gov", "int", "mil", "eu", "io", "co", "app",
    "dev", "shop", "online", "site", "store", "tech", "cloud", "ai", "me", "tv", "xyz", "top",
    "club", "pro", "name", "mobi", "asia", "email", "digital", "agency", "media", "studio",
    "world", "live", "news", "blog", "art", "design", "solutions", "services", "consulting",
    "group", "company", "center", "systems", "network", "software", "host", "website", "space",
    "fun", "global", "today",
})
# fmt: on


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def extract_emails(text: str) -> list[str]:
    """E-mail addresses, lower-cased, trailing punctuation removed."""
    found = (m.group(0).rstrip(".-").lower() for m in EMAIL_RE.finditer(text or ""))
    return _unique(a for a in found if "@" in a and "." in a.rpartition("@")[2])


def is_valid_adoazonosito(digits: str) -> bool:
    """The 10-digit Hungarian tax ID of a person: starts with 8, weighted check digit."""
    if len(digits) != 10 or not digits.isdigit() or digits[0] != "8":
        return False
    total = sum(int(d) * weight for weight, d in enumerate(digits[:9], start=1))
    return total % 11 != 10 and total % 11 == int(digits[9])


def extract_tax_numbers(text: str) -> list[str]:
    """Adószám (12345678-2-41), EU VAT (HU12345678) and valid adóazonosító jel (8xxxxxxxxx)."""
    text = text or ""
    found: list[tuple[int, str]] = []
    found += [(m.start(), f"{m[1]}-{m[2]}-{m[3]}") for m in _ADOSZAM.finditer(text)]
    found += [(m.start(), f"HU{m[1]}") for m in _EU_VAT.finditer(text)]
    found += [
        (m.start(), m[1]) for m in _ADOAZONOSITO.finditer(text) if is_valid_adoazonosito(m[1])
    ]
    return _unique(value for _, value in sorted(found))


def extract_phones(text: str, region: str = "HU") -> list[str]:
    """Phone numbers in E.164; digits that are tax numbers are not taken for phones."""
    text = text or ""
    taxes = {re.sub(r"\D", "", t) for t in extract_tax_numbers(text)}
    numbers = []
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
    for match in matcher:
        if re.sub(r"\D", "", match.raw_string) in taxes:
            continue
        numbers.append(
            phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        )
    return _unique(numbers)


@lru_cache(maxsize=16)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def extract_customer_ids(text: str, pattern: str = DEFAULT_CUSTOMER_ID_PATTERN) -> list[str]:
    """Customer ids such as CM-10482, upper-cased; the pattern is the company's id format."""
    return _unique(m.group(0).upper() for m in _compiled(pattern).finditer(text or ""))


def extract_usernames(text: str) -> list[str]:
    """Words after "felhasználónév", "username", "login" and the like, case-folded."""
    names = (m[1].rstrip(".,;:!?").casefold() for m in _USERNAME.finditer(text or ""))
    return _unique(n for n in names if len(n) > 1 and n not in _USERNAME_STOP)


def extract_domains(text: str) -> list[str]:
    """Domain names written in the text ("about example.hu", URLs), not e-mail domains."""
    found = []
    for match in _DOMAIN.finditer(text or ""):
        domain = match[1].lower().rstrip(".")
        domain = domain.removeprefix("www.")
        tld = domain.rpartition(".")[2]
        if len(tld) == 2 or tld in _GENERIC_TLDS or tld.startswith("xn--"):
            found.append(domain)
    return _unique(d for d in found if "." in d)
