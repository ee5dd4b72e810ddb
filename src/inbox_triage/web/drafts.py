"""What the case page and the outbox page show of drafts and outgoing mail.

Rows are read with plain column selects (never the stored message bytes), the
outbox rows of all a case's drafts in one query. The disclosure guard's verdict
is shown on every open draft, so staff see before approving that it would be
refused.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from inbox_triage.db.models import Case, Draft, OutboxMessage
from inbox_triage.drafting.compose import CODE_PLACEHOLDER
from inbox_triage.drafting.store import check_draft

OUTBOX_STATES = ("queued", "sending", "sent", "failed", "uncertain")
OUTBOX_LIMIT = 200
# The guard's reasons (customers/disclosure.py, drafting/guard.py) as catalogue keys.
REASON_KEYS = {
    "no customer record matched": "no_customer",
    "the recipient is not exactly one valid address": "bad_recipient",
    "the recipient is not an address on file for the customer": "not_on_file",
    "the requester's identity is not verified": "unverified",
    "the message carries another customer's data": "other_customer",
    "the message has no recipient": "no_recipient",
}
_ATTENTION = case(
    (OutboxMessage.state == "uncertain", 0),
    (OutboxMessage.state == "failed", 1),
    (OutboxMessage.state.in_(("queued", "sending")), 2),
    else_=3,
)


@dataclass(frozen=True)
class OutboxRow:
    """One outgoing message as staff see it (no bytes)."""

    id: int
    state: str
    kind: str
    draft_id: int | None
    case_reference: str | None
    subject: str
    recipients: list[Any]
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        """The API's form of the row (times as ISO strings)."""
        stamp = lambda value: value.isoformat() if value else None  # noqa: E731
        return {
            "id": self.id,
            "state": self.state,
            "kind": self.kind,
            "draft_id": self.draft_id,
            "case": self.case_reference,
            "subject": self.subject,
            "recipients": list(self.recipients),
            "attempts": self.attempts,
            "last_error": self.last_error,
            "created_at": stamp(self.created_at),
            "next_attempt_at": stamp(self.next_attempt_at),
            "sent_at": stamp(self.sent_at),
        }


@dataclass(frozen=True)
class DraftView:
    """One draft of the case with its outbox rows."""

    id: int
    slot: str
    kind: str
    language: str
    recipient: str
    state: str
    subject: str
    body_text: str
    contains_personal_data: bool
    disclosure_note: str | None
    reject_reason: str | None
    edited_by: str | None
    edited_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    sent_at: datetime | None
    blocked_reason: str | None
    outbox: list[OutboxRow]

    @property
    def open(self) -> bool:
        """Still editable: not approved, sent or rejected."""
        return self.state == "draft"

    @property
    def needs_code(self) -> bool:
        """A verification request whose one-time code is not filled in yet."""
        return CODE_PLACEHOLDER in self.body_text or CODE_PLACEHOLDER in self.subject


def reason_key(reason: str | None) -> str | None:
    """The catalogue key of a guard reason ("disclosure.no_customer"), None when unknown."""
    key = REASON_KEYS.get(reason or "")
    return f"disclosure.{key}" if key else None


def case_drafts(session: Session, case_id: int) -> list[DraftView]:
    """The case's drafts: open ones first, then the newest; each with its outbox rows."""
    drafts = list(
        session.scalars(
            select(Draft)
            .where(Draft.case_id == case_id)
            .order_by((Draft.state != "draft"), Draft.id.desc())
        )
    )
    outbox = _outbox_by_draft(session, [draft.id for draft in drafts])
    return [_view(session, draft, outbox.get(draft.id, [])) for draft in drafts]


def _view(session: Session, draft: Draft, outbox: list[OutboxRow]) -> DraftView:
    blocked = None
    if draft.state == "draft":
        decision = check_draft(session, draft)
        blocked = None if decision.allowed else decision.reason
    return DraftView(
        id=draft.id,
        slot=draft.slot,
        kind=draft.kind,
        language=draft.language,
        recipient=draft.recipient,
        state=draft.state,
        subject=draft.subject,
        body_text=draft.body_text,
        contains_personal_data=draft.contains_personal_data,
        disclosure_note=draft.disclosure_note,
        reject_reason=draft.reject_reason,
        edited_by=draft.edited_by,
        edited_at=draft.edited_at,
        approved_by=draft.approved_by,
        approved_at=draft.approved_at,
        sent_at=draft.sent_at,
        blocked_reason=blocked,
        outbox=outbox,
    )


def _outbox_by_draft(session: Session, draft_ids: list[int]) -> dict[int, list[OutboxRow]]:
    if not draft_ids:
        return {}
    query = _outbox_query().where(OutboxMessage.draft_id.in_(draft_ids)).order_by(OutboxMessage.id)
    grouped: dict[int, list[OutboxRow]] = defaultdict(list)
    for row in _outbox_rows(session, query):
        if row.draft_id is not None:
            grouped[row.draft_id].append(row)
    return grouped


def outbox_list(
    session: Session, state: str | None = None, limit: int = OUTBOX_LIMIT
) -> list[OutboxRow]:
    """Outgoing mail, those needing a person first (uncertain, failed), then newest first."""
    query = _outbox_query()
    if state is not None:
        query = query.where(OutboxMessage.state == state)
    return _outbox_rows(session, query.order_by(_ATTENTION, OutboxMessage.id.desc()).limit(limit))


def outbox_counts(session: Session) -> dict[str, int]:
    """How many outbox rows are in each state (every state named, zero included)."""
    counts = dict.fromkeys(OUTBOX_STATES, 0)
    query = select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    for state, count in session.execute(query):
        counts[state] = int(count)
    return counts


def outbox_row(session: Session, outbox_id: int) -> OutboxRow | None:
    """One outbox row, or None."""
    rows = _outbox_rows(session, _outbox_query().where(OutboxMessage.id == outbox_id))
    return rows[0] if rows else None


def _outbox_query() -> Any:
    return select(
        OutboxMessage.id,
        OutboxMessage.state,
        OutboxMessage.kind,
        OutboxMessage.draft_id,
        Case.reference,
        OutboxMessage.subject,
        OutboxMessage.recipients,
        OutboxMessage.attempts,
        OutboxMessage.last_error,
        OutboxMessage.created_at,
        OutboxMessage.next_attempt_at,
        OutboxMessage.sent_at,
    ).outerjoin(Case, Case.id == OutboxMessage.case_id)


def _outbox_rows(session: Session, query: Any) -> list[OutboxRow]:
    return [OutboxRow(*row) for row in session.execute(query)]
