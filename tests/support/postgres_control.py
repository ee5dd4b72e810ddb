"""Stopping and restarting a test PostgreSQL server (fault tests), and dedicated servers.

The server is driven with its own pg_ctl as the same user it was started as
(`PostgresServer.user`, via runuser when the tests run as root), with the
options `start_postgres` used, so it comes back on the same port and socket dir.
Under CI=true missing PostgreSQL binaries are a failure, never a skip.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from support.ci import missing
from support.postgres import PostgresServer, _run, find_bin_dir, start_postgres


def require_postgres() -> None:
    """Skip (fail under CI=true) when PostgreSQL is not installed."""
    if find_bin_dir() is None:
        message = "PostgreSQL is not installed (run `make test`, which installs it)"
        missing(message)


def _pg_ctl(server: PostgresServer, *args: str) -> None:
    _run(server, [str(server.bin_dir / "pg_ctl"), "-D", str(server.data_dir), *args])


def stop(server: PostgresServer, mode: str = "fast") -> None:
    """pg_ctl stop -m MODE, waiting until the server is down and its port closed."""
    _pg_ctl(server, "-m", mode, "-w", "stop")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        except OSError:
            return
        time.sleep(0.05)
    raise RuntimeError(f"PostgreSQL still listens on port {server.port} after stop")


def start(server: PostgresServer) -> None:
    """pg_ctl start with the options of `start_postgres` (same port, same socket dir)."""
    base = server.data_dir.parent
    options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {base} -c fsync=off"
    _pg_ctl(server, "-o", options, "-w", "-l", str(base / "postgres.log"), "start")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(_dsn(server, "postgres"), connect_timeout=2):
                return
        except psycopg.OperationalError:
            time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not come back on port {server.port}")


def restart(server: PostgresServer, mode: str = "fast") -> None:
    """Stop (pg_ctl stop -m MODE) and start again on the same port."""
    stop(server, mode)
    start(server)


def create_database(server: PostgresServer, name: str) -> str:
    """A new empty database on the server; returns its SQLAlchemy URL."""
    with psycopg.connect(_dsn(server, "postgres"), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


def _dsn(server: PostgresServer, database: str) -> str:
    return server.url(database).replace("postgresql+psycopg://", "postgresql://")


@contextlib.contextmanager
def dedicated_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of its own in a fresh temp dir, so a test may stop it."""
    require_postgres()
    base = Path(tempfile.mkdtemp(prefix="inbox-triage-pg-fault-"))
    server = start_postgres(base)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
