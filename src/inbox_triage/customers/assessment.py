"""Who is asking: the match, identity assurance and impersonation flags of one message.

One call for the pipeline's `match` stage, so the policy of how a sender is
judged reads in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from inbox_triage.customers.flags import impersonation_flags
from inbox_triage.customers.identity import IdentityAssessment, assess_identity
from inbox_triage.customers.matching import MatchResult, load_customers, match_message
from inbox_triage.mail.parsed import ParsedMail


@dataclass(frozen=True)
class SenderAssessment:
    """The outcome recorded on the case: customer, level, evidence, identity, flags."""

    match: MatchResult
    identity: IdentityAssessment
    flags: list[str] = field(default_factory=list)

    @property
    def customer_id(self) -> str | None:
        return self.match.customer_id

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "customer_ids": self.match.customer_ids,
            "match_level": self.match.level,
            "evidence": self.match.evidence,
            "identity": self.identity.state,
            "identity_reason": self.identity.reason,
            "flags": self.flags,
        }


def assess_sender(
    session: Session, parsed: ParsedMail, trusted_authserv_ids: Sequence[str]
) -> SenderAssessment:
    """Match the message to customers, assess the sender's identity, flag impersonation."""
    match = match_message(session, parsed)
    candidates = load_customers(session, match.candidate_ids)
    matched = next((c for c in candidates if c.customer_id == match.customer_id), None)
    identity = assess_identity(parsed, matched, trusted_authserv_ids)
    flags = impersonation_flags(parsed, match, candidates, trusted_authserv_ids)
    return SenderAssessment(match, identity, flags)
