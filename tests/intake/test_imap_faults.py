"""IMAP intake under faults, against a real Dovecot: drops, restarts, unreadable mail,
a new UIDVALIDITY, a failing database. Nothing may be lost and nothing stored twice."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from support.dovecot import (
    CuttingProxy,
    DovecotServer,
    configure_imap,
    imap_mail,
    running_poller,
    server_flags,
    start_dovecot,
)

from inbox_triage.context import AppContext
from inbox_triage.db.models import ImapFolderState, ImapHandled, Message
from inbox_triage.errors import StorageError
from inbox_triage.intake.imap import check_connection, poll_once
from inbox_triage.intake.store import store_raw

KEYWORD = "$InboxTriage"
WHEN = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    server = start_dovecot()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def user(app: AppContext, dovecot: DovecotServer) -> str:
    name = dovecot.add_user()
    configure_imap(app, dovecot, name)
    return name


def _count(app: AppContext, model: type) -> int:
    with app.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _raws(app: AppContext) -> list[bytes]:
    with app.sessions() as session:
        return list(session.scalars(select(Message.raw).order_by(Message.id)))


@pytest.mark.parametrize(
    ("trigger", "first", "second"),
    [
        # cut while marking the first message: it is stored and recorded, not yet marked
        (b"STORE", (3, 3, 0, 2, 1), (0, 0, 1, 1, 0)),
        # cut while fetching the first message: nothing of it stored yet
        (b"BODY.PEEK", (2, 2, 0, 2, 1), (1, 1, 0, 1, 0)),
    ],
)
def test_dropped_connection_mid_poll_loses_and_duplicates_nothing(
    app: AppContext, dovecot: DovecotServer, user: str, trigger: bytes,
    first: tuple[int, ...], second: tuple[int, ...],
) -> None:  # fmt: skip
    """GIVEN three messages and a network that drops mid-poll WHEN polled, then polled again
    THEN each message is stored exactly once and ends up marked."""
    raws = [imap_mail(subject=f"kérés {n}") for n in range(3)]
    for raw in raws:
        dovecot.append(user, raw, WHEN)
    proxy = CuttingProxy(dovecot.imap_port, trigger)
    configure_imap(app, dovecot, user, security="none", port=proxy.port)
    try:
        interrupted = poll_once(app)
        recovered = poll_once(app)
    finally:
        proxy.close()

    assert proxy.cut.is_set()
    fields = ("fetched", "stored", "duplicates", "marked", "errors")
    assert tuple(interrupted.as_dict()[f] for f in fields) == first
    assert tuple(recovered.as_dict()[f] for f in fields) == second
    assert sorted(_raws(app)) == sorted(raws)
    assert _count(app, ImapHandled) == 3
    assert server_flags(dovecot, user) == [{KEYWORD}] * 3


def test_poller_reconnects_after_the_server_restarts(app: AppContext) -> None:
    """GIVEN a poller idling on Dovecot WHEN Dovecot restarts and then a message arrives
    THEN the poller reconnects by itself and stores the message."""
    server = start_dovecot()
    try:
        user = server.add_user()
        configure_imap(app, server, user, poll_interval_seconds=3600)
        with running_poller(app) as polls:
            assert polls.get(timeout=15).errors == 0
            server.restart()
            raw = imap_mail()
            server.append(user, raw, WHEN)
            stored = 0
            deadline = time.monotonic() + 30
            while stored == 0 and time.monotonic() < deadline:
                stored += polls.get(timeout=30).stored
        assert stored == 1
        assert _raws(app) == [raw]
        assert server_flags(server, user) == [{KEYWORD}]
    finally:
        server.destroy()


def test_unfetchable_message_is_reported_and_retried(
    app: AppContext, dovecot: DovecotServer, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN a message the server cannot read (and drops us over) and a readable one
    WHEN polled THEN the readable one is handed over and the other counted and logged;
    WHEN the server can read it again THEN the next poll hands it over too."""
    broken = imap_mail(message_id="<unreadable@example.hu>")
    fine = imap_mail(message_id="<fine@example.hu>")
    broken_uid = dovecot.append(user, broken, WHEN)
    dovecot.append(user, fine, WHEN)
    path = _maildir_file(dovecot.maildir(user), b"<unreadable@example.hu>")
    mode = path.stat().st_mode
    path.chmod(0)
    caplog.set_level(logging.WARNING, logger="inbox_triage")
    try:
        first = poll_once(app)
    finally:  # Dovecot may have moved it from new/ to cur/ meanwhile
        _same_maildir_file(dovecot.maildir(user), path).chmod(mode)
    second = poll_once(app)

    assert (first.stored, first.marked, first.errors) == (1, 1, 1)
    assert any(f"uid {broken_uid} not handed over" in r.getMessage() for r in caplog.records)
    assert (second.stored, second.marked, second.errors) == (1, 1, 0)
    assert sorted(_raws(app)) == sorted([broken, fine])
    assert server_flags(dovecot, user) == [{KEYWORD}, {KEYWORD}]


def test_uidvalidity_change_rescans_without_duplicates(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN a polled folder WHEN it is recreated (new UIDVALIDITY) with the same messages,
    one of them re-encoded by the server, plus a new one THEN only the new one is stored."""
    same = imap_mail(message_id="<same@example.hu>")
    original = imap_mail(message_id="<reencoded@example.hu>")
    for raw in (same, original):
        dovecot.append(user, raw, WHEN, folder="Privacy")
    configure_imap(app, dovecot, user, folder="Privacy")
    poll_once(app)
    before = check_connection(app)["uidvalidity"]

    client = dovecot.connect(user)
    client.delete_folder("Privacy")
    client.create_folder("Privacy")
    client.logout()
    newcomer = imap_mail(message_id="<new@example.hu>")
    for raw in (same, b"X-Migrated: yes\r\n" + original, newcomer):
        dovecot.append(user, raw, WHEN, folder="Privacy")
    rescan = poll_once(app)

    assert check_connection(app)["uidvalidity"] != before
    assert (rescan.fetched, rescan.stored, rescan.duplicates, rescan.marked) == (3, 1, 2, 3)
    assert _raws(app) == [same, original, newcomer]
    assert server_flags(dovecot, user, "Privacy") == [{KEYWORD}] * 3
    with app.sessions() as session:
        state = session.scalars(select(ImapFolderState)).one()
        assert state.uidvalidity != before and state.last_uid == 3
    assert poll_once(app).fetched == 0


def test_crash_between_store_and_record_is_harmless(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN a message whose bytes were committed but whose handover was never recorded
    WHEN polled THEN it is recognised as a duplicate, recorded against that row and marked."""
    raw = imap_mail()
    dovecot.append(user, raw, WHEN)
    earlier = store_raw(app, raw, "imap", accepted_at=WHEN)

    summary = poll_once(app)

    assert (summary.fetched, summary.stored, summary.duplicates, summary.marked) == (1, 0, 1, 1)
    with app.sessions() as session:
        handled = session.scalars(select(ImapHandled)).one()
        assert handled.message_row_id == earlier.id
    assert _count(app, Message) == 1
    assert server_flags(dovecot, user) == [{KEYWORD}]


def test_storage_failure_leaves_the_message_unmarked(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN a database that cannot store messages WHEN polled
    THEN the poll fails and the message stays unmarked on the server for the next one."""
    dovecot.append(user, imap_mail(), WHEN)
    drop = "DROP TABLE messages" + (" CASCADE" if app.engine.dialect.name == "postgresql" else "")
    with app.engine.begin() as connection:
        connection.execute(text(drop))

    with pytest.raises((StorageError, SQLAlchemyError)):
        poll_once(app)

    assert server_flags(dovecot, user) == [set()]


def _maildir_file(maildir: Path, needle: bytes) -> Path:
    """The maildir file holding the message with this Message-ID."""
    for path in [*maildir.glob("cur/*"), *maildir.glob("new/*")]:
        if needle in path.read_bytes():
            return path
    raise AssertionError(f"no maildir file contains {needle!r}")


def _same_maildir_file(maildir: Path, earlier: Path) -> Path:
    """Where a maildir file is now: its unique name stays, its folder and flag suffix change."""
    unique = earlier.name.split(":")[0]
    return next(p for p in [*maildir.glob("cur/*"), *maildir.glob("new/*")]
                if p.name.split(":")[0] == unique)  # fmt: skip
