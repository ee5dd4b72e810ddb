"""Case states and the transitions the workflow allows, in one place."""

from __future__ import annotations

from inbox_triage.errors import WorkflowError

STATES = (
    "new",
    "awaiting_verification",
    "in_progress",
    "awaiting_approval",
    "extended",
    "refused",
    "replied",
    "closed",
)
OPEN_STATES = frozenset(STATES) - {"closed"}

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset(
        {
            "awaiting_verification",
            "in_progress",
            "awaiting_approval",
            "extended",
            "refused",
            "closed",
        }
    ),
    "awaiting_verification": frozenset(
        {"in_progress", "awaiting_approval", "extended", "refused", "closed"}
    ),
    "in_progress": frozenset(
        {"awaiting_verification", "awaiting_approval", "extended", "refused", "closed"}
    ),
    "awaiting_approval": frozenset({"in_progress", "replied", "extended", "refused", "closed"}),
    "extended": frozenset(
        {"in_progress", "awaiting_verification", "awaiting_approval", "refused", "closed"}
    ),
    "refused": frozenset({"replied", "closed"}),
    "replied": frozenset({"in_progress", "closed"}),
    "closed": frozenset({"in_progress"}),
}


def check_transition(current: str, target: str) -> None:
    """Raise WorkflowError unless the workflow allows current -> target."""
    if target not in TRANSITIONS:
        raise WorkflowError(f"unknown case state {target!r}")
    if target not in TRANSITIONS.get(current, frozenset()):
        raise WorkflowError(f"a case in state {current!r} cannot move to {target!r}")
