"""JSON view of every stored message (`messages list --json`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.db.models import Case, Message


def list_messages(session: Session) -> list[dict[str, Any]]:
    """Every stored message once, oldest first, without the raw bytes."""
    query = (
        select(
            Message.id,
            Message.message_id,
            Message.source,
            Message.received_at,
            Message.from_address,
            Message.subject,
            Message.state,
            Message.error,
            Case.reference,
            Message.kind,
            Message.language,
            Message.rights,
            Message.scores,
            Message.needs_review,
        )
        .outerjoin(Case, Message.case_id == Case.id)
        .order_by(Message.id)
    )
    return [
        {
            "id": row.id,
            "message_id": row.message_id,
            "source": row.source,
            "received_at": row.received_at.isoformat(),
            "from": row.from_address,
            "subject": row.subject,
            "state": row.state,
            "error": row.error,
            "case": row.reference,
            "kind": row.kind,
            "language": row.language,
            "rights": row.rights,
            "scores": row.scores,
            "needs_review": row.needs_review,
        }
        for row in session.execute(query)
    ]
