"""Scheduler fixtures: staff users, cases with chosen deadlines, a clock set in local time.

Cases are made directly through the models when a test needs exact dates
(golden texts, thresholds); the end-to-end test makes one the way production
does (store_raw + Processor). Helpers are handed to tests as the `sched`
fixture (importlib mode: conftest modules are not importable).
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from support.settings import FixedClock
from support.smtp_sink import SmtpSink, start_sink

from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, DigestRun, Draft, OutboxMessage
from inbox_triage.db.session import transaction
from inbox_triage.web.auth import add_user

BUDAPEST = ZoneInfo("Europe/Budapest")
BASE_URL = "https://triage.clmaster.eu"
HU_STAFF = "anna.staff@clmaster.eu"
EN_STAFF = "bela.staff@clmaster.eu"
PASSWORD = "correct horse battery staple"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local Budapest wall-clock time as an aware UTC instant (what the clock returns)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BUDAPEST).astimezone(UTC)


def configure(app: AppContext, **digest: Any) -> None:
    """Give the app a public base URL and the digest settings a test needs."""
    settings = app.settings
    app.settings = dataclasses.replace(
        settings,
        web=dataclasses.replace(settings.web, base_url=BASE_URL),
        digest=dataclasses.replace(settings.digest, **digest),
    )


def point_at(app: AppContext, sink: SmtpSink) -> None:
    """Send the outbox to a recording SMTP server on loopback (no TLS)."""
    outgoing = dataclasses.replace(
        app.settings.outgoing, host="127.0.0.1", port=sink.port, security="none",
        timeout_seconds=10,
    )  # fmt: skip
    app.settings = dataclasses.replace(app.settings, outgoing=outgoing)


def sibling(app: AppContext) -> AppContext:
    """A second context on the same database and clock: a restart, or another `serve`."""
    return AppContext.create(app.settings, clock=app.clock)


def make_case(
    app: AppContext,
    reference: str,
    due: date,
    rights: Sequence[str] = ("erasure",),
    opened: datetime | None = None,
    identity: str = "unverified",
    status: str = "new",
    extended_due: date | None = None,
    gdpr_due: date | None = None,
) -> int:
    """A case with exactly these dates; returns its id."""
    opened = opened or app.clock()
    with transaction(app.sessions) as session:
        case = Case(
            reference=reference, status=status, opened_at=opened, receipt_at=opened,
            receipt_basis="smtp", subject="Adatkérés", normalized_subject="adatkérés",
            language="hu", rights=sorted(rights), identity=identity, flags=[], evidence=[],
            gdpr_due=gdpr_due or due, policy_due=None, due=extended_due or due, basis="gdpr",
            extended=extended_due is not None, extended_due=extended_due,
        )  # fmt: skip
        session.add(case)
        session.flush()
        return case.id


def make_draft(app: AppContext, case_id: int, created: datetime, kind: str = "reply",
               state: str = "draft") -> int:  # fmt: skip
    """A draft of a case in the given state."""
    with transaction(app.sessions) as session:
        draft = Draft(
            case_id=case_id, slot=kind, kind=kind, language="hu", rights=[], subject="s",
            body_text="b", body_html="", attachments=[], recipient="x@example.hu",
            contains_personal_data=False, state=state, created_at=created, updated_at=created,
        )  # fmt: skip
        session.add(draft)
        session.flush()
        return draft.id


def digest_days(app: AppContext) -> list[date]:
    """The local dates that have a digest run."""
    with app.sessions() as session:
        return list(session.scalars(select(DigestRun.local_date).order_by(DigestRun.local_date)))


def outbox_count(app: AppContext, kind: str) -> int:
    """How many outbox rows of this kind exist."""
    with app.sessions() as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind)
        return int(session.scalar(query) or 0)


@pytest.fixture
def staff(app: AppContext) -> AppContext:
    """The app with a Hungarian and an English staff member and a public base URL."""
    configure(app)
    add_user(app, HU_STAFF, "staff", PASSWORD, language="hu")
    add_user(app, EN_STAFF, "admin", PASSWORD, language="en")
    return app


@pytest.fixture
def sink(staff: AppContext) -> Iterator[SmtpSink]:
    """A recording SMTP relay on loopback, with the app pointed at it."""
    server = start_sink()
    point_at(staff, server)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def local_clock(clock: FixedClock) -> Any:
    """Set the shared fixed clock to a local Budapest time: local_clock(day, hour, minute)."""

    def set_to(day: date, hour: int, minute: int = 0) -> datetime:
        clock.now = at(day, hour, minute)
        return clock.now

    return set_to


@pytest.fixture(name="sched")
def sched_fixture() -> types.SimpleNamespace:
    """This directory's helpers."""
    return types.SimpleNamespace(
        at=at, configure=configure, point_at=point_at, sibling=sibling, make_case=make_case,
        make_draft=make_draft, digest_days=digest_days, outbox_count=outbox_count,
        HU_STAFF=HU_STAFF, EN_STAFF=EN_STAFF, BASE_URL=BASE_URL, day=timedelta(days=1),
    )  # fmt: skip
