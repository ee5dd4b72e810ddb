"""Human-friendly case references (GDPR-2026-0042), never repeated.

The per-year counter row is locked for the transaction (FOR UPDATE on
PostgreSQL, the database write lock on SQLite), so concurrent workers
cannot hand out the same number.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_triage.db.models import CaseCounter

REFERENCE_PATTERN = re.compile(r"\b([A-Z]{2,10})-(\d{4})-(\d{4,})\b")


def next_reference(session: Session, prefix: str, year: int) -> str:
    """Reserve the next number of `year` and format it."""
    counter = _locked_counter(session, year)
    counter.last_number += 1
    session.flush()
    return f"{prefix}-{year}-{counter.last_number:04d}"


def _locked_counter(session: Session, year: int) -> CaseCounter:
    query = select(CaseCounter).where(CaseCounter.year == year).with_for_update()
    counter = session.scalar(query)
    if counter is not None:
        return counter
    try:
        with session.begin_nested():
            session.add(CaseCounter(year=year, last_number=0))
    except IntegrityError:
        pass
    counter = session.scalar(query.execution_options(populate_existing=True))
    assert counter is not None
    return counter


def references_in(text: str, prefix: str) -> list[str]:
    """Case references of this installation mentioned in a subject or body."""
    return [
        match.group(0)
        for match in REFERENCE_PATTERN.finditer(text or "")
        if match.group(1) == prefix
    ]
