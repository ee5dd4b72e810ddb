"""The ten request labels (shared/labels.md), in one place."""

RIGHTS: tuple[str, ...] = (
    "information",
    "access",
    "rectification",
    "erasure",
    "restriction",
    "portability",
    "objection",
    "automated_decision",
    "consent_withdrawal",
    "complaint",
)

DISCLOSING_RIGHTS = frozenset({"access", "portability", "information"})
