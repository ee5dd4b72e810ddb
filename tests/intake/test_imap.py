"""IMAP intake against a real Dovecot on loopback: handover, marking, TLS, settings, IDLE."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from support.dovecot import (
    PASSWORD,
    DovecotServer,
    configure_imap,
    imap_mail,
    running_poller,
    server_flags,
    start_dovecot,
)
from support.postgres import free_port

from inbox_triage.config import load_settings
from inbox_triage.context import AppContext
from inbox_triage.db.models import ImapHandled, Message
from inbox_triage.errors import ConfigError
from inbox_triage.intake.imap import ImapError, check_connection, poll_once

KEYWORD = "$InboxTriage"
# A server that offers neither IDLE nor MOVE, to exercise the fallbacks.
BASIC_CAPABILITIES = "IMAP4rev1 LITERAL+ SASL-IR NAMESPACE UNSELECT UIDPLUS"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    server = start_dovecot()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def basic_dovecot() -> Iterator[DovecotServer]:
    server = start_dovecot(capabilities=BASIC_CAPABILITIES)
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def user(app: AppContext, dovecot: DovecotServer) -> str:
    """A fresh mailbox on the shared server, and the app pointed at it."""
    name = dovecot.add_user()
    configure_imap(app, dovecot, name)
    return name


def _rows(app: AppContext) -> list[Message]:
    with app.sessions() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def _handled(app: AppContext) -> list[ImapHandled]:
    with app.sessions() as session:
        return list(session.scalars(select(ImapHandled).order_by(ImapHandled.uid)))


def test_new_messages_are_stored_once_with_internaldate_then_marked(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN two new messages with known INTERNALDATEs WHEN polled
    THEN each is stored once, receipt = INTERNALDATE, keyword set, nothing \\Seen."""
    first = imap_mail(message_id="<first@example.hu>")
    second = imap_mail(message_id="<second@example.hu>", subject="Hozzáférés")
    first_at = datetime(2026, 2, 27, 23, 30, 5, tzinfo=UTC)
    second_at = datetime(2026, 2, 28, 8, 15, tzinfo=timezone(timedelta(hours=1)))
    dovecot.append(user, first, first_at)
    dovecot.append(user, second, second_at)

    summary = poll_once(app)

    assert summary.as_dict() == {
        "fetched": 2, "stored": 2, "duplicates": 0, "marked": 2, "errors": 0,
    }  # fmt: skip
    rows = _rows(app)
    assert [row.raw for row in rows] == [first, second]
    assert [row.receipt_at for row in rows] == [first_at, second_at.astimezone(UTC)]
    assert {row.source for row in rows} == {"imap"}
    assert {row.receipt_basis for row in rows} == {"imap_internaldate"}
    assert server_flags(dovecot, user) == [{KEYWORD}, {KEYWORD}]
    handled = _handled(app)
    assert [h.message_row_id for h in handled] == [row.id for row in rows]
    assert all(h.marked_at is not None for h in handled)


def test_second_poll_stores_nothing_new(app: AppContext, dovecot: DovecotServer, user: str) -> None:
    """GIVEN a polled folder WHEN polled again, then after one more arrives
    THEN the second poll does nothing and the third takes only the newcomer."""
    dovecot.append(user, imap_mail(), datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    poll_once(app)

    again = poll_once(app)
    dovecot.append(user, imap_mail(), datetime(2026, 3, 1, 11, 0, tzinfo=UTC))
    third = poll_once(app)

    assert again.as_dict() == {
        "fetched": 0, "stored": 0, "duplicates": 0, "marked": 0, "errors": 0,
    }  # fmt: skip
    assert (third.fetched, third.stored, third.marked) == (1, 1, 1)
    assert len(_rows(app)) == 2


def test_messages_already_carrying_the_keyword_are_skipped(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN a message someone already marked with the keyword WHEN polled
    THEN it is neither fetched nor stored, and the unmarked one is."""
    when = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    dovecot.append(user, imap_mail(subject="régi"), when, flags=[KEYWORD])
    fresh = imap_mail(subject="új")
    dovecot.append(user, fresh, when)

    summary = poll_once(app)

    assert (summary.fetched, summary.stored) == (1, 1)
    assert [row.raw for row in _rows(app)] == [fresh]


def test_move_mode_creates_the_folder_and_moves_after_storing(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN mark = move to a folder that does not exist WHEN polled
    THEN the folder is created, the message is stored and moved, unread, out of INBOX."""
    configure_imap(app, dovecot, user, mark="move", move_to="Triaged")
    raw = imap_mail()
    dovecot.append(user, raw, datetime(2026, 3, 1, 10, 0, tzinfo=UTC))

    summary = poll_once(app)

    assert (summary.stored, summary.marked) == (1, 1)
    assert [row.raw for row in _rows(app)] == [raw]
    assert server_flags(dovecot, user) == []
    assert server_flags(dovecot, user, "Triaged") == [set()]
    assert poll_once(app).fetched == 0


def test_move_without_move_capability_copies_and_expunges_only_that_uid(
    app: AppContext, basic_dovecot: DovecotServer
) -> None:
    """GIVEN a server without MOVE and a staff message flagged \\Deleted WHEN polled in move mode
    THEN the new message is copied and UID-expunged, and the staff message is untouched."""
    user = basic_dovecot.add_user()
    configure_imap(app, basic_dovecot, user, mark="move", move_to="Triaged")
    when = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    basic_dovecot.append(user, imap_mail(subject="staff"), when, flags=["\\Deleted", KEYWORD])
    raw = imap_mail(subject="request")
    basic_dovecot.append(user, raw, when)

    assert check_connection(app)["move"] is False
    summary = poll_once(app)

    assert (summary.stored, summary.marked, summary.errors) == (1, 1, 0)
    assert [row.raw for row in _rows(app)] == [raw]
    assert server_flags(basic_dovecot, user) == [{"\\Deleted", KEYWORD}]
    assert server_flags(basic_dovecot, user, "Triaged") == [set()]


def test_move_without_uidplus_copies_and_leaves_the_original_marked(app: AppContext) -> None:
    """GIVEN a server with neither MOVE nor UIDPLUS WHEN polled in move mode
    THEN the message is copied, and the original stays (never a blanket EXPUNGE), keyworded."""
    server = start_dovecot(capabilities="IMAP4rev1 LITERAL+")
    try:
        user = server.add_user()
        configure_imap(app, server, user, mark="move", move_to="Triaged")
        server.append(user, imap_mail(), datetime(2026, 3, 1, 10, 0, tzinfo=UTC))

        first, second = poll_once(app), poll_once(app)

        assert (first.stored, first.marked, second.fetched) == (1, 1, 0)
        assert server_flags(server, user) == [{KEYWORD}]
        assert server_flags(server, user, "Triaged") == [set()]
    finally:
        server.destroy()


def test_flag_mode_sets_flagged_and_the_keyword(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN mark = flag WHEN polled THEN the message is \\Flagged (and keyworded), not \\Seen."""
    configure_imap(app, dovecot, user, mark="flag")
    dovecot.append(user, imap_mail(), datetime(2026, 3, 1, 10, 0, tzinfo=UTC))

    summary = poll_once(app)

    assert (summary.stored, summary.marked) == (1, 1)
    assert server_flags(dovecot, user) == [{"\\Flagged", KEYWORD}]


def test_check_reports_folder_and_capabilities(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN a mailbox with one message WHEN checked
    THEN UIDVALIDITY, the count and IDLE support are reported, and nothing is stored."""
    uid = dovecot.append(user, imap_mail(), datetime(2026, 3, 1, 10, 0, tzinfo=UTC))

    report = check_connection(app)

    assert report["messages"] == 1 and report["uidnext"] == uid + 1
    assert isinstance(report["uidvalidity"], int) and report["uidvalidity"] > 0
    assert report["idle"] is True and report["keywords"] is True
    assert "IMAP4REV1" in report["capabilities"]
    assert _rows(app) == []


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_verification_needs_the_ca_setting(
    app: AppContext, dovecot: DovecotServer, user: str, security: str
) -> None:
    """GIVEN Dovecot's self-signed certificate WHEN connecting without imap.ca_file
    THEN verification fails with one clear line; WITH it THEN the check succeeds."""
    port = dovecot.imaps_port if security == "ssl" else dovecot.imap_port
    configure_imap(app, dovecot, user, security=security, port=port, ca_file="")

    with pytest.raises(ImapError) as refused:
        check_connection(app)
    configure_imap(app, dovecot, user, security=security, port=port)
    report = check_connection(app)

    assert refused.value.kind == "tls"
    assert "certificate" in str(refused.value) and "imap.ca_file" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert report["security"] == security and report["folder"] == "INBOX"


@pytest.mark.parametrize(
    ("kind", "override"),
    [
        ("refused", {"port": "free"}),
        ("dns", {"host": "imap.does-not-exist.invalid"}),
        ("login", {"password": "wrong-password"}),
        ("folder", {"folder": "NoSuchFolder"}),
    ],
)
def test_connection_failures_are_one_clear_line(
    app: AppContext, dovecot: DovecotServer, user: str, kind: str, override: dict[str, str]
) -> None:
    """GIVEN a wrong port, host, password or folder WHEN checked
    THEN an ImapError of that kind, one line, without the password."""
    values: dict[str, object] = dict(override)
    if values.get("port") == "free":
        values["port"] = free_port()
    configure_imap(app, dovecot, user, **values)

    with pytest.raises(ImapError) as error:
        check_connection(app)

    assert error.value.kind == kind
    message = str(error.value)
    assert message and "\n" not in message
    assert PASSWORD not in message and "wrong-password" not in message


def test_security_none_is_refused_for_a_remote_host() -> None:
    """GIVEN security = none WHEN the host is remote THEN a config error names imap.security;
    for a loopback host it is accepted."""
    with pytest.raises(ConfigError) as error:
        load_settings(environ={"INBOX_TRIAGE_IMAP_HOST": "mail.clmaster.eu",
                               "INBOX_TRIAGE_IMAP_SECURITY": "none"})  # fmt: skip
    local = load_settings(
        environ={"INBOX_TRIAGE_IMAP_HOST": "127.0.0.1", "INBOX_TRIAGE_IMAP_SECURITY": "none"}
    )

    assert "imap.security" in str(error.value)
    assert local.imap.security == "none" and local.imap.folder == "INBOX"


def test_security_none_is_refused_at_connect_even_if_validation_was_bypassed(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN settings built without validation WHEN connecting in clear to a remote host
    THEN the poller refuses before opening a socket."""
    configure_imap(app, dovecot, user, security="none", host="mail.clmaster.eu")

    with pytest.raises(ConfigError) as error:
        poll_once(app)

    assert "imap.security" in str(error.value)


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"INBOX_TRIAGE_IMAP_MARK": "delete"}, "imap.mark"),
        ({"INBOX_TRIAGE_IMAP_MARK": "move"}, "imap.move_to"),
        ({"INBOX_TRIAGE_IMAP_KEYWORD": "\\Seen"}, "imap.keyword"),
        ({"INBOX_TRIAGE_IMAP_IDLE_TIMEOUT_SECONDS": "1800"}, "imap.idle_timeout_seconds"),
    ],
)
def test_bad_imap_settings_are_named(environ: dict[str, str], key: str) -> None:
    """GIVEN a bad IMAP setting WHEN loaded THEN the error names the key."""
    with pytest.raises(ConfigError) as error:
        load_settings(environ=environ)
    assert key in str(error.value)


def test_plain_loopback_login_with_password_file_logs_no_address_or_password(
    app: AppContext, dovecot: DovecotServer, user: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """GIVEN security = none on loopback and the password in a file WHEN polled
    THEN the message is stored, and the product's logs carry ids, not the address or password."""
    secret = tmp_path / "imap-password"
    secret.write_text(PASSWORD + "\n")
    configure_imap(
        app, dovecot, user, security="none", port=dovecot.imap_port, password="",
        password_file=str(secret),
    )  # fmt: skip
    dovecot.append(user, imap_mail(), datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    caplog.set_level(logging.INFO, logger="inbox_triage")

    summary = poll_once(app)

    assert summary.stored == 1
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("inbox_triage")]
    assert any("handed over as message" in line for line in ours)
    assert not any(user in line or PASSWORD in line for line in ours)


def test_idle_wakes_the_poller_when_a_message_arrives(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN a poller idling (interval one hour) WHEN a message is appended
    THEN it is stored within seconds."""
    configure_imap(app, dovecot, user, poll_interval_seconds=3600)
    with running_poller(app) as polls:
        assert polls.get(timeout=15).fetched == 0
        raw = imap_mail()
        dovecot.append(user, raw, datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
        appended = time.monotonic()
        woken = polls.get(timeout=15)
        waited = time.monotonic() - appended

    assert (woken.stored, woken.marked) == (1, 1)
    assert waited < 10
    assert [row.raw for row in _rows(app)] == [raw]


def test_idle_is_reissued_when_its_timeout_passes(
    app: AppContext, dovecot: DovecotServer, user: str
) -> None:
    """GIVEN idle_timeout_seconds = 1 and no mail WHEN the poller runs
    THEN it leaves and re-enters IDLE about every second, polling each time."""
    configure_imap(app, dovecot, user, idle_timeout_seconds=1, poll_interval_seconds=3600)
    with running_poller(app) as polls:
        polls.get(timeout=15)
        started = time.monotonic()
        renewals = [polls.get(timeout=10) for _ in range(3)]
        elapsed = time.monotonic() - started

    assert all(summary.fetched == 0 and summary.errors == 0 for summary in renewals)
    assert 2.5 <= elapsed < 10


def test_without_idle_the_poller_polls_at_the_interval(
    app: AppContext, basic_dovecot: DovecotServer
) -> None:
    """GIVEN a server without IDLE and a 1 s interval WHEN a message is appended
    THEN a later poll stores it."""
    user = basic_dovecot.add_user()
    configure_imap(app, basic_dovecot, user, poll_interval_seconds=1)
    with running_poller(app) as polls:
        polls.get(timeout=15)
        basic_dovecot.append(user, imap_mail(), datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
        stored = 0
        deadline = time.monotonic() + 10
        while stored == 0 and time.monotonic() < deadline:
            stored += polls.get(timeout=5).stored

    assert stored == 1
    assert check_connection(app)["idle"] is False
