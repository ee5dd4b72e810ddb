"""Repeated requests: the same customer asking for the same right again.

While a case for that right is open, the new request joins it (recorded as a
repeat); shortly after it was closed, a new case is opened and linked to the
earlier one so staff can weigh Art. 12(5) (manifestly unfounded or excessive
requests) knowingly.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.cases.states import OPEN_STATES
from inbox_triage.db.models import Case


def open_case_for(session: Session, customer_id: str | None, rights: Set[str]) -> Case | None:
    """The customer's open case covering any of these rights, if there is one."""
    if customer_id is None:
        return None
    query = (
        select(Case)
        .where(Case.customer_id == customer_id, Case.status.in_(OPEN_STATES))
        .order_by(Case.opened_at)
    )
    return next((c for c in session.scalars(query) if rights & set(c.rights)), None)


def recently_closed_case_for(
    session: Session, customer_id: str | None, rights: Set[str], now: datetime, window_days: int
) -> Case | None:
    """The customer's case for any of these rights closed within the window, newest first."""
    if customer_id is None:
        return None
    since = now - timedelta(days=window_days)
    query = (
        select(Case)
        .where(
            Case.customer_id == customer_id,
            Case.status == "closed",
            Case.closed_at.is_not(None),
            Case.closed_at >= since,
        )
        .order_by(Case.closed_at.desc())
    )
    return next((c for c in session.scalars(query) if rights & set(c.rights)), None)
