"""A real SMTP server on loopback that records what it receives (the relay in tests).

aiosmtpd's threaded Controller runs a genuine SMTP server; the handler keeps
every accepted message with its envelope. `mode` makes it misbehave the way
relays do: answer 451 (try later) or 550 (refused) at the end of DATA, or
take the message and drop the connection before answering (the ambiguous
case). `delay_seconds` holds the answer to DATA back that long after the
message is recorded (a slow relay: the send stays in flight meanwhile).
TLS (STARTTLS or implicit) and AUTH use a throwaway self-signed
certificate made by `openssl`.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import shutil
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from support.ci import missing
from support.postgres import free_port

USER = "relay-user"
PASSWORD = "relay-s3cret"


@dataclass(frozen=True)
class Received:
    """One message the sink accepted: envelope and exact bytes."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    authenticated: bool

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class RecordingHandler:
    """Accepts (mode 'accept'), defers ('451'), refuses ('550') or drops ('drop').

    With `delay_seconds`, every answer to DATA comes that long after the message
    was counted (and, when accepted, recorded).
    """

    mode: str = "accept"
    messages: list[Received] = field(default_factory=list)
    data_commands: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay_seconds: float = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = self._take(server, session, envelope)
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        return answer

    def _take(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_commands += 1
            if self.mode == "451":
                return "451 4.3.0 Temporary failure, try again later"
            if self.mode == "550":
                return "550 5.7.1 Message refused for <someone@example.com>"
            data = envelope.original_content or envelope.content
            authenticated = bool(getattr(session, "authenticated", False))
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), data, authenticated)
            )
            if self.mode == "drop":
                server.transport.abort()  # the message is in, the answer never comes
        return "250 2.0.0 Accepted"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                   auth_data: Any) -> AuthResult:  # fmt: skip
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())  # fmt: skip
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpSink:
    """A running sink: where it listens and what it got."""

    port: int
    handler: RecordingHandler
    controller: Controller
    ca_file: Path | None = None

    @property
    def messages(self) -> list[Received]:
        return list(self.handler.messages)

    def stop(self) -> None:
        self.controller.stop()


def make_certificate(base: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (it is also the client's CA file)."""
    if shutil.which("openssl") is None:
        message = "openssl is not installed (scripts/install-system-deps.sh installs it)"
        missing(message)
    cert, key = base / "cert.pem", base / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def start_sink(port: int | None = None, tls: str = "none", mode: str = "accept",
               delay_seconds: float = 0.0) -> SmtpSink:  # fmt: skip
    """Start a sink on loopback; tls is 'none', 'starttls' (with AUTH) or 'ssl' (with AUTH)."""
    handler = RecordingHandler(mode=mode, delay_seconds=delay_seconds)
    port = port or free_port()
    kwargs: dict[str, Any] = {}
    ca_file = None
    if tls != "none":
        base = Path(tempfile.mkdtemp(prefix="inbox-triage-smtp-"))
        cert, key = make_certificate(base)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        ca_file = cert
        kwargs.update(authenticator=_authenticator, auth_required=True, auth_require_tls=True)
        if tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        else:  # aiosmtpd only knows STARTTLS as "TLS"; the implicit-TLS socket is TLS anyway
            kwargs.update(ssl_context=context, auth_require_tls=False)
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10,
                            **kwargs)  # fmt: skip
    controller.start()
    return SmtpSink(port, handler, controller, ca_file)


@contextlib.contextmanager
def running_sink(**options: Any) -> Iterator[SmtpSink]:
    """A sink for the duration of a with-block."""
    sink = start_sink(**options)
    try:
        yield sink
    finally:
        sink.stop()
