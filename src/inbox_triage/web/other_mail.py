"""Mail that opened no case: what the classifier was unsure about comes first to staff.

By default only `other` messages marked needs_review are listed (the ones a
person must look at); `everything` lists all other mail not in a case.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.db.models import Message

SNIPPET_CHARS = 600
MAX_ROWS = 500


@dataclass(frozen=True)
class OtherMessage:
    """One message of the "other mail" list."""

    id: int
    received_at: datetime
    from_name: str | None
    from_address: str | None
    subject: str | None
    language: str | None
    needs_review: bool
    snippet: str
    top_scores: list[tuple[str, float]]

    def to_json(self) -> dict[str, Any]:
        """The API's form (time as ISO string)."""
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        data["top_scores"] = [{"right": r, "score": s} for r, s in self.top_scores]
        return data


def other_messages(session: Session, everything: bool = False) -> list[OtherMessage]:
    """Newest first: `other` mail needing review, or all `other` mail outside cases."""
    query = select(Message).where(Message.kind == "other", Message.case_id.is_(None))
    if not everything:
        query = query.where(Message.needs_review.is_(True))
    query = query.order_by(Message.receipt_at.desc(), Message.id.desc()).limit(MAX_ROWS)
    return [_row(message) for message in session.scalars(query)]


def _row(message: Message) -> OtherMessage:
    parsed = message.parsed or {}
    text = str(parsed.get("new_text") or "")
    scores = {k: float(v) for k, v in (message.scores or {}).items() if isinstance(v, int | float)}
    top = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:3]
    return OtherMessage(
        id=message.id,
        received_at=message.received_at,
        from_name=message.from_name,
        from_address=message.from_address,
        subject=message.subject,
        language=message.language,
        needs_review=message.needs_review,
        snippet=text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""),
        top_scores=top,
    )
