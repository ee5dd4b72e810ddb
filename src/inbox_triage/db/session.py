"""Engine and transaction helper shared by every part of the product."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from inbox_triage.errors import ConfigError, StorageError, StorageFullError


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and foreign keys."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database.url: not a valid database URL: {url!r}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    try:
        return create_engine(url, echo=echo, pool_pre_ping=True)
    except Exception as error:  # missing driver module and the like
        raise ConfigError(f"database.url: cannot use this database: {error}") from None


def _sqlite_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (results outlive the transaction)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except OperationalError as error:
        session.rollback()
        raise storage_error(error) from error
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def storage_error(error: OperationalError) -> StorageError:
    """The product's error for a failed database operation.

    A full disk gets its own type: intake answers it with 451 4.3.1 and the
    processor retries without using up the message's attempts.
    """
    if _is_disk_full(error.orig):
        return StorageFullError(f"disk full, nothing written (free space and retry): {error.orig}")
    return StorageError(f"database unavailable: {error.orig}")


def _is_disk_full(error: BaseException | None) -> bool:
    """SQLite reports ENOSPC as SQLITE_FULL, or as SQLITE_IOERR_SHMSIZE ("disk I/O
    error") when it cannot create the WAL index, which even a read needs;
    PostgreSQL as SQLSTATE 53100 (disk_full)."""
    if getattr(error, "sqlstate", None) == "53100":
        return True
    code = getattr(error, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_IOERR_SHMSIZE or (
        isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_FULL
    )
