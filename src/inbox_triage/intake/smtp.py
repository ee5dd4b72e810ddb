"""SMTP intake with aiosmtpd: store first, then answer 250.

Recipients are checked at RCPT time (550 5.1.1 for anyone but the configured
mailbox), the size limit answers 552, and a storage failure answers 451 so
the sending MTA keeps the message and retries (451 4.3.1 when the database's
disk is full). Nothing is parsed here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from inbox_triage.context import AppContext
from inbox_triage.errors import StorageError, StorageFullError
from inbox_triage.intake.store import store_raw

log = logging.getLogger(__name__)

TEMPORARY_FAILURE = "451 4.3.0 Message not stored, please try again later"
STORAGE_FULL = "451 4.3.1 Insufficient system storage, please try again later"


class IntakeSMTP(SMTP):
    """aiosmtpd's server with room for the over-long lines real mail carries."""

    line_length_limit = 64 * 1024


class IntakeHandler:
    """aiosmtpd hooks: accept the configured recipients, store, then acknowledge."""

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.recipients = {address.lower() for address in context.settings.smtp.recipients}

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() not in self.recipients:
            return f"550 5.1.1 <{address}>: recipient not accepted here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            stored = await loop.run_in_executor(
                None, self._store, bytes(raw), envelope.mail_from, list(envelope.rcpt_tos)
            )
        except StorageError as error:  # expected (database down, disk full): one line, no traceback
            reply = STORAGE_FULL if isinstance(error, StorageFullError) else TEMPORARY_FAILURE
            log.error("SMTP message not stored, answered 451: %s", error)
            return reply
        except Exception:
            log.exception("storing an SMTP message failed; answered 451")
            return TEMPORARY_FAILURE
        return f"250 2.0.0 Stored as message {stored}"

    def _store(self, raw: bytes, mail_from: str | None, rcpt_tos: list[str]) -> int:
        return store_raw(self.context, raw, "smtp", mail_from, rcpt_tos).id

    async def handle_exception(self, error: Exception) -> str:
        log.error("SMTP session error: %s", type(error).__name__)
        return TEMPORARY_FAILURE


class IntakeController(Controller):
    """Runs the intake server in its own thread with the product's settings."""

    def __init__(self, context: AppContext, **kwargs: Any) -> None:
        smtp = context.settings.smtp
        super().__init__(
            IntakeHandler(context),
            hostname=smtp.host,
            port=smtp.port,
            data_size_limit=smtp.max_message_bytes,
            enable_SMTPUTF8=True,
            ident="inbox-triage ESMTP",
            server_hostname=smtp.hostname,
            **kwargs,
        )

    def factory(self) -> SMTP:
        return IntakeSMTP(self.handler, **self.SMTP_kwargs)
