"""The durable raw store: one row per distinct message, everything recorded."""

from __future__ import annotations

from sqlalchemy import func, select
from support.mail import build_message

from inbox_triage.context import AppContext
from inbox_triage.db.models import Message
from inbox_triage.intake.store import store_raw


def test_stores_raw_bytes_hash_and_envelope(app: AppContext) -> None:
    """GIVEN a message WHEN stored THEN bytes, SHA-256, Message-ID and envelope are kept."""
    raw = build_message(message_id="<abc@example.hu>")
    stored = store_raw(app, raw, "smtp", "janos@example.hu", ["info@clmaster.eu"])
    with app.sessions() as session:
        row = session.get(Message, stored.id)
        assert row is not None
        assert row.raw == raw
        assert len(row.sha256) == 64 and row.sha256 == stored.sha256
        assert row.message_id == "<abc@example.hu>"
        assert row.envelope_from == "janos@example.hu"
        assert row.envelope_to == ["info@clmaster.eu"]
        assert row.state == "received"
        assert row.receipt_basis == "smtp_accepted"
        assert row.received_at == app.clock()


def test_same_message_twice_is_stored_once(app: AppContext) -> None:
    """GIVEN the same bytes delivered twice WHEN stored THEN one row, second flagged duplicate."""
    raw = build_message()
    first = store_raw(app, raw, "smtp")
    second = store_raw(app, raw, "imap")
    assert not first.duplicate and second.duplicate
    assert first.id == second.id
    with app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 1


def test_garbage_bytes_are_stored(app: AppContext) -> None:
    """GIVEN bytes that are not mail at all WHEN stored THEN they are kept as evidence."""
    raw = b"\x00\xff\xfe not a message \r\n\r\n\x80"
    stored = store_raw(app, raw, "cli")
    with app.sessions() as session:
        row = session.get(Message, stored.id)
        assert row is not None and row.raw == raw and row.message_id is None
        assert row.receipt_basis == "import_time"


def test_backlog_receipt_comes_from_trusted_received_header(app: AppContext) -> None:
    """GIVEN an imported message with our MTA's Received header WHEN stored
    THEN its receipt time is that header's time, not the import time."""
    import dataclasses

    app.settings = dataclasses.replace(app.settings, trusted_received_hosts=["mx.clmaster.eu"])
    received = "from mail.example.hu by mx.clmaster.eu with ESMTPS; Tue, 3 Feb 2026 23:30:00 +0000"
    raw = b"Received: " + received.encode() + b"\r\n" + build_message()
    stored = store_raw(app, raw, "cli")
    with app.sessions() as session:
        row = session.get(Message, stored.id)
        assert row is not None
        assert row.receipt_basis == "trusted_received_header"
        assert row.receipt_at.isoformat() == "2026-02-03T23:30:00+00:00"
