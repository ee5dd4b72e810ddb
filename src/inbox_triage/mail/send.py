"""Mail out: building a reply's bytes, one SMTP transaction, and threading our ids.

`deliver` reports one of four outcomes instead of raising, and takes care to
tell apart "the relay refused" (safe to retry) from "the message may have been
accepted" (the connection broke after the final dot: never retried, a person
decides). The conversation is driven step by step for exactly that reason.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.config import OutgoingSettings
from inbox_triage.db.models import OutboxMessage
from inbox_triage.errors import ConfigError

SENT, RETRY, FAILED, UNCERTAIN = "sent", "retry", "failed", "uncertain"
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


@dataclass(frozen=True)
class Attachment:
    """A file to attach: its name, MIME type and bytes."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Delivery:
    """What one SMTP attempt achieved; `error` never contains an address."""

    outcome: str
    error: str = ""
    code: int | None = None


def sender_address(settings: OutgoingSettings) -> str:
    """The bare address of the configured From (the envelope sender)."""
    return next(a for _, a in getaddresses([settings.from_address]) if a)


def new_message_id(settings: OutgoingSettings) -> str:
    """A globally unique Message-ID in our own domain."""
    domain = sender_address(settings).rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def build_message(
    settings: OutgoingSettings, recipients: Sequence[str], subject: str, text: str, html: str,
    attachments: Sequence[Attachment], message_id: str, date: datetime,
    in_reply_to: str | None = None, references: Sequence[str] = (),
) -> bytes:  # fmt: skip
    """The RFC 5322 bytes: text and HTML alternatives, attachments, threading headers."""
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.from_address
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = " ".join(references)
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    if html:
        message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    for item in attachments:
        maintype, _, subtype = item.content_type.partition("/")
        params = {"charset": "utf-8"} if maintype == "text" else {}  # our exports are UTF-8
        message.add_attachment(item.data, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=item.name, params=params)  # fmt: skip
    return message.as_bytes(policy=SMTP)


def case_id_for_message_ids(session: Session, ids: Sequence[str]) -> int | None:
    """The case of the first of `ids` (In-Reply-To, References...) that we sent."""
    wanted = [value for value in dict.fromkeys(ids) if value]
    if not wanted:
        return None
    rows = session.execute(
        select(OutboxMessage.message_id, OutboxMessage.case_id).where(
            OutboxMessage.message_id.in_(wanted), OutboxMessage.case_id.is_not(None)
        )
    ).all()
    by_id = {message_id: case_id for message_id, case_id in rows}
    return next((by_id[value] for value in wanted if value in by_id), None)


def redact(text: str) -> str:
    """An SMTP reply without the addresses it may quote (logs carry ids, not people)."""
    return _ADDRESS.sub("<address>", text)[:500]


def relay_password(settings: OutgoingSettings) -> str:
    """The password, from the setting or the password file (read at each send)."""
    if settings.password_file:
        try:
            return Path(settings.password_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConfigError(f"outgoing.password_file: cannot read it: {error.strerror}") from None
    return settings.password


def deliver(settings: OutgoingSettings, recipients: Sequence[str], raw: bytes) -> Delivery:
    """One SMTP transaction; never raises for network or relay trouble."""
    if not settings.host:
        return Delivery(RETRY, "outgoing.host is not configured")
    phase = "connect"
    smtp: smtplib.SMTP | None = None
    try:
        smtp = _connect(settings)
        phase = "login"
        _login(smtp, settings)
        phase = "envelope"
        refused = _envelope(smtp, settings, recipients)
        if refused is not None:
            return refused
        phase = "data"
        return _data(smtp, raw)
    except smtplib.SMTPResponseException as error:
        return _from_code(error.smtp_code, f"{phase}: {_reply_text(error.smtp_error)}")
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        return _from_code(max(codes, default=550), f"{phase}: all recipients refused")
    except (OSError, smtplib.SMTPException) as error:
        return Delivery(RETRY, f"{phase}: {type(error).__name__}: {redact(str(error))}")
    finally:
        if smtp is not None:
            smtp.close()  # no QUIT here: a QUIT that fails must not turn "maybe" into "retry"


def _connect(settings: OutgoingSettings) -> smtplib.SMTP:
    context = _tls_context(settings)
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds,
                                context=context)  # fmt: skip
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    if settings.security == "starttls":
        try:
            smtp.starttls(context=context)
        except BaseException:
            smtp.close()
            raise
    return smtp


def _tls_context(settings: OutgoingSettings) -> ssl.SSLContext:
    if settings.ca_file:
        return ssl.create_default_context(cafile=settings.ca_file)
    return ssl.create_default_context()


def _login(smtp: smtplib.SMTP, settings: OutgoingSettings) -> None:
    smtp.ehlo_or_helo_if_needed()
    if settings.user:
        smtp.login(settings.user, relay_password(settings))


def _envelope(smtp: smtplib.SMTP, settings: OutgoingSettings,
              recipients: Sequence[str]) -> Delivery | None:  # fmt: skip
    """MAIL and RCPT; a refusal here means nothing was accepted, so retrying is safe."""
    code, reply = smtp.mail(sender_address(settings))
    if code != 250:
        return _from_code(code, f"MAIL FROM: {_reply_text(reply)}")
    codes = [smtp.rcpt(recipient)[0] for recipient in recipients]
    if not any(code in (250, 251) for code in codes):
        return _from_code(max(codes, default=550), "RCPT TO: every recipient refused")
    if any(code not in (250, 251) for code in codes):
        smtp.rset()
        return _from_code(max(codes), "RCPT TO: a recipient was refused")
    return None


def _data(smtp: smtplib.SMTP, raw: bytes) -> Delivery:
    """DATA with the content; after the final dot, silence means 'maybe delivered'."""
    code, reply = smtp.docmd("DATA")
    if code != 354:
        return _from_code(code, f"DATA: {_reply_text(reply)}")
    smtp.send(_dot_stuffed(raw))
    try:
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPException) as error:
        return Delivery(UNCERTAIN, f"no reply after the message was sent: {type(error).__name__}")
    if code != 250:
        return _from_code(code, f"end of data: {_reply_text(reply)}")
    with contextlib.suppress(OSError, smtplib.SMTPException):
        smtp.quit()  # the relay has accepted the message; a lost QUIT changes nothing
    return Delivery(SENT, code=code)


def _dot_stuffed(raw: bytes) -> bytes:
    """CRLF line ends, leading dots doubled, and the terminating dot line (RFC 5321)."""
    data = re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _from_code(code: int, error: str) -> Delivery:
    """4xx: try again later; 5xx (and anything odd): give up and tell staff."""
    outcome = RETRY if 400 <= code < 500 else FAILED
    return Delivery(outcome, f"SMTP {code} {redact(error)}", code)


def _reply_text(reply: Any) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
