"""Which customer a message is from or about, with the evidence for it.

Candidates (addresses, phones, tax numbers, ids, usernames, domains, names)
are extracted from the sender and from what the sender wrote now (subject,
new text, signature; never the quoted history, which a hijacked thread
brings along), then looked up in one indexed query on customer_keys. Each
hit is evidence with a strength; the strongest evidence decides the level,
and a tie between customers is reported as ambiguous rather than guessed.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from inbox_triage.customers.records import (
    canonical_email,
    email_domain,
    is_company_form,
    name_tokens,
    normalise_domain,
    normalise_email,
    normalise_name,
    normalise_name_tokens,
)
from inbox_triage.db.models import Customer, CustomerKey
from inbox_triage.mail.parsed import ParsedMail
from inbox_triage.nlp.extract import (
    DEFAULT_CUSTOMER_ID_PATTERN,
    extract_customer_ids,
    extract_domains,
    extract_emails,
    extract_phones,
    extract_tax_numbers,
    extract_usernames,
)

log = logging.getLogger(__name__)

LEVELS = ("strong", "probable", "weak", "ambiguous", "none")
_SCORE = {"strong": 100, "medium": 10, "weak": 1}
_TIER = {"strong": "strong", "medium": "probable", "weak": "weak"}
_MAX_TEXT = 6000
_MAX_NGRAM = 4
_MAX_COMPANY_WORDS = 6


@dataclass(frozen=True)
class Lookup:
    """One candidate to look up: what it is evidence of, and how strong."""

    evidence: str
    key_kind: str
    value: str
    strength: str


@dataclass(frozen=True)
class MatchResult:
    """The matched customer ids (several when ambiguous), the level and all evidence."""

    customer_ids: list[str]
    level: str
    evidence: list[dict[str, str]] = field(default_factory=list)

    @property
    def customer_id(self) -> str | None:
        """The one matched customer, or None when there is none or it is ambiguous."""
        return self.customer_ids[0] if len(self.customer_ids) == 1 else None

    @property
    def candidate_ids(self) -> list[str]:
        """Every customer any evidence points to (for flags and staff review)."""
        return list(dict.fromkeys(item["customer_id"] for item in self.evidence))


def match_message(
    session: Session,
    parsed: ParsedMail,
    customer_id_pattern: str = DEFAULT_CUSTOMER_ID_PATTERN,
    region: str = "HU",
) -> MatchResult:
    """Match a parsed message to customer records by indexed lookups of its candidates."""
    lookups = message_lookups(parsed, customer_id_pattern, region)
    hits = _query(session, lookups)
    result = decide(_evidence(lookups, hits))
    log.debug("match: level=%s customers=%d evidence=%d", result.level,
              len(result.customer_ids), len(result.evidence))  # fmt: skip
    return result


def load_customers(session: Session, customer_ids: Iterable[str]) -> list[Customer]:
    """The customer rows for these ids, in the given order."""
    wanted = list(dict.fromkeys(customer_ids))
    if not wanted:
        return []
    rows = session.scalars(select(Customer).where(Customer.customer_id.in_(wanted))).all()
    by_id = {row.customer_id: row for row in rows}
    return [by_id[c] for c in wanted if c in by_id]


def message_lookups(
    parsed: ParsedMail, customer_id_pattern: str = DEFAULT_CUSTOMER_ID_PATTERN, region: str = "HU"
) -> list[Lookup]:
    """Every candidate of the message, from its sender and the sender's own text."""
    lookups: list[Lookup] = []
    sender = normalise_email(parsed.sender)
    if sender:
        lookups.append(Lookup("from_address", "email", sender, "strong"))
        lookups.append(Lookup("from_address_variant", "email_canon", canonical_email(sender),
                              "medium"))  # fmt: skip
        if domain := email_domain(sender):
            lookups.append(Lookup("sender_domain", "domain", domain, "medium"))
    if parsed.from_address and (display := normalise_name(parsed.from_address.name)):
        lookups.append(Lookup("display_name", "name", display, "weak"))
    text = "\n".join((parsed.subject, parsed.new_text, parsed.signature))[:_MAX_TEXT]
    lookups += _text_lookups(text, sender, customer_id_pattern, region)
    return lookups


def _text_lookups(text: str, sender: str | None, pattern: str, region: str) -> list[Lookup]:
    found = [Lookup("mentioned_address", "email", a, "medium")
             for a in map(normalise_email, extract_emails(text)) if a and a != sender]  # fmt: skip
    found += [Lookup("phone", "phone", p, "medium") for p in extract_phones(text, region)]
    found += [Lookup("tax_number", "tax", t, "strong") for t in extract_tax_numbers(text)]
    found += [Lookup("customer_id", "customer_id", c, "strong")
              for c in extract_customer_ids(text, pattern)]  # fmt: skip
    found += [Lookup("username", "username", u, "medium") for u in extract_usernames(text)]
    found += [Lookup("domain", "domain", d, "medium")
              for d in map(normalise_domain, extract_domains(text)) if d]  # fmt: skip
    found += [Lookup("name", "name", n, "weak") for n in name_candidates(text)]
    return found


def name_candidates(text: str) -> set[str]:
    """Normalised word runs that could be a name: 2-4 words, or the words before 'Kft.'."""
    tokens = name_tokens(text)
    candidates: set[str] = set()
    for start in range(len(tokens)):
        for size in range(2, _MAX_NGRAM + 1):
            if start + size <= len(tokens):
                candidates.add(normalise_name_tokens(tokens[start : start + size]))
        if is_company_form(tokens[start]):
            for size in range(1, min(start, _MAX_COMPANY_WORDS) + 1):
                candidates.add(normalise_name_tokens(tokens[start - size : start]))
    candidates.discard("")
    return candidates


def _query(session: Session, lookups: Sequence[Lookup]) -> list[tuple[str, str, str]]:
    """(kind, value, customer_id) for every key that equals a candidate: one indexed query."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for lookup in lookups:
        wanted[lookup.key_kind].add(lookup.value)
    if not wanted:
        return []
    condition = or_(*(and_(CustomerKey.kind == kind, CustomerKey.value.in_(sorted(values)))
                      for kind, values in wanted.items()))  # fmt: skip
    statement = (
        select(CustomerKey.kind, CustomerKey.value, Customer.customer_id)
        .join(Customer, Customer.id == CustomerKey.customer_row_id)
        .where(condition)
    )
    return [tuple(row) for row in session.execute(statement)]


def _evidence(lookups: Sequence[Lookup], hits: Sequence[tuple[str, str, str]]) -> list[dict]:
    by_key: dict[tuple[str, str], list[Lookup]] = defaultdict(list)
    for lookup in lookups:
        by_key[(lookup.key_kind, lookup.value)].append(lookup)
    evidence: dict[tuple[str, str, str], dict[str, str]] = {}
    for kind, value, customer_id in hits:
        for lookup in by_key.get((kind, value), []):
            item = {"kind": lookup.evidence, "value": value, "customer_id": customer_id,
                    "strength": lookup.strength}  # fmt: skip
            evidence.setdefault((customer_id, lookup.evidence, value), item)
    exact = {cid for cid, kind, _ in evidence if kind == "from_address"}
    named = {(cid, value) for cid, kind, value in evidence if kind == "display_name"}
    return [
        item for (cid, kind, value), item in evidence.items()
        if not (kind == "from_address_variant" and cid in exact)
        and not (kind == "name" and (cid, value) in named)
    ]  # fmt: skip


def decide(evidence: list[dict[str, str]]) -> MatchResult:
    """Level from the strongest evidence; equal best customers make the match ambiguous."""
    if not evidence:
        return MatchResult([], "none", [])
    scores: dict[str, int] = defaultdict(int)
    best: dict[str, int] = defaultdict(int)
    for item in evidence:
        points = _SCORE[item["strength"]]
        scores[item["customer_id"]] += points
        best[item["customer_id"]] = max(best[item["customer_id"]], points)
    ranked = sorted(scores, key=lambda cid: (-best[cid], -scores[cid], cid))
    top = ranked[0]
    tier = [cid for cid in ranked if best[cid] == best[top]]
    rivals = [cid for cid in tier if scores[cid] == scores[top] or best[top] == _SCORE["strong"]]
    order = {cid: i for i, cid in enumerate(ranked)}
    evidence = sorted(evidence, key=lambda e: (order[e["customer_id"]], -_SCORE[e["strength"]]))
    if len(rivals) > 1:
        return MatchResult(rivals, "ambiguous", evidence)
    strength = next(s for s, p in _SCORE.items() if p == best[top])
    return MatchResult([top], _TIER[strength], evidence)
