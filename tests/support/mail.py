"""Builders of real RFC 5322 messages for tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime


def build_message(
    subject: str = "Adataim törlése",
    body: str = "Tisztelt Cloudmaster Kft.!\n\nKérem, töröljék az összes személyes adatomat.\n",
    sender: str = "Kovács János <janos.kovacs@example.hu>",
    to: str = "info@clmaster.eu",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    charset: str = "utf-8",
    cte: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """One text/plain message as bytes."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    message["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@example.hu>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body, charset=charset, cte=cte)
    return message.as_bytes()
