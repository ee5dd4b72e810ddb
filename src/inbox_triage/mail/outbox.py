"""The outbox: approved messages sent over SMTP with retry, and never twice.

A row is claimed (`queued` -> `sending`, committed) before its SMTP
transaction starts, and the disclosure rule is checked again in that same
transaction against the bytes that will actually go out. A row still
`sending` long after its claim belongs to a process that died mid-transaction:
it becomes `uncertain` for staff and is never resent automatically.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inbox_triage.cases.audit import append_event
from inbox_triage.context import AppContext
from inbox_triage.customers.disclosure import DisclosureDecision
from inbox_triage.customers.records import normalise_email
from inbox_triage.db.models import Case, Draft, OutboxMessage
from inbox_triage.db.session import transaction
from inbox_triage.drafting import guard
from inbox_triage.drafting.export import attachment_bytes
from inbox_triage.errors import NotFoundError, WorkflowError
from inbox_triage.mail import send

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)
_MSG_ID = re.compile(r"<[^<>\s]+>")
UNCERTAIN_NOTE = "the sending process stopped during the SMTP transaction; check the relay's log"


@dataclass(frozen=True)
class Claim:
    """What the SMTP transaction needs, read in the claiming transaction."""

    row_id: int
    recipients: list[str]
    raw: bytes


def enqueue_draft(session: Session, app: AppContext, draft: Draft) -> OutboxMessage:
    """Build the message bytes now (what staff approved is what goes) and queue them."""
    settings = app.settings.outgoing
    now = app.clock()
    message_id = send.new_message_id(settings)
    parent = _first_message_id(draft.case)
    files = [send.Attachment(a["name"], a["content_type"], attachment_bytes(a))
             for a in draft.attachments]  # fmt: skip
    raw = send.build_message(settings, [draft.recipient], draft.subject, draft.body_text,
                             draft.body_html, files, message_id, now, in_reply_to=parent,
                             references=[parent] if parent else [])  # fmt: skip
    row = OutboxMessage(
        draft_id=draft.id, case_id=draft.case_id, kind=draft.kind, recipients=[draft.recipient],
        subject=draft.subject, raw=raw, message_id=message_id, state="queued", attempts=0,
        contains_personal_data=draft.contains_personal_data, next_attempt_at=now, created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def enqueue_message(
    session: Session, app: AppContext, kind: str, recipients: Sequence[str], subject: str,
    text: str, html: str = "", case: Case | None = None, contains_personal_data: bool = False,
) -> OutboxMessage:  # fmt: skip
    """Queue mail that is not a case draft (the staff digest, say); it passes the same re-check.

    Without a case nothing identifies a data subject, so such mail must not be declared
    as carrying personal data: the re-check would refuse it.
    """
    settings = app.settings.outgoing
    now = app.clock()
    message_id = send.new_message_id(settings)
    raw = send.build_message(settings, recipients, subject, text, html, [], message_id, now)
    row = OutboxMessage(
        draft_id=None, case_id=case.id if case else None, kind=kind, recipients=list(recipients),
        subject=subject, raw=raw, message_id=message_id, state="queued", attempts=0,
        contains_personal_data=contains_personal_data, next_attempt_at=now, created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def _first_message_id(case: Case) -> str | None:
    first = case.messages[0] if case.messages else None
    found = _MSG_ID.search(first.message_id or "") if first else None
    return found.group(0) if found else None


def send_due(app: AppContext) -> dict[str, int]:
    """`outbox send`: send every due message once; returns the run's summary."""
    counts = {"sent": 0, "failed": 0, "uncertain": _mark_stale(app), "deferred": 0}
    for row_id in _due_ids(app):
        claim = _claim(app, row_id)
        if claim is None:
            continue
        if isinstance(claim, DisclosureDecision):
            counts["failed"] += 1
            continue
        delivery = send.deliver(app.settings.outgoing, claim.recipients, claim.raw)
        counts[_record(app, row_id, delivery)] += 1
    with transaction(app.sessions) as session:
        remaining = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == "queued")
        )
    log.info("outbox run: sent=%d failed=%d uncertain=%d deferred=%d remaining=%d",
             counts["sent"], counts["failed"], counts["uncertain"], counts["deferred"],
             remaining)  # fmt: skip
    return {"sent": counts["sent"], "failed": counts["failed"],
            "uncertain": counts["uncertain"], "deferred": counts["deferred"],
            "remaining": int(remaining or 0)}  # fmt: skip


def _due_ids(app: AppContext) -> list[int]:
    with transaction(app.sessions) as session:
        return list(session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.state == "queued", OutboxMessage.next_attempt_at <= app.clock())
            .order_by(OutboxMessage.id)
        ))  # fmt: skip


def stale_after(app: AppContext) -> timedelta:
    """How long a claim may last before its process is presumed dead."""
    return timedelta(seconds=max(300, 10 * app.settings.outgoing.timeout_seconds))


def _mark_stale(app: AppContext) -> int:
    """Rows left `sending` by a crash become `uncertain`: maybe delivered, so never resent."""
    now = app.clock()
    with transaction(app.sessions) as session:
        rows = session.scalars(select(OutboxMessage).where(
            OutboxMessage.state == "sending", OutboxMessage.claimed_at < now - stale_after(app)
        )).all()  # fmt: skip
        for row in rows:
            row.state, row.last_error, row.next_attempt_at = "uncertain", UNCERTAIN_NOTE, None
            _audit(session, app, row, "send_failed", outcome="uncertain", error=UNCERTAIN_NOTE)
            log.warning("outbox %s left sending by a stopped process: now uncertain", row.id)
        return len(rows)


def _claim(app: AppContext, row_id: int) -> Claim | DisclosureDecision | None:
    """Claim and commit before any SMTP; re-check disclosure on the bytes themselves."""
    now = app.clock()
    with transaction(app.sessions) as session:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.state == "queued")
            .values(state="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
        if claimed.rowcount != 1:
            return None  # another worker has it
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        decision = recheck(session, row)
        if not decision.allowed:
            row.state, row.next_attempt_at = "failed", None
            row.last_error = f"blocked by the disclosure rule: {decision.reason}"
            _audit(session, app, row, "send_failed", outcome="blocked", error=row.last_error)
            log.warning("outbox %s blocked by the disclosure rule", row.id)
            return decision
        return Claim(row.id, list(row.recipients), row.raw)


def recheck(session: Session, row: OutboxMessage) -> DisclosureDecision:
    """The disclosure rule on what will actually be sent, whoever edited what before."""
    case = session.get(Case, row.case_id) if row.case_id is not None else None
    texts, named = guard.message_texts(row.raw)
    envelope = {normalise_email(r) for r in row.recipients}
    if any(normalise_email(address) not in envelope for address in named):
        return DisclosureDecision(False, None, "the headers name a recipient outside the envelope")
    return guard.check_outgoing(session, case, row.recipients, row.contains_personal_data, texts)


def _record(app: AppContext, row_id: int, delivery: send.Delivery) -> str:
    """Store the outcome of one attempt; returns the summary bucket it counts in."""
    now = app.clock()
    settings = app.settings.outgoing
    with transaction(app.sessions) as session:
        row = session.get(OutboxMessage, row_id)
        assert row is not None
        if delivery.outcome == send.SENT:
            _mark_sent(session, app, row, now)
            return "sent"
        if row.state != "sending":
            return "uncertain"  # declared uncertain meanwhile; a person decides
        row.last_error = delivery.error
        if delivery.outcome == send.RETRY and row.attempts < settings.max_attempts:
            row.state, row.next_attempt_at = "queued", now + _backoff(app, row.attempts)
            _audit(session, app, row, "send_failed", outcome="retry", error=delivery.error,
                   next_attempt_at=row.next_attempt_at.isoformat())  # fmt: skip
            log.info("outbox %s attempt %d deferred", row.id, row.attempts)
            return "deferred"
        row.next_attempt_at = None
        row.state = "uncertain" if delivery.outcome == send.UNCERTAIN else "failed"
        _audit(session, app, row, "send_failed", outcome=row.state, error=delivery.error)
        log.warning("outbox %s attempt %d: %s", row.id, row.attempts, row.state)
        return row.state


def _mark_sent(session: Session, app: AppContext, row: OutboxMessage, now: datetime,
               actor: str = "system", **extra: Any) -> None:  # fmt: skip
    row.state, row.sent_at, row.next_attempt_at, row.last_error = "sent", now, None, None
    draft = session.get(Draft, row.draft_id) if row.draft_id is not None else None
    if draft is not None:
        draft.state, draft.sent_at = "sent", now
    _audit(session, app, row, "sent", actor=actor, **extra)
    log.info("outbox %s sent after %d attempt(s)", row.id, row.attempts)


def _backoff(app: AppContext, attempts: int) -> timedelta:
    """retry_delay_seconds, doubled after each failed attempt, at most six hours."""
    delay = timedelta(seconds=app.settings.outgoing.retry_delay_seconds * 2 ** (attempts - 1))
    return min(delay, MAX_BACKOFF)


def _audit(session: Session, app: AppContext, row: OutboxMessage, kind: str,
           actor: str = "system", **extra: Any) -> None:  # fmt: skip
    if row.case_id is None:
        return
    case = session.get(Case, row.case_id)
    assert case is not None
    details = {"outbox": row.id, "draft": row.draft_id, "message_id": row.message_id,
               "attempts": row.attempts} | extra  # fmt: skip
    append_event(session, case, kind, app.clock(), details, actor=actor)


def get_row(session: Session, outbox_id: int) -> OutboxMessage:
    """The outbox row with this id, or a NotFoundError naming it."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None:
        raise NotFoundError(f"no outbox message with id {outbox_id}")
    return row


def confirm_delivered(session: Session, app: AppContext, outbox_id: int, actor: str) -> None:
    """Staff checked the relay: an uncertain message did arrive."""
    row = get_row(session, outbox_id)
    if row.state != "uncertain":
        raise WorkflowError(f"outbox message {outbox_id} is {row.state}, not uncertain")
    _mark_sent(session, app, row, app.clock(), actor=actor, confirmed_by_staff=True)


def requeue(session: Session, app: AppContext, outbox_id: int, actor: str) -> None:
    """Staff decided a failed or uncertain message should be tried again (from attempt 0)."""
    row = get_row(session, outbox_id)
    if row.state not in {"failed", "uncertain"}:
        raise WorkflowError(f"outbox message {outbox_id} is {row.state}; nothing to requeue")
    row.state, row.attempts, row.next_attempt_at = "queued", 0, app.clock()
    _audit(session, app, row, "requeued", actor=actor)


def outbox_rows_of(session: Session, draft_id: int) -> list[dict[str, Any]]:
    """The outbox rows of one draft, for `drafts show`."""
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.draft_id == draft_id)
                           .order_by(OutboxMessage.id))  # fmt: skip
    return [outbox_summary(row) for row in rows]


def outbox_summary(row: OutboxMessage) -> dict[str, Any]:
    """One outbox row as JSON (no bytes)."""
    stamp = lambda value: value.isoformat() if value else None  # noqa: E731
    return {"id": row.id, "draft_id": row.draft_id, "kind": row.kind, "state": row.state,
            "attempts": row.attempts, "message_id": row.message_id,
            "next_attempt_at": stamp(row.next_attempt_at), "last_error": row.last_error,
            "created_at": stamp(row.created_at), "sent_at": stamp(row.sent_at)}  # fmt: skip
