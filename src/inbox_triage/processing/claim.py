"""Which stored messages are due for processing, and claiming one safely.

On PostgreSQL a message is claimed with SELECT ... FOR UPDATE SKIP LOCKED, so
several workers never process the same message at once; on SQLite the
single writer lock does the same job.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from inbox_triage.context import AppContext
from inbox_triage.db.models import Message


def _due_condition(app: AppContext):  # type: ignore[no-untyped-def]
    now = app.clock()
    return or_(
        Message.state == "received",
        and_(
            Message.state == "failed",
            Message.attempts < app.settings.processor.max_attempts,
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        ),
    )


def lock_message(session: Session, app: AppContext, message_row_id: int) -> Message | None:
    """The message row, locked for this transaction, or None if another worker has it."""
    query = (
        select(Message)
        .where(Message.id == message_row_id, _due_condition(app))
        .with_for_update(skip_locked=True)
    )
    return session.scalar(query)


def claim_next(session: Session, app: AppContext, exclude: Collection[int] = ()) -> Message | None:
    """The oldest due message nobody else holds, locked for this transaction.

    One query per claim (ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED), so several
    workers on PostgreSQL each take the next free message without re-reading
    and fighting over the same list.
    """
    query = (
        select(Message)
        .where(_due_condition(app))
        .order_by(Message.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if exclude:
        query = query.where(Message.id.not_in(list(exclude)))
    return session.scalar(query)
