"""The web UI served by real uvicorn on a loopback port, and helpers to drive it.

Cases are made the way production makes them: raw mail stored through
intake.store and run through the real Processor (the trained classifier);
other rights are then set with cases.actions, as staff would.
"""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select
from support.mail import build_message
from support.settings import FixedClock
from support.smtp_sink import SmtpSink, start_sink

from inbox_triage.cases import actions
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, Draft, Message, OutboxMessage
from inbox_triage.db.session import transaction
from inbox_triage.intake.store import store_raw
from inbox_triage.mail.outbox import send_due
from inbox_triage.nlp.classify import Classifier
from inbox_triage.pipeline import Processor
from inbox_triage.web.app import run_web
from inbox_triage.web.auth import add_user

STAFF = "anna.staff@clmaster.eu"
OTHER_STAFF = "bela.staff@clmaster.eu"
PASSWORD = "correct horse battery staple"
ERASURE = "Tisztelt Cloudmaster Kft.!\n\nKérem, hogy töröljék az összes személyes adatomat.\n"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


@dataclasses.dataclass
class Web:
    """A running web UI, its application context and its clock."""

    base_url: str
    app: AppContext
    clock: FixedClock

    def client(self, **options: object) -> httpx.Client:
        """An HTTP client with its own cookie jar, not following redirects."""
        return httpx.Client(base_url=self.base_url, follow_redirects=False, timeout=30, **options)  # type: ignore[arg-type]

    def login(
        self, client: httpx.Client, email: str = STAFF, password: str = PASSWORD
    ) -> httpx.Response:
        """Fill in and submit the login form."""
        token = csrf_of(client.get("/login").text)
        return client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"}
        )

    def signed_in(self, email: str = STAFF) -> httpx.Client:
        """A client with a valid session."""
        client = self.client()
        assert self.login(client, email).status_code == 303
        return client

    def post_form(
        self, client: httpx.Client, page: str, action: str, data: dict[str, object]
    ) -> httpx.Response:
        """Submit a form found on `page` with the page's CSRF token."""
        token = csrf_of(client.get(page).text)
        return client.post(action, data={**data, "csrf_token": token})

    def make_case(
        self,
        body: str = ERASURE,
        received: datetime | None = None,
        sender: str = "Kovács János <janos.kovacs@example.hu>",
        subject: str = "Adataim törlése",
        rights: list[str] | None = None,
        raw: bytes | None = None,
    ) -> str:
        """Store and process a request as intake would; optionally set other rights."""
        saved = self.clock.now
        if received is not None:
            self.clock.now = received
        try:
            raw = raw or build_message(subject=subject, body=body, sender=sender)
            stored = store_raw(self.app, raw, "smtp")
            Processor(self.app).process(stored.id)
        finally:
            self.clock.now = saved
        with transaction(self.app.sessions) as session:
            message = session.get(Message, stored.id)
            assert message is not None and message.case_id is not None, message and message.error
            case = session.get(Case, message.case_id)
            assert case is not None
            if rights is not None:
                actions.correct_rights(session, self.app, case, rights, "test", "setup")
            return case.reference

    def drafts(self, reference: str) -> list[Draft]:
        """The case's drafts as stored now, oldest first."""
        with self.app.sessions() as session:
            case = actions.get_case(session, reference)
            query = select(Draft).where(Draft.case_id == case.id).order_by(Draft.id)
            return list(session.scalars(query))

    def outbox(self) -> list[OutboxMessage]:
        """Every outbox row as stored now, oldest first."""
        with self.app.sessions() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    def send_outbox(self, mode: str = "accept") -> SmtpSink:
        """Run the outbox once against a real loopback relay answering as `mode` says."""
        sink = start_sink(mode=mode)
        try:
            outgoing = dataclasses.replace(
                self.app.settings.outgoing,
                host="127.0.0.1",
                port=sink.port,
                security="none",
                timeout_seconds=5,
            )
            sender = AppContext(
                settings=dataclasses.replace(self.app.settings, outgoing=outgoing),
                engine=self.app.engine,
                sessions=self.app.sessions,
                clock=self.app.clock,
            )
            send_due(sender)
        finally:
            sink.stop()
        return sink

    def case(self, reference: str) -> Case:
        """The case as stored now."""
        with self.app.sessions() as session:
            case = actions.get_case(session, reference)
            _ = case.events, case.messages
            return case


@pytest.fixture(name="free_port")
def free_port_fixture() -> object:
    """The free_port function, for tests that start a second server."""
    return free_port


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    """The trained classifier, loaded once for all web tests."""
    return Classifier.load()


@pytest.fixture
def web(app: AppContext, clock: FixedClock, classifier: Classifier) -> Iterator[Web]:
    """The web UI on a free loopback port with two staff accounts."""
    port = free_port()
    settings = dataclasses.replace(
        app.settings, web=dataclasses.replace(app.settings.web, host="127.0.0.1", port=port)
    )
    context = AppContext(
        settings=settings, engine=app.engine, sessions=app.sessions, clock=app.clock
    )
    context.cached("classifier", lambda: classifier)
    add_user(context, STAFF, "staff", PASSWORD)
    add_user(context, OTHER_STAFF, "admin", PASSWORD, language="en")
    stop = threading.Event()
    thread = run_web(context, stop)
    try:
        yield Web(f"http://127.0.0.1:{port}", context, clock)
    finally:
        stop.set()
        thread.join(timeout=15)
