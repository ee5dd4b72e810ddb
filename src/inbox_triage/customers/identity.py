"""Identity assurance: may the product treat the sender as the customer?

Anyone can write an Authentication-Results header, so only results written
by the company's own receiving MTA count: the topmost header whose
authserv-id is configured as trusted (RFC 8601 section 5: the MTA adds its
header on top; anything further down arrived with the message, and many MTAs
do not strip a forged copy carrying their own id). An MTA that splits its
results over several headers should put DMARC on top (OpenDMARC does) or
write one combined header (rspamd does). `verified` needs both an on-file
From address and a DKIM or SPF pass aligned with the From domain, or a
completed verification challenge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from inbox_triage.customers.records import (
    canonical_email,
    email_domain,
    normalise_domain,
    normalise_email,
    on_file_addresses,
)
from inbox_triage.db.models import Customer
from inbox_triage.mail.parsed import ParsedMail

VERIFIED = "verified"
UNVERIFIED = "unverified"

_FIELD_NAME = re.compile(r"^\s*authentication-results\s*:", re.IGNORECASE)
_PAIR = re.compile(r'([^\s=";]+)\s*=\s*("(?:\\.|[^"\\])*"|[^\s";]*)')
_DMARC_ABSENT = frozenset({"none", "bestguesspass"})


@dataclass(frozen=True)
class MethodResult:
    """One `method=result` with its reason and properties (keys like 'header.d')."""

    method: str
    result: str
    reason: str | None = None
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthenticationResults:
    """One parsed Authentication-Results header."""

    authserv_id: str
    version: str | None
    results: tuple[MethodResult, ...]


@dataclass(frozen=True)
class IdentityAssessment:
    """`verified` or `unverified`, why, and which check decided it."""

    state: str
    reason: str
    method: str | None = None

    @property
    def verified(self) -> bool:
        """True only for a verified requester."""
        return self.state == VERIFIED


def parse_authentication_results(header: str) -> AuthenticationResults | None:
    """Parse one header value per RFC 8601; None when it has no authserv-id."""
    text = _strip_comments(_FIELD_NAME.sub("", re.sub(r"\r?\n[ \t]*", " ", header or "")))
    segments = _split_outside_quotes(text, ";")
    head = segments[0].split()
    if not head:
        return None
    version = head[1] if len(head) > 1 and head[1].isdigit() else None
    results = tuple(r for r in map(_method_result, segments[1:]) if r is not None)
    return AuthenticationResults(_unquote(head[0]).lower(), version, results)


def _strip_comments(text: str) -> str:
    """Remove (possibly nested) comments, keeping quoted strings intact."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for ch in text:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
        elif ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
        elif quoted:
            out.append(ch)
            quoted = ch != '"'
        elif ch == "(":
            depth += 1
            out.append(" ")
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            quoted = ch == '"'
            out.append(ch)
    return "".join(out)


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts, current, quoted, escaped = [], [], False, False
    for ch in text:
        if ch == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _method_result(segment: str) -> MethodResult | None:
    """`method[/version]=result [reason=...] [ptype.property=value ...]`; 'none' gives None."""
    segment = re.sub(r"^\s*([\w-]+)\s*/\s*(\d+)", r"\1/\2", segment)
    pairs = [(key.lower(), _unquote(value)) for key, value in _PAIR.findall(segment)]
    if not pairs:
        return None
    (method, result), rest = pairs[0], pairs[1:]
    reason = next((value for key, value in rest if key == "reason"), None)
    properties = {key: value for key, value in rest if "." in key}
    return MethodResult(method.split("/")[0], result.lower(), reason, properties)


def trusted_authentication_results(
    headers: Sequence[str], trusted_authserv_ids: Sequence[str]
) -> list[AuthenticationResults]:
    """The topmost contiguous run of headers with a trusted authserv-id (topmost first).

    Verification reads only the first of them; the run as a whole is what the
    company's servers may have written, so only headers outside it count as forged.
    """
    trusted = {t.strip().lower() for t in trusted_authserv_ids if t.strip()}
    block: list[AuthenticationResults] = []
    for results in map(parse_authentication_results, headers):
        if results is not None and results.authserv_id in trusted:
            block.append(results)
        elif block:
            break
    return block


def has_forged_authentication_results(
    headers: Sequence[str], trusted_authserv_ids: Sequence[str]
) -> bool:
    """True when a header has an untrusted (or no) authserv-id, or sits outside the trusted run."""
    return len(trusted_authentication_results(headers, trusted_authserv_ids)) < len(headers)


def assess_identity(
    parsed: ParsedMail,
    customer: Customer | None,
    trusted_authserv_ids: Sequence[str],
    challenge_completed: bool = False,
) -> IdentityAssessment:
    """Verified only from an on-file address with aligned DKIM/SPF, or a completed challenge."""
    if customer is None:
        return IdentityAssessment(UNVERIFIED, "no customer record matched")
    if challenge_completed:
        return IdentityAssessment(VERIFIED, "verification challenge completed", "challenge")
    sender = normalise_email(parsed.sender)
    if sender is None:
        return IdentityAssessment(UNVERIFIED, "the message has no usable From address")
    on_file = on_file_addresses(customer)
    if sender not in on_file:
        if canonical_email(sender) in {canonical_email(a) for a in on_file}:
            reason = "From is only a variant (plus-addressing or dots) of an on-file address"
            return IdentityAssessment(UNVERIFIED, reason)
        return IdentityAssessment(UNVERIFIED, "From address is not on file for this customer")
    blocks = trusted_authentication_results(parsed.authentication_results, trusted_authserv_ids)
    if not blocks:
        reason = "no Authentication-Results from a trusted authserv-id"
        return IdentityAssessment(UNVERIFIED, reason)
    return _authenticated(list(blocks[0].results), email_domain(sender) or "")


def _authenticated(results: list[MethodResult], from_domain: str) -> IdentityAssessment:
    """DMARC pass decides when given; otherwise DKIM or SPF pass aligned with From."""
    dmarc = [r for r in results if r.method == "dmarc" and r.result not in _DMARC_ABSENT
             and _same(r.properties.get("header.from"), from_domain, missing_ok=True)]  # fmt: skip
    if dmarc:
        if any(r.result == "pass" for r in dmarc):
            return IdentityAssessment(VERIFIED, "DMARC pass for the From domain", "dmarc")
        return IdentityAssessment(UNVERIFIED, f"DMARC result is {dmarc[0].result}")
    dkim = [r for r in results if r.method == "dkim" and r.result == "pass"]
    if any(_same(_dkim_domain(r), from_domain) for r in dkim):
        return IdentityAssessment(VERIFIED, "DKIM pass aligned with the From domain", "dkim")
    spf = [r for r in results if r.method == "spf" and r.result == "pass"]
    if any(_same(_mailfrom_domain(r), from_domain) for r in spf):
        return IdentityAssessment(VERIFIED, "SPF pass aligned with the From domain", "spf")
    if dkim:
        return IdentityAssessment(UNVERIFIED, "DKIM passed only for a domain other than From")
    if spf:
        reason = "SPF passed only for an envelope domain other than From"
        return IdentityAssessment(UNVERIFIED, reason)
    return IdentityAssessment(UNVERIFIED, "no DKIM or SPF pass in the trusted results")


def _same(domain: str | None, from_domain: str, missing_ok: bool = False) -> bool:
    if not domain:
        return missing_ok
    return (
        bool(from_domain) and normalise_domain(domain.lstrip("@"), strip_www=False) == from_domain
    )


def _dkim_domain(result: MethodResult) -> str | None:
    if domain := result.properties.get("header.d"):
        return domain
    identity = result.properties.get("header.i", "")
    return identity.rpartition("@")[2] or None


def _mailfrom_domain(result: MethodResult) -> str | None:
    mailfrom = result.properties.get("smtp.mailfrom", "")
    return mailfrom.rpartition("@")[2] or None
