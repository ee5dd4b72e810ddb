"""Advisory locks: one IMAP poller (or scheduler) among several processes on PostgreSQL."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.postgres import free_port
from support.settings import make_settings

from inbox_triage.context import AppContext
from inbox_triage.errors import StorageError
from inbox_triage.intake.imap import run_poller
from inbox_triage.locks import lock_key, single_instance, wait_for_single_instance

ROOT = Path(__file__).resolve().parent.parent
postgres_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

_HOLDER = """
import sys, time
from inbox_triage.config import load_settings
from inbox_triage.context import AppContext
from inbox_triage.errors import StorageError
from inbox_triage.locks import single_instance
app = AppContext.create(load_settings(environ={"INBOX_TRIAGE_DATABASE_URL": sys.argv[1]}))
with single_instance(app, "imap-poller") as held:
    print("held" if held else "refused", flush=True)
    time.sleep(600)
"""


@pytest.fixture
def two_apps(tmp_path: Path, database_url: str) -> Iterator[tuple[AppContext, AppContext]]:
    """Two application contexts on one database, as two processes would have."""
    first = AppContext.create(make_settings(tmp_path / "one", database_url))
    second = AppContext.create(make_settings(tmp_path / "two", database_url))
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def test_lock_key_is_stable_and_distinct() -> None:
    """GIVEN role names WHEN keyed THEN the key is a fixed signed 64-bit value per name."""
    assert lock_key("imap-poller") == lock_key("imap-poller")
    assert lock_key("imap-poller") != lock_key("scheduler")
    assert -(2**63) <= lock_key("scheduler") < 2**63


@pytest.mark.postgres
@postgres_only
def test_only_one_context_holds_the_lock(two_apps: tuple[AppContext, AppContext]) -> None:
    """GIVEN two contexts on one PostgreSQL database WHEN both take the same lock
    THEN only the first holds it, and the second gets it once the first lets go."""
    first, second = two_apps
    with single_instance(first, "imap-poller") as held:
        assert held
        with single_instance(second, "imap-poller") as other:
            assert not other
        with single_instance(second, "scheduler") as different:
            assert different
    with single_instance(second, "imap-poller") as held_now:
        assert held_now


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_always_holds(two_apps: tuple[AppContext, AppContext]) -> None:
    """GIVEN SQLite (one process by design) WHEN two contexts take the lock THEN both hold it."""
    first, second = two_apps
    with single_instance(first, "imap-poller") as held, single_instance(second, "imap-poller") as o:
        assert held and o


@pytest.mark.postgres
@postgres_only
def test_a_killed_holder_releases_the_lock(
    two_apps: tuple[AppContext, AppContext], database_url: str
) -> None:
    """GIVEN another process holding the lock WHEN it is SIGKILLed THEN this process gets it."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, database_url], stdout=subprocess.PIPE, env=environ
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        with single_instance(two_apps[0], "imap-poller") as held:
            assert not held
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    deadline = time.monotonic() + 10
    while True:
        with single_instance(two_apps[0], "imap-poller") as held:
            if held or time.monotonic() > deadline:
                break
        time.sleep(0.1)
    assert held


@pytest.mark.postgres
@postgres_only
def test_waiting_takes_over_when_the_holder_stops(
    two_apps: tuple[AppContext, AppContext],
) -> None:
    """GIVEN the lock held elsewhere WHEN a second process waits for it
    THEN it takes over after the holder lets go, within one retry interval."""
    first, second = two_apps
    stop = threading.Event()
    outcome: list[bool] = []
    with single_instance(first, "scheduler") as held:
        assert held
        waiter = threading.Thread(target=_wait, args=(second, stop, outcome))
        waiter.start()
        time.sleep(0.5)
        assert outcome == []
    waiter.join(timeout=10)
    assert outcome == [True]


@pytest.mark.postgres
@postgres_only
def test_waiting_ends_when_stopped(two_apps: tuple[AppContext, AppContext]) -> None:
    """GIVEN the lock held elsewhere WHEN the waiter is told to stop THEN it yields False."""
    first, second = two_apps
    stop = threading.Event()
    outcome: list[bool] = []
    with single_instance(first, "scheduler"):
        waiter = threading.Thread(target=_wait, args=(second, stop, outcome, 30.0))
        waiter.start()
        time.sleep(0.3)
        stop.set()
        waiter.join(timeout=5)
    assert outcome == [False]


@pytest.mark.postgres
@postgres_only
def test_second_poller_waits_without_touching_imap(
    two_apps: tuple[AppContext, AppContext], caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN one process holding the poller lock WHEN another starts run_poller
    THEN it waits for the lock and never connects to the IMAP server."""
    first, second = two_apps
    imap = dataclasses.replace(
        second.settings.imap, enabled=True, host="127.0.0.1", port=free_port(), user="u"
    )
    second.settings = dataclasses.replace(second.settings, imap=imap)
    stop = threading.Event()
    polls: list[object] = []
    caplog.set_level(logging.INFO)
    with single_instance(first, "imap-poller"):
        poller = threading.Thread(target=run_poller, args=(second, stop, polls.append))
        poller.start()
        time.sleep(1.0)
        stop.set()
        poller.join(timeout=5)
    assert not poller.is_alive()
    assert polls == []
    assert "imap-poller: held by another process" in caplog.text
    assert "imap poller:" not in caplog.text  # no connection attempt, no reconnect


def test_unreachable_database_is_a_storage_error(tmp_path: Path) -> None:
    """GIVEN a PostgreSQL URL nobody listens on WHEN the lock is tried
    THEN StorageError, and a waiter keeps waiting (not holding) until stopped."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    app = AppContext.create(make_settings(tmp_path, url))
    try:
        with pytest.raises(StorageError), single_instance(app, "scheduler"):
            pass
        stop = threading.Event()
        stop_soon = threading.Timer(0.5, stop.set)
        stop_soon.start()
        with wait_for_single_instance(app, "scheduler", stop, retry_seconds=0.1) as held:
            assert not held
    finally:
        app.close()


def _wait(app: AppContext, stop: threading.Event, outcome: list[bool], retry: float = 0.2) -> None:
    with wait_for_single_instance(app, "scheduler", stop, retry_seconds=retry) as held:
        outcome.append(held)
