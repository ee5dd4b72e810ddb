"""What the case page shows, gathered in one place for the template and the API.

Message bodies are the parsed text only (new text, quoted history, signature);
the raw MIME and any HTML part never reach the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.cases.actions import get_case
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, Customer, Message
from inbox_triage.nlp.labels import RIGHTS
from inbox_triage.web.assignment import assignee_of
from inbox_triage.web.auth import active_users
from inbox_triage.web.deps import local_today
from inbox_triage.web.drafts import DraftView, case_drafts
from inbox_triage.web.queue import urgency, working_days_left

_DETAIL_LIMIT = 400


@dataclass(frozen=True)
class MessageView:
    """One message of the case, as text."""

    id: int
    received_at: datetime
    from_name: str | None
    from_address: str | None
    subject: str | None
    processed: bool
    new_text: str = ""
    quoted_text: str = ""
    signature: str = ""
    html_only: bool = False
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class DeadlineRow:
    """One deadline of the case and whether it is the binding one."""

    key: str
    due: date | None
    binding: bool


@dataclass(frozen=True)
class CaseView:
    """Everything on the case page."""

    case: Case
    messages: list[MessageView]
    scores: dict[str, float]
    customer: Customer | None
    deadlines: list[DeadlineRow]
    working_days_left: int | None
    urgency: str
    assignee: str | None
    staff: list[str]
    can_extend: bool
    extension_warning: bool
    events: list[dict[str, Any]]
    drafts: list[DraftView]
    rights: tuple[str, ...] = RIGHTS


def case_view(session: Session, app: AppContext, reference: str) -> CaseView:
    """Load the case and everything shown with it (NotFoundError when unknown)."""
    case = get_case(session, reference)
    today = local_today(app)
    left = working_days_left(app, case.due, today)
    return CaseView(
        case=case,
        messages=[message_view(message) for message in case.messages],
        scores=_scores(case),
        customer=_customer(session, case.customer_id),
        deadlines=deadline_rows(case),
        working_days_left=left,
        urgency=urgency(left),
        assignee=assignee_of(session, case),
        staff=active_users(session),
        can_extend=(not case.extended and case.gdpr_due is not None and today <= case.gdpr_due),
        extension_warning=past_policy_date(case),
        events=[
            _event(event.sequence, event.kind, event.actor, event.at, event.details)
            for event in case.events
        ],
        drafts=case_drafts(session, case.id),
    )


def message_view(message: Message) -> MessageView:
    """The parsed text of a message; unprocessed ones show only their envelope."""
    parsed = message.parsed
    if not parsed:
        return MessageView(
            message.id,
            message.received_at,
            message.from_name,
            message.from_address,
            message.subject,
            processed=False,
        )
    return MessageView(
        id=message.id,
        received_at=message.received_at,
        from_name=message.from_name,
        from_address=message.from_address,
        subject=message.subject,
        processed=True,
        new_text=str(parsed.get("new_text") or ""),
        quoted_text=str(parsed.get("quoted_text") or ""),
        signature=str(parsed.get("signature") or ""),
        html_only=bool(parsed.get("html_only")),
        attachments=[a for a in parsed.get("attachments", []) if isinstance(a, dict)],
    )


def deadline_rows(case: Case) -> list[DeadlineRow]:
    """GDPR month, policy date and extension date, with the binding one marked."""
    rows = [DeadlineRow("gdpr", case.gdpr_due, not case.extended and case.basis == "gdpr")]
    if case.policy_due is not None:
        rows.append(
            DeadlineRow("policy", case.policy_due, not case.extended and case.basis == "policy")
        )
    rows.append(
        DeadlineRow("extended" if case.extended else "extendable", case.extended_due, case.extended)
    )
    return rows


def past_policy_date(case: Case) -> bool:
    """An extended case whose new date lies beyond the privacy policy's promise."""
    return bool(
        case.extended
        and case.policy_due
        and case.extended_due
        and case.extended_due > case.policy_due
    )


def _scores(case: Case) -> dict[str, float]:
    """The classifier's scores of the first message that has them."""
    for message in case.messages:
        if message.scores:
            return {
                str(k): float(v) for k, v in message.scores.items() if isinstance(v, int | float)
            }
    return {}


def _customer(session: Session, customer_id: str | None) -> Customer | None:
    if not customer_id:
        return None
    return session.scalar(select(Customer).where(Customer.customer_id == customer_id))


def _event(
    sequence: int, kind: str, actor: str, at: datetime, details: dict[str, Any]
) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "kind": kind,
        "actor": actor,
        "at": at,
        "summary": summarise(details),
    }


def summarise(details: dict[str, Any]) -> str:
    """A one-line, readable form of an event's details for the timeline."""
    parts = []
    for key, value in (details or {}).items():
        if isinstance(value, dict):
            shown = ", ".join(f"{k}={_short(v)}" for k, v in value.items())
        elif isinstance(value, list):
            shown = ", ".join(_short(v) for v in value)
        else:
            shown = _short(value)
        parts.append(f"{key}: {shown}")
    text = "; ".join(parts)
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if value is None:
        return "–"
    return str(value)
