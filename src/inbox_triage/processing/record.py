"""Writing a message's outcome back to its row."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from inbox_triage.context import AppContext
from inbox_triage.db.models import Message
from inbox_triage.db.session import transaction
from inbox_triage.errors import StorageError, StorageFullError

if TYPE_CHECKING:
    from inbox_triage.pipeline import MessageWork

log = logging.getLogger(__name__)
_ERROR_LIMIT = 2000


def processed(row: Message, work: MessageWork, now: datetime) -> None:
    """Copy what the stages found onto the row and mark it processed."""
    parsed = work.parsed
    if parsed is not None:
        row.from_address = parsed.sender
        row.from_name = parsed.from_address.name if parsed.from_address else None
        row.subject = parsed.subject
        row.parsed = parsed.to_json()
    row.language = work.language
    if work.classification is not None:
        row.rights = list(work.classification.rights)
        row.scores = dict(work.classification.scores)
        row.needs_review = work.classification.needs_review
    row.kind = work.kind
    row.state = "processed"
    row.stage = "done"
    row.error = None
    row.attempts += 1
    row.processed_at = now
    row.next_attempt_at = None


def failed(app: AppContext, message_row_id: int, stage: str, error: BaseException) -> None:
    """Record the failure with its stage and schedule a retry with back-off.

    A full disk is not the message's fault: it is retried without counting an
    attempt, so mail stored before the disk filled is processed once space is freed.
    """
    now = app.clock()
    text = f"{stage}: {type(error).__name__}: {error}"[:_ERROR_LIMIT]
    try:
        with transaction(app.sessions) as session:
            row = session.get(Message, message_row_id)
            if row is None:
                return
            row.state = "failed"
            row.stage = stage
            row.error = text
            if not isinstance(error, StorageFullError):  # a full disk must not use up attempts
                row.attempts += 1
            doublings = min(max(row.attempts - 1, 0), 8)
            delay = app.settings.processor.retry_delay_seconds * 2**doublings
            row.next_attempt_at = now + timedelta(seconds=delay)
    except StorageError as db_error:  # the database is down or full: retried later as it is
        log.warning("could not record the failure of message %s: %s", message_row_id, db_error)
    except Exception:
        log.exception("could not record the failure of message %s", message_row_id)
