"""One IMAP connection to the watched folder: TLS, login, select, fetch, mark, IDLE.

Certificate verification is always on (imap.ca_file trusts a private CA); every
failure to connect becomes one ImapError line saying what went wrong; the
password is never logged nor shown.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from inbox_triage.config import ImapSettings, is_loopback_host
from inbox_triage.errors import ConfigError, InboxTriageError

log = logging.getLogger(__name__)

DROPPED = (OSError, IMAPClientAbortError)  # the connection is gone (ssl.SSLError is an OSError)


class ImapError(InboxTriageError):
    """The IMAP server could not be reached, refused us, or lacks what the settings need."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # dns, refused, timeout, network, tls, login, folder, server


@dataclass(frozen=True)
class Selected:
    """The watched folder as SELECT reported it."""

    uidvalidity: int
    uidnext: int | None
    exists: int
    keywords_allowed: bool


class Mailbox:
    """One logged-in connection to the configured folder that can be re-opened after a drop."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self.where = f"{settings.host}:{settings.port}"
        self.client: IMAPClient | None = None
        self.selected: Selected | None = None

    @property
    def alive(self) -> bool:
        return self.client is not None

    def open(self) -> Selected:
        """Connect, log in, and select the folder."""
        self.close()
        self.client = _connect(self.settings)
        try:
            _login(self.client, self.settings, self.where)
            return self.select()
        except (*DROPPED, IMAPClientError) as error:
            self.close()
            raise ImapError("server", f"IMAP server {self.where}: {reason(error)}") from None
        except BaseException:
            self.close()
            raise

    def select(self) -> Selected:
        """(Re-)select the folder; each poll starts with a fresh UIDVALIDITY and UIDNEXT."""
        client = self._client()
        if not client.folder_exists(self.settings.folder):
            raise ImapError(
                "folder", f"IMAP folder {self.settings.folder!r} does not exist on {self.where}"
            )
        info = client.select_folder(self.settings.folder)
        self.selected = Selected(
            uidvalidity=int(info[b"UIDVALIDITY"]),
            uidnext=int(info[b"UIDNEXT"]) if b"UIDNEXT" in info else None,
            exists=int(info.get(b"EXISTS", 0)),
            keywords_allowed=b"\\*" in info.get(b"PERMANENTFLAGS", ()),
        )
        return self.selected

    def pending(self, last_uid: int) -> list[int]:
        """UIDs after last_uid that do not carry the keyword yet, oldest first."""
        found = self._client().search(
            ["UID", f"{last_uid + 1}:*", "NOT", "KEYWORD", self.settings.keyword]
        )
        return sorted(uid for uid in found if uid > last_uid)

    def ensure_move_target(self) -> None:
        """Create the folder that handled mail moves to, if that is the configured mark."""
        client = self._client()
        if self.settings.mark == "move" and not client.folder_exists(self.settings.move_to):
            client.create_folder(self.settings.move_to)
            log.info("imap: created the move target folder")

    def fetch(self, uid: int) -> tuple[bytes, datetime] | None:
        """Raw bytes and INTERNALDATE without setting \\Seen; None if the UID is gone."""
        data = self._client().fetch([uid], ["BODY.PEEK[]", "INTERNALDATE"]).get(uid)
        if data is None:
            return None
        if b"BODY[]" not in data or b"INTERNALDATE" not in data:
            raise IMAPClientError("incomplete FETCH response")
        return bytes(data[b"BODY[]"]), data[b"INTERNALDATE"].astimezone(UTC)

    def mark(self, uid: int) -> None:
        """Mark one stored message as configured; the server's OK is the confirmation."""
        client, mode = self._client(), self.settings.mark
        keyword = [self.settings.keyword] if self._keywords_allowed() else []
        if mode == "keyword":
            if not keyword:
                raise ImapError(
                    "server",
                    "the IMAP server does not allow custom keywords; set imap.mark to flag or move",
                )
            client.add_flags([uid], keyword, silent=True)
        elif mode == "flag":
            client.add_flags([uid], [b"\\Flagged", *keyword], silent=True)
        elif client.has_capability("MOVE"):
            client.move([uid], self.settings.move_to)
        else:
            move_by_copy(client, uid, self.settings.move_to, self.settings.keyword)

    def capabilities(self) -> list[str]:
        return sorted(c.decode("ascii", "replace") for c in self._client().capabilities())

    def wait_for_mail(self, stop: threading.Event) -> None:
        """Block until the folder may have news: IDLE if offered (renewed in time), else sleep."""
        client = self._client()
        if not client.has_capability("IDLE"):
            stop.wait(self.settings.poll_interval_seconds)
            return
        client.idle()
        deadline = time.monotonic() + self.settings.idle_timeout_seconds
        while not stop.is_set():
            step = min(1.0, deadline - time.monotonic())
            if step <= 0:
                break
            started = time.monotonic()
            responses = client.idle_check(timeout=step)
            if any(response[0] != b"OK" for response in responses):
                break  # EXISTS, EXPUNGE, BYE...: time to look
            if not responses and time.monotonic() - started < step / 2:
                break  # woke without a whole response (EOF or a partial line): poll to find out
        client.idle_done()

    def close(self) -> None:
        """Log out politely if possible; a dead socket is simply dropped."""
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # the connection is being discarded either way
            with contextlib.suppress(Exception):
                client.shutdown()

    def _keywords_allowed(self) -> bool:
        return self.selected is not None and self.selected.keywords_allowed

    def _client(self) -> IMAPClient:
        if self.client is None:
            raise IMAPClientAbortError("not connected")
        return self.client


def move_by_copy(client: IMAPClient, uid: int, target: str, keyword: str) -> None:
    """MOVE for servers without it: COPY, then \\Deleted and UID EXPUNGE of this UID only.

    Without UIDPLUS an EXPUNGE would also remove other people's \\Deleted mail, so
    the original then stays, marked with the keyword instead.
    """
    client.copy([uid], target)
    if client.has_capability("UIDPLUS"):
        client.add_flags([uid], [b"\\Deleted"], silent=True)
        client.uid_expunge([uid])
    else:
        client.add_flags([uid], [keyword], silent=True)
        log.warning("imap: server lacks UIDPLUS, uid %s copied and left in place", uid)


def _connect(settings: ImapSettings) -> IMAPClient:
    """A connection with TLS as configured; every failure becomes one clear ImapError."""
    if not settings.host:
        raise ConfigError("imap.host: no IMAP server configured")
    if settings.security == "none" and not is_loopback_host(settings.host):
        raise ConfigError("imap.security: none (no TLS) is only allowed for a loopback host")
    where = f"{settings.host}:{settings.port}"
    context = _tls_context(settings)
    try:
        client = IMAPClient(
            settings.host,
            settings.port,
            ssl=settings.security == "ssl",
            ssl_context=context,
            timeout=settings.timeout_seconds,
        )
    except Exception as error:
        raise _connect_error(error, settings.host, where) from None
    client.normalise_times = False
    if settings.security == "starttls":
        try:
            client.starttls(context)
        except Exception as error:
            with contextlib.suppress(OSError):
                client.shutdown()
            raise _connect_error(error, settings.host, where) from None
    return client


def _connect_error(error: Exception, host: str, where: str) -> ImapError:
    if isinstance(error, socket.gaierror):
        return ImapError("dns", f"cannot resolve IMAP host {host!r}: {error.strerror}")
    if isinstance(error, ConnectionRefusedError):
        return ImapError("refused", f"connection to IMAP server {where} refused")
    if isinstance(error, ssl.SSLCertVerificationError):
        return ImapError(
            "tls",
            f"TLS certificate of {where} failed verification "
            f"({error.verify_message}); set imap.ca_file to trust its CA",
        )
    if isinstance(error, ssl.SSLError):
        return ImapError("tls", f"TLS with {where} failed: {error.reason or error}")
    if isinstance(error, TimeoutError | socket.timeout):
        return ImapError("timeout", f"IMAP server {where} did not answer in time")
    if isinstance(error, IMAPClientError):
        return ImapError("server", f"IMAP server {where}: {reason(error)}")
    if isinstance(error, OSError):
        return ImapError("network", f"cannot connect to IMAP server {where}: {error.strerror}")
    return ImapError("server", f"IMAP server {where}: {error}")


def _tls_context(settings: ImapSettings) -> ssl.SSLContext:
    """Verification always on; imap.ca_file replaces the system CAs for a private CA."""
    if not settings.ca_file:
        return ssl.create_default_context()
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(f"imap.ca_file: cannot load {settings.ca_file}: {error}") from None


def _login(client: IMAPClient, settings: ImapSettings, where: str) -> None:
    try:
        client.login(settings.user, _password(settings))
    except LoginError:
        raise ImapError(
            "login",
            f"IMAP login to {where} failed for the configured imap.user "
            "(check imap.user and the password)",
        ) from None


def _password(settings: ImapSettings) -> str:
    """The password from the setting or its file; never logged, never in an error."""
    if settings.password:
        return settings.password
    if not settings.password_file:
        raise ConfigError("imap.password: set INBOX_TRIAGE_IMAP_PASSWORD or imap.password_file")
    try:
        return Path(settings.password_file).read_text(encoding="utf-8").strip("\r\n")
    except OSError as error:
        raise ConfigError(
            f"imap.password_file: cannot read {settings.password_file}: {error.strerror}"
        ) from None


def reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:200]
