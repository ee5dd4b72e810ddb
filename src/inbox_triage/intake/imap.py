"""IMAP intake: hand each new message in one folder over to the raw store, exactly once.

Bodies are fetched with BODY.PEEK[] (nothing turns \\Seen), committed through
`store_raw` with INTERNALDATE as the receipt time, and only then marked on the
server: a keyword by default, \\Flagged, or a move to another folder. Mail is
never deleted. A message the server cannot deliver is counted and retried on
the next poll; the poll goes on with the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from typing import Any

from imapclient.exceptions import IMAPClientError

from inbox_triage import locks
from inbox_triage.config import ImapSettings
from inbox_triage.context import AppContext
from inbox_triage.errors import InboxTriageError
from inbox_triage.intake import imap_state
from inbox_triage.intake.imap_mailbox import DROPPED, ImapError, Mailbox, reason
from inbox_triage.intake.imap_state import FolderState
from inbox_triage.intake.store import store_raw

__all__ = ["ImapError", "PollSummary", "check_connection", "poll", "poll_once", "run_poller"]

log = logging.getLogger(__name__)

_BACKOFF_FIRST, _BACKOFF_MAX = 1.0, 300.0
_MAX_CONSECUTIVE_FAILURES = 3


@dataclass
class PollSummary:
    """What one poll did; `duplicates` counts messages whose bytes were already stored."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    marked: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def account_key(settings: ImapSettings) -> str:
    """The account part of every stored UID key."""
    return f"{settings.user}@{settings.host.lower()}"


def check_connection(app: AppContext) -> dict[str, Any]:
    """`imap check`: connect, log in, select the folder, and report what the server offers."""
    settings = app.settings.imap
    box = Mailbox(settings)
    selected = box.open()
    try:
        capabilities = box.capabilities()
    except (*DROPPED, IMAPClientError) as error:
        raise ImapError("server", f"IMAP server {box.where}: {reason(error)}") from None
    finally:
        box.close()
    return {
        "host": settings.host,
        "port": settings.port,
        "security": settings.security,
        "folder": settings.folder,
        "capabilities": capabilities,
        "uidvalidity": selected.uidvalidity,
        "uidnext": selected.uidnext,
        "messages": selected.exists,
        "idle": "IDLE" in capabilities,
        "move": "MOVE" in capabilities,
        "uidplus": "UIDPLUS" in capabilities,
        "keywords": selected.keywords_allowed,
        "mark": settings.mark,
    }


def poll_once(app: AppContext) -> PollSummary:
    """`imap poll --once`: one connection, one pass over the folder."""
    box = Mailbox(app.settings.imap)
    box.open()
    try:
        return poll(app, box)
    except (*DROPPED, IMAPClientError) as error:  # outside any one message: nothing to count
        raise ImapError("server", f"IMAP server {box.where}: {reason(error)}") from None
    finally:
        box.close()


def poll(app: AppContext, box: Mailbox) -> PollSummary:
    """Hand over every pending message; a failed one is counted, logged, and retried later."""
    summary = PollSummary()
    selected = box.select()
    state = imap_state.sync_folder(
        app, account_key(box.settings), box.settings.folder, selected.uidvalidity, selected.uidnext
    )
    box.ensure_move_target()
    done: list[int] = []
    failed: list[int] = []
    streak = 0
    for uid in box.pending(state.last_uid):
        try:
            _handover(app, box, state, uid, summary)
            done.append(uid)
            streak = 0
            continue
        except DROPPED as error:
            _report(state, uid, error, summary, failed)
            streak += 1
            if streak >= _MAX_CONSECUTIVE_FAILURES or not _reopen(box, state):
                break
        except IMAPClientError as error:
            _report(state, uid, error, summary, failed)
    imap_state.advance(app, state, done, failed)
    log.info("imap poll of folder state %s: %s", state.id, summary.as_dict())
    return summary


def _handover(
    app: AppContext, box: Mailbox, state: FolderState, uid: int, summary: PollSummary
) -> None:
    """Store (unless an earlier poll did), record, then mark: the order is the guarantee."""
    handled = imap_state.find_handled(app, state, uid)
    if handled is None:
        fetched = box.fetch(uid)
        if fetched is None:
            log.info(
                "imap folder state %s: uid %s was removed before it could be fetched", state.id, uid
            )
            return
        summary.fetched += 1
        raw, internaldate = fetched
        row_id, duplicate = _store(app, state, uid, raw, internaldate)
        summary.stored += not duplicate
        summary.duplicates += duplicate
        handled = imap_state.record_handled(app, state, uid, row_id)
    else:
        summary.duplicates += 1
    box.mark(uid)
    imap_state.record_marked(app, handled)
    summary.marked += 1
    log.info(
        "imap folder state %s: uid %s handed over as message %s",
        state.id,
        uid,
        handled.message_row_id,
    )


def _store(
    app: AppContext, state: FolderState, uid: int, raw: bytes, internaldate: datetime
) -> tuple[int, bool]:
    if uid <= state.rescan_until_uid:
        message_id = _message_id(raw)
        existing = imap_state.find_rescanned(app, state, message_id) if message_id else None
        if existing is not None:
            return existing, True
    stored = store_raw(app, raw, "imap", accepted_at=internaldate)
    return stored.id, stored.duplicate


def _message_id(raw: bytes) -> str | None:
    """The Message-ID as the raw store records it (whitespace collapsed)."""
    value = BytesHeaderParser().parsebytes(raw, headersonly=True).get("Message-ID")
    if value is None:
        return None
    return " ".join(str(value).split())[:998] or None


def _report(
    state: FolderState, uid: int, error: Exception, summary: PollSummary, failed: list[int]
) -> None:
    summary.errors += 1
    failed.append(uid)
    log.warning(
        "imap folder state %s: uid %s not handed over, will retry: %s",
        state.id,
        uid,
        reason(error),
    )


def _reopen(box: Mailbox, state: FolderState) -> bool:
    """Reconnect within a poll; if that fails or UIDVALIDITY changed, end the poll closed,
    so the caller reconnects and the next poll starts from a fresh state."""
    try:
        if box.open().uidvalidity == state.uidvalidity:
            return True
        log.warning("imap folder state %s: UIDVALIDITY changed during the poll", state.id)
    except (InboxTriageError, *DROPPED, IMAPClientError) as error:
        log.warning("imap folder state %s: reconnect failed: %s", state.id, reason(error))
    box.close()
    return False


def run_poller(
    app: AppContext, stop: threading.Event, on_poll: Callable[[PollSummary], None] | None = None
) -> None:
    """`serve`'s IMAP loop: poll, wait (IDLE or interval), reconnect with back-off on failure.

    It is a long-running loop like the processor, so it logs unexpected errors and
    carries on rather than let intake stop silently. Only one process polls: the
    others wait for the advisory lock and retry every 30 s (locks.py).
    """
    with locks.wait_for_single_instance(app, "imap-poller", stop) as held:
        if held:
            _poll_until_stopped(app, stop, on_poll)


def _poll_until_stopped(
    app: AppContext, stop: threading.Event, on_poll: Callable[[PollSummary], None] | None
) -> None:
    settings = app.settings.imap
    delay = _BACKOFF_FIRST
    box = Mailbox(settings)
    while not stop.is_set():
        try:
            if not box.alive:
                box.open()
            summary = poll(app, box)
            delay = _BACKOFF_FIRST
            if on_poll is not None:
                on_poll(summary)
            if box.alive:
                box.wait_for_mail(stop)
                continue
        except InboxTriageError as error:
            log.warning("imap poller: %s", error)
        except (*DROPPED, IMAPClientError) as error:
            log.warning("imap poller: connection lost: %s", reason(error))
        except Exception:
            log.exception("imap poller: unexpected error")
        box.close()
        log.info("imap poller: reconnecting in %.0f s", delay)
        stop.wait(delay)
        delay = min(delay * 2, _BACKOFF_MAX)
    box.close()
