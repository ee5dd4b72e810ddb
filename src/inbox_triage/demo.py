"""Demo data written for this project, so a new installation's queue is not empty."""

from __future__ import annotations

from sqlalchemy import select

from inbox_triage.context import AppContext
from inbox_triage.customers.csv_io import import_customers
from inbox_triage.db.models import User
from inbox_triage.db.session import transaction
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor
from inbox_triage.resources import resource_path

DEMO_USER = "demo@clmaster.eu"


def load_demo(app: AppContext) -> str:
    """Import the demo customers, store and process the demo messages (idempotent)."""
    with transaction(app.sessions) as session:
        customers = import_customers(
            session, resource_path("data", "demo", "customers.csv"), now=app.clock()
        )
    directory = resource_path("data", "demo", "messages")
    stored = 0
    for file in sorted(directory.glob("*.eml")):
        if not store_raw(app, file.read_bytes(), "cli").duplicate:
            stored += 1
    processed = Processor(app).run_pending()
    summary = (
        f"{customers.rows} demo customer(s), {stored} new demo message(s), {processed} processed"
    )
    password = ensure_demo_user(app)
    if password is not None:
        summary += f"\ndemo login: {DEMO_USER} / {password} (shown once)"
    return summary


def ensure_demo_user(app: AppContext) -> str | None:
    """Create the demo staff login on first use; its generated password, or None if it exists."""
    from inbox_triage.web.auth import add_user

    with transaction(app.sessions) as session:
        if session.scalar(select(User.id).where(User.email == DEMO_USER)) is not None:
            return None
    return add_user(app, DEMO_USER, "admin")
