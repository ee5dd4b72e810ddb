"""SQLAlchemy 2.0 typed models: raw messages, cases, their audit events.

The raw message row is the evidence: its bytes and hash never change after
intake. Everything derived from it (parsed fields, language, rights, case)
can be recomputed by re-running the pipeline.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite forgets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Message(Base):
    """One stored message: raw bytes first, derived fields filled by the pipeline."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    envelope_from: Mapped[str | None] = mapped_column(String(998))
    envelope_to: Mapped[list[Any]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime]
    receipt_at: Mapped[datetime]
    receipt_basis: Mapped[str] = mapped_column(String(32))
    maildir_delivered_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="received", index=True)
    stage: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    kind: Mapped[str | None] = mapped_column(String(16))
    from_address: Mapped[str | None] = mapped_column(String(998), index=True)
    from_name: Mapped[str | None] = mapped_column(String(998))
    subject: Mapped[str | None] = mapped_column(Text)
    parsed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(8))
    rights: Mapped[list[Any] | None] = mapped_column(JSON)
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)

    case: Mapped[Case | None] = relationship(back_populates="messages")


class Case(Base):
    """A tracked request: its deadline, state, and the messages that belong to it."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(32), default="new", index=True)
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    receipt_at: Mapped[datetime]
    receipt_basis: Mapped[str] = mapped_column(String(32))
    requester_address: Mapped[str | None] = mapped_column(String(998), index=True)
    requester_name: Mapped[str | None] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(Text, default="")
    normalized_subject: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(8))
    rights: Mapped[list[Any]] = mapped_column(JSON, default=list)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    match_level: Mapped[str | None] = mapped_column(String(32))
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    identity: Mapped[str] = mapped_column(String(32), default="unverified")
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    gdpr_due: Mapped[date | None] = mapped_column(Date)
    policy_due: Mapped[date | None] = mapped_column(Date)
    due: Mapped[date | None] = mapped_column(Date, index=True)
    basis: Mapped[str | None] = mapped_column(String(16))
    extended_due: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    related_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    audit_head: Mapped[str] = mapped_column(String(64), default="0" * 64)

    messages: Mapped[list[Message]] = relationship(
        back_populates="case", order_by="Message.receipt_at"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.sequence"
    )


class CaseEvent(Base):
    """One append-only audit event, chained to its predecessor by hash."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(255), default="system")
    at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    case: Mapped[Case] = relationship(back_populates="events")


class CaseCounter(Base):
    """Last case number used per year, so references never repeat."""

    __tablename__ = "case_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class Customer(Base):
    """One customer record as imported from the company's CSV (never a password)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(998), default="")
    email: Mapped[str] = mapped_column(String(998), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    contact_name: Mapped[str] = mapped_column(String(998), default="")
    contact_email: Mapped[str] = mapped_column(String(998), default="")
    contact_phone: Mapped[str] = mapped_column(String(64), default="")
    billing_address: Mapped[str] = mapped_column(Text, default="")
    postal_address: Mapped[str] = mapped_column(Text, default="")
    tax_number: Mapped[str] = mapped_column(String(64), default="")
    username: Mapped[str] = mapped_column(String(255), default="")
    domains: Mapped[list[Any]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    keys: Mapped[list[CustomerKey]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", passive_deletes=True
    )


class CustomerKey(Base):
    """A normalised lookup value of a customer, so matching is an index lookup, not a scan."""

    __tablename__ = "customer_keys"
    __table_args__ = (Index("ix_customer_keys_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_row_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))

    customer: Mapped[Customer] = relationship(back_populates="keys")


class ImapFolderState(Base):
    """Where the IMAP poller stands in one folder: its UIDVALIDITY and last handled UID.

    A changed UIDVALIDITY invalidates every stored UID, so the folder is rescanned
    up to `rescan_until_uid` with duplicates recognised by Message-ID and hash.
    """

    __tablename__ = "imap_folder_state"
    __table_args__ = (UniqueConstraint("account", "folder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(255))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    rescan_until_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime]


class ImapHandled(Base):
    """One server message handed over to the raw store, keyed as the server names it."""

    __tablename__ = "imap_handled"
    __table_args__ = (UniqueConstraint("account", "folder", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(255))
    folder: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    message_row_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    handled_at: Mapped[datetime]
    marked_at: Mapped[datetime | None]


class User(Base):
    """A staff member of the web UI; only an argon2 hash of the password is kept.

    `session_version` is signed into every session cookie: raising it (logout,
    password change, deactivation) ends every session the user has open.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    language: Mapped[str] = mapped_column(String(8), default="hu")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class ApiToken(Base):
    """A bearer token for scripts, stored as its SHA-256 (the token itself is shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Draft(Base):
    """A reply drafted for staff: editable until approved, never sent without approval.

    `slot` says which reply of the case it is (the answer to the requester, the
    verification sent to an on-file address, an extension notice...), so that
    re-drafting refreshes the right row instead of piling up copies.
    """

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    slot: Mapped[str] = mapped_column(String(32), default="reply")
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    rights: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    recipient: Mapped[str] = mapped_column(String(998), default="")
    contains_personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    disclosure_note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    edited_by: Mapped[str | None] = mapped_column(String(255))
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship()


class OutboxMessage(Base):
    """One outgoing message, built at approval; claimed before the SMTP transaction.

    `message_id` is our Message-ID, so that a customer's reply to it threads
    into the case. A row found `sending` after a crash becomes `uncertain`
    and waits for a person: it is never sent twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    contains_personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class DigestRun(Base):
    """The staff digest of one local working day: inserted before it is queued, never twice.

    The UNIQUE local date is what keeps several `serve` processes (and restarts)
    from sending a second digest the same day.
    """

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, unique=True)
    started_at: Mapped[datetime]
    since: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16), default="queued")
    outbox_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ReminderSent(Base):
    """One deadline reminder of a case, recorded so it fires once per threshold and deadline.

    `threshold` is a working-day count ("5", "2"), "overdue" or "extension_notice";
    `due` is the deadline it was about, so an extension re-arms the reminders.
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("case_id", "threshold", "due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    threshold: Mapped[str] = mapped_column(String(32))
    due: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime]
    outbox_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)


class VerificationChallenge(Base):
    """One identity verification of a case: a one-time code and a link, sent to an on-file address.

    Neither secret is stored: the code as HMAC-SHA256 keyed with a per-challenge
    salt, the link token (long and random) as SHA-256. `recipient` is the on-file
    address the challenge went to: only a reply from it may carry the code.
    `state` is pending, completed, expired, locked or superseded.
    """

    __tablename__ = "verification_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))
    customer_id: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(998))
    code_salt: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    code_length: Mapped[int] = mapped_column(Integer)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_via: Mapped[str | None] = mapped_column(String(16))
