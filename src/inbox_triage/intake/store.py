"""The one durable entry point: every intake path stores raw bytes through here.

A message is committed (bytes, SHA-256, Message-ID, source, envelope, time)
before any intake acknowledges it. The same bytes delivered twice are stored
once: the SHA-256 is unique, and a concurrent duplicate insert is detected.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from inbox_triage.cases.receipt import determine_receipt
from inbox_triage.context import AppContext
from inbox_triage.db.models import Message
from inbox_triage.db.session import storage_error, transaction

log = logging.getLogger(__name__)

SOURCES = ("smtp", "imap", "cli")
_HEADER_SCAN_LIMIT = 256 * 1024
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_RECEIVED = re.compile(rb"^received:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class StoredMessage:
    """What intake needs to know after the commit."""

    id: int
    sha256: str
    duplicate: bool


def store_raw(
    context: AppContext,
    raw: bytes,
    source: str,
    envelope_from: str | None = None,
    envelope_to: Sequence[str] = (),
    accepted_at: datetime | None = None,
    maildir_delivered_at: datetime | None = None,
) -> StoredMessage:
    """Commit one raw message; return its row id (the existing one for a duplicate)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    digest = hashlib.sha256(raw).hexdigest()
    accepted_at = accepted_at or context.clock()
    header = _header_block(raw)
    receipt = determine_receipt(
        source=source,
        accepted_at=accepted_at,
        received_headers=_received_headers(header),
        trusted_hosts=context.settings.trusted_received_hosts,
        maildir_delivered_at=maildir_delivered_at,
    )
    row = {
        "sha256": digest,
        "message_id": _message_id(header),
        "raw": raw,
        "size": len(raw),
        "source": source,
        "envelope_from": _column_text(envelope_from),
        "envelope_to": list(envelope_to),
        "received_at": accepted_at,
        "receipt_at": receipt.at,
        "receipt_basis": receipt.basis,
        "maildir_delivered_at": maildir_delivered_at,
        "state": "received",
        "attempts": 0,
        "needs_review": False,
    }
    try:
        with context.engine.begin() as connection:
            new_id = connection.execute(insert(Message).returning(Message.id), row).scalar_one()
    except IntegrityError:
        existing = _find(context, digest)
        if existing is None:
            raise
        log.info("duplicate of message %s ignored (sha256 %s)", existing, digest[:12])
        return StoredMessage(existing, digest, duplicate=True)
    except OperationalError as error:
        raise storage_error(error) from error
    log.info("stored message %s from %s (%d bytes)", new_id, source, len(raw))
    return StoredMessage(new_id, digest, duplicate=False)


def _find(context: AppContext, digest: str) -> int | None:
    with transaction(context.sessions) as session:
        return session.scalar(select(Message.id).where(Message.sha256 == digest))


def _header_block(raw: bytes) -> bytes:
    """The header part of the message, bounded so a huge header cannot stall intake."""
    head = raw[:_HEADER_SCAN_LIMIT]
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = head.find(separator)
        if end != -1:
            return head[:end]
    return head


def _decode(value: bytes) -> str:
    return re.sub(r"\s+", " ", value.decode("utf-8", "replace").replace("\x00", "")).strip()


def _column_text(value: str | None) -> str | None:
    """A sender-given string fit for a String(998) column: PostgreSQL refuses NUL
    and over-long values, which would turn one hostile message into endless 451s."""
    return None if value is None else value.replace("\x00", "")[:998]


def _message_id(header: bytes) -> str | None:
    found = _MESSAGE_ID.search(header)
    if not found:
        return None
    value = _decode(found.group(1))[:998]
    return value or None


def _received_headers(header: bytes) -> list[str]:
    return [_decode(match.group(1)) for match in _RECEIVED.finditer(header)]
