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

# The pipelines' eleventh output: "is this a privacy request at all?", trained on
# every right's examples together. It is never a right itself (metrics.PrivacyGate).
PRIVACY_REQUEST = "privacy_request"
MODEL_LABELS: tuple[str, ...] = (*RIGHTS, PRIVACY_REQUEST)

DISCLOSING_RIGHTS = frozenset({"access", "portability", "information"})
