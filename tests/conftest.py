"""Test set-up: a real PostgreSQL on loopback besides SQLite, fresh databases per test,
and the --long switch of the fault and bad-input suites."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from support.ci import missing
from support.long_run import set_long_run
from support.postgres import PostgresServer, find_bin_dir, start_postgres
from support.settings import FixedClock, make_app, make_settings

from inbox_triage.context import AppContext


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        help="run the long variants of the fault and bad-input suites (make test-long)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Record --long for support.long_run.pick before the test modules are imported."""
    set_long_run(bool(config.getoption("--long")))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | str]:
    """A PostgreSQL server: the one in INBOX_TRIAGE_TEST_POSTGRES_URL, or a throwaway one."""
    given = os.environ.get("INBOX_TRIAGE_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    if find_bin_dir() is None:
        message = "PostgreSQL is not installed (run `make test`, which installs it)"
        missing(message)
    base = Path(tempfile.mkdtemp(prefix="inbox-triage-pg-"))
    server = start_postgres(base)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)  # a session's cluster can reach gigabytes


def _new_postgres_database(server: PostgresServer | str) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = server.url("postgres") if isinstance(server, PostgresServer) else server
    dsn = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    if isinstance(server, PostgresServer):
        return server.url(name)
    return admin.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database-backed test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return _new_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def app(tmp_path: Path, database_url: str, clock: FixedClock) -> Iterator[AppContext]:
    """A migrated application on a fresh database with a fixed clock."""
    context = make_app(make_settings(tmp_path / "data", database_url), clock=clock)
    try:
        yield context
    finally:
        context.close()
