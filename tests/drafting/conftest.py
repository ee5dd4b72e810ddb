"""Drafting and outbox fixtures: customers on file, requests opened as the pipeline would.

A request is a ParsedMail (built like tests/customers/conftest.py does),
matched with customers.matching and judged with customers.identity, then
stored as a message and a case with its deadlines: everything draft_for_case
needs, without running the classifier.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import email
import email.policy
import hashlib
import uuid
from collections.abc import Iterator, Sequence
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session
from support.smtp_sink import SmtpSink, start_sink

from inbox_triage.cases.references import next_reference
from inbox_triage.cases.schedule import apply_deadlines
from inbox_triage.cases.threading import normalize_subject
from inbox_triage.context import AppContext
from inbox_triage.customers.csv_io import COLUMNS, import_customers
from inbox_triage.customers.identity import assess_identity
from inbox_triage.customers.matching import load_customers, match_message
from inbox_triage.db.models import Case, Customer, Message
from inbox_triage.db.session import transaction
from inbox_triage.mail.parsed import Address, ParsedMail

TRUSTED = ["mx1.clmaster.eu"]

# customer_id, name, email, phone, contact_name, contact_email, contact_phone,
# billing_address, postal_address, tax_number, username, domains
CUSTOMERS: list[tuple[str, ...]] = [
    ("CM-20001", "Kovács János", "kovacs.janos@gmail.com", "+36 30 123 4567", "", "", "",
     "1111 Budapest, Fő utca 1.", "", "8123456786", "kjanos", ""),
    ("CM-20002", "Példa Kft.", "info@pelda.hu", "+36 1 555 0000", "Nagy Péter",
     "nagy.peter@pelda.hu", "+36 20 777 8899", "1051 Budapest, Példa tér 2.",
     "1051 Budapest, Pf. 12.", "12345678-2-41", "peldakft", "pelda.hu;pelda.eu"),
    ("CM-20003", "Szabó Éva", "szabo.eva@upcmail.hu", "+36 1 234 5678", "", "", "",
     "", "6720 Szeged, Kárász utca 5.", "8456789011", "szaboeva", ""),
    ("CM-20004", "Horváth Anna", "anna.horvath@gmail.com", "06-30-987-6543", "", "", "",
     "9021 Győr, Baross Gábor út 3.", "", "", "", ""),
]  # fmt: skip


def secrets_of(customer_id: str) -> list[str]:
    """The strings of a customer that must never reach anyone but an on-file address."""
    row = dict(zip(COLUMNS, next(r for r in CUSTOMERS if r[0] == customer_id), strict=True))
    values = [row["phone"], row["contact_phone"], row["billing_address"], row["postal_address"],
              row["tax_number"], row["customer_id"], row["username"], row["email"],
              row["contact_email"]]  # fmt: skip
    digits = ["".join(ch for ch in row[f] if ch.isdigit()) for f in ("phone", "tax_number")]
    return [v for v in values + digits if v]


def mail(
    sender: str = "",
    text: str = "",
    subject: str = "Adatkérés",
    reply_to: Sequence[str] = (),
    auth: Sequence[str] = (),
) -> ParsedMail:
    """A ParsedMail as the parser would produce it; `sender` is 'Name <addr>' or 'addr'."""
    name, address = parseaddr(sender)
    return ParsedMail(
        subject=subject,
        from_address=Address(name, address.lower()) if sender else None,
        to=(Address("", "info@clmaster.eu"),),
        reply_to=tuple(Address(*parseaddr(r)) for r in reply_to),
        new_text=text,
        body_text=text,
        message_id=f"<{uuid.uuid4().hex}@example.hu>",
        authentication_results=tuple(auth),
    )


def dmarc_pass(domain: str, authserv_id: str = "mx1.clmaster.eu") -> str:
    """A genuine-looking header from the company's MTA with DKIM, SPF and DMARC pass."""
    return (
        f"{authserv_id}; dkim=pass header.d={domain} header.s=s1;"
        f" spf=pass smtp.mailfrom=bounce@{domain}; dmarc=pass header.from={domain}"
    )


def open_request(app: AppContext, session: Session, parsed: ParsedMail, rights: Sequence[str],
                 language: str = "hu") -> Case:  # fmt: skip
    """Store the message and open its case with match, identity and deadlines."""
    now = app.clock()
    raw = f"Message-ID: {parsed.message_id}\r\nSubject: test\r\n\r\n{parsed.new_text}\r\n"
    message = Message(
        sha256=hashlib.sha256(raw.encode() + uuid.uuid4().bytes).hexdigest(),
        message_id=parsed.message_id, raw=raw.encode(), size=len(raw), source="test",
        envelope_to=["info@clmaster.eu"], received_at=now, receipt_at=now, receipt_basis="smtp",
        state="processed", from_address=parsed.sender, subject=parsed.subject,
        parsed=parsed.to_json(), language=language, rights=list(rights),
    )  # fmt: skip
    session.add(message)
    match = match_message(session, parsed)
    candidates = load_customers(session, match.candidate_ids)
    matched = next((c for c in candidates if c.customer_id == match.customer_id), None)
    identity = assess_identity(parsed, matched, TRUSTED)
    case = Case(
        reference=next_reference(session, "GDPR", now.year), status="new", opened_at=now,
        receipt_at=now, receipt_basis="smtp", requester_address=parsed.sender,
        requester_name=parsed.from_address.name if parsed.from_address else None,
        subject=parsed.subject, normalized_subject=normalize_subject(parsed.subject),
        language=language, rights=sorted(rights), needs_review=False,
        customer_id=match.customer_id, match_level=match.level, evidence=match.evidence,
        identity=identity.state, flags=[], extended=False,
    )  # fmt: skip
    session.add(case)
    session.flush()
    message.case_id = case.id
    apply_deadlines(session, app, case, reason="opened")
    session.flush()
    session.refresh(case)
    return case


@pytest.fixture
def customers(app: AppContext, tmp_path: Path) -> AppContext:
    """The app with CUSTOMERS imported."""
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(CUSTOMERS)
    with transaction(app.sessions) as session:
        import_customers(session, path, now=app.clock())
    return app


@pytest.fixture
def session(customers: AppContext) -> Iterator[Session]:
    """An open session on the app with customers; the test commits what it needs."""
    with customers.sessions() as session:
        yield session


@pytest.fixture
def sink(customers: AppContext) -> Iterator[SmtpSink]:
    """A recording SMTP relay on loopback, and the app pointed at it (no TLS, loopback)."""
    server = start_sink()
    point_at(customers, server)
    try:
        yield server
    finally:
        server.stop()


def point_at(app: AppContext, server: SmtpSink | int, **values: Any) -> None:
    """Point the app's outgoing settings at a sink (or a bare port)."""
    port = server if isinstance(server, int) else server.port
    chosen = {"host": "127.0.0.1", "port": port, "security": "none", "timeout_seconds": 10,
              "retry_delay_seconds": 60} | values  # fmt: skip
    outgoing = dataclasses.replace(app.settings.outgoing, **chosen)
    app.settings = dataclasses.replace(app.settings, outgoing=outgoing)


def customer(session: Session, customer_id: str) -> Customer:
    return load_customers(session, [customer_id])[0]


def decoded_texts(raw: bytes) -> str:
    """Every header, text part and attachment of a message, decoded, joined."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [f"{name}: {value}" for name, value in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        parts.append(content if isinstance(content, str) else content.decode("utf-8", "replace"))
    return "\n".join(parts)


def attachment_text(item: dict[str, Any]) -> str:
    return base64.b64decode(item["data"]).decode("utf-8")


@pytest.fixture(name="helpers")
def helpers_fixture() -> Any:
    """The module's helpers (importlib mode: tests take helpers as a fixture)."""
    import types

    return types.SimpleNamespace(
        mail=mail, dmarc_pass=dmarc_pass, open_request=open_request, customer=customer,
        secrets_of=secrets_of, decoded_texts=decoded_texts, point_at=point_at,
        attachment_text=attachment_text, TRUSTED=TRUSTED,
    )  # fmt: skip
