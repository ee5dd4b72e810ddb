"""Advisory locks: roles that must run in one process at a time (IMAP poller, scheduler).

On PostgreSQL a role's lock is `pg_try_advisory_lock` taken on a dedicated
connection kept in autocommit mode (no transaction stays open) for as long
as the holder runs. The server releases a session's advisory locks when the
session ends, so a holder that stops, crashes or is SIGKILLed frees the lock
for the next process. On SQLite there is one process by design, so the lock
is always held.

The lock is an efficiency guard, not the only line of defence: if the
holder's connection is cut (a database restart), another process may take
the lock while the first one still runs, so what a role does must stay
idempotent (IMAP intake keys mail by UID and SHA-256; one digest per day).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from inbox_triage.context import AppContext
from inbox_triage.errors import StorageError

log = logging.getLogger(__name__)

#: How long a process that does not hold a role's lock waits before trying again.
RETRY_SECONDS = 30.0
_NAMESPACE = "inbox-triage:"


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name`, the same in every process and version."""
    digest = hashlib.sha256((_NAMESPACE + name).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def single_instance(app: AppContext, name: str) -> Iterator[bool]:
    """Try once to take the lock `name`; yield whether this process holds it.

    The lock is released when the block ends (or the process dies).
    Raises StorageError when the database cannot be reached.
    """
    if app.engine.dialect.name != "postgresql":
        yield True
        return
    try:
        connection = app.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except SQLAlchemyError as error:
        raise StorageError(f"database unavailable: {error}") from error
    try:
        yield _try_lock(connection, name)
    finally:
        connection.invalidate()  # ends the session: the server drops its advisory locks
        connection.close()


def _try_lock(connection: Connection, name: str) -> bool:
    try:
        query = text("SELECT pg_try_advisory_lock(:key)")
        return bool(connection.scalar(query, {"key": lock_key(name)}))
    except SQLAlchemyError as error:
        raise StorageError(f"database unavailable: {error}") from error


@contextlib.contextmanager
def wait_for_single_instance(
    app: AppContext, name: str, stop: threading.Event, retry_seconds: float = RETRY_SECONDS
) -> Iterator[bool]:
    """Retry every `retry_seconds` until this process holds `name` (yield True)
    or `stop` is set first (yield False); the lock is held until the block ends."""
    waiting_logged = False
    while not stop.is_set():
        with contextlib.ExitStack() as stack:
            if _enter(stack, app, name):
                log.info("%s: this process holds the lock", name)
                yield True
                return
        level = logging.DEBUG if waiting_logged else logging.INFO
        log.log(level, "%s: held by another process; retry in %.0f s", name, retry_seconds)
        waiting_logged = True
        stop.wait(retry_seconds)
    yield False


def _enter(stack: contextlib.ExitStack, app: AppContext, name: str) -> bool:
    """Take the lock inside `stack`; False when another process has it or the database is down."""
    try:
        return stack.enter_context(single_instance(app, name))
    except StorageError as error:
        log.warning("%s: cannot check the lock: %s", name, type(error.__cause__).__name__)
        return False
