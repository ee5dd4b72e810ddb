"""What the IMAP poller remembers between polls, in the database.

Each folder keeps its UIDVALIDITY and the last UID below which everything is
handled; each handed-over message is keyed by (account, folder, UIDVALIDITY,
UID) and points at its raw message row. The raw store commits first and the
handover is recorded after it: a crash in between only makes the next poll
store the same bytes again, which the store recognises by their hash.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from inbox_triage.context import AppContext
from inbox_triage.db.models import ImapFolderState, ImapHandled, Message
from inbox_triage.db.session import transaction

log = logging.getLogger(__name__)

MAX_UID = 2**32 - 1


@dataclass(frozen=True)
class FolderState:
    """A folder's position as of the start of one poll."""

    id: int
    account: str
    folder: str
    uidvalidity: int
    last_uid: int
    rescan_until_uid: int


@dataclass(frozen=True)
class Handled:
    """A server message already committed to the raw store."""

    id: int
    message_row_id: int
    marked: bool


def sync_folder(
    app: AppContext, account: str, folder: str, uidvalidity: int, uidnext: int | None
) -> FolderState:
    """Load the folder's state; a new UIDVALIDITY starts a rescan of what is there now."""
    now = app.clock()
    with transaction(app.sessions) as session:
        row = session.scalar(
            select(ImapFolderState).where(
                ImapFolderState.account == account, ImapFolderState.folder == folder
            )
        )
        if row is None:
            row = ImapFolderState(
                account=account,
                folder=folder,
                uidvalidity=uidvalidity,
                last_uid=0,
                rescan_until_uid=0,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            log.info("imap folder state %s created", row.id)
        elif row.uidvalidity != uidvalidity:
            log.warning(
                "imap folder state %s: UIDVALIDITY changed from %s to %s, rescanning",
                row.id,
                row.uidvalidity,
                uidvalidity,
            )
            row.uidvalidity = uidvalidity
            row.last_uid = 0
            row.rescan_until_uid = uidnext - 1 if uidnext else MAX_UID
            row.updated_at = now
        return FolderState(
            row.id, account, folder, row.uidvalidity, row.last_uid, row.rescan_until_uid
        )


def find_handled(app: AppContext, state: FolderState, uid: int) -> Handled | None:
    """The handover record of this UID, if an earlier poll got that far."""
    with transaction(app.sessions) as session:
        row = session.scalar(select(ImapHandled).where(*_key(state), ImapHandled.uid == uid))
        return (
            None if row is None else Handled(row.id, row.message_row_id, row.marked_at is not None)
        )


def find_rescanned(app: AppContext, state: FolderState, message_id: str) -> int | None:
    """The row of a message with this Message-ID taken from this folder before the rescan.

    Only consulted during a rescan: the server may hand the same message back with
    different bytes, and only mail this folder already delivered counts as a copy.
    """
    with transaction(app.sessions) as session:
        return session.scalar(
            select(ImapHandled.message_row_id)
            .join(Message, Message.id == ImapHandled.message_row_id)
            .where(
                ImapHandled.account == state.account,
                ImapHandled.folder == state.folder,
                ImapHandled.uidvalidity != state.uidvalidity,
                Message.message_id == message_id,
            )
            .order_by(ImapHandled.message_row_id)
            .limit(1)
        )


def record_handled(app: AppContext, state: FolderState, uid: int, message_row_id: int) -> Handled:
    """Record that this UID's bytes are committed (idempotent)."""
    row = ImapHandled(
        account=state.account,
        folder=state.folder,
        uidvalidity=state.uidvalidity,
        uid=uid,
        message_row_id=message_row_id,
        handled_at=app.clock(),
    )
    try:
        with transaction(app.sessions) as session:
            session.add(row)
            session.flush()
            return Handled(row.id, message_row_id, marked=False)
    except IntegrityError:
        existing = find_handled(app, state, uid)
        if existing is None:
            raise
        return existing


def record_marked(app: AppContext, handled: Handled) -> None:
    """Note when the server-side mark was set, after the server confirmed it."""
    with transaction(app.sessions) as session:
        session.execute(
            update(ImapHandled).where(ImapHandled.id == handled.id).values(marked_at=app.clock())
        )


def advance(app: AppContext, state: FolderState, done: Sequence[int], failed: Sequence[int]) -> int:
    """Move last_uid past what this poll finished, never past a failed UID."""
    last = min(failed) - 1 if failed else max(done, default=state.last_uid)
    last = max(last, state.last_uid)
    with transaction(app.sessions) as session:
        session.execute(
            update(ImapFolderState)
            .where(ImapFolderState.id == state.id, ImapFolderState.uidvalidity == state.uidvalidity)
            .values(last_uid=last, updated_at=app.clock())
        )
    return last


def _key(state: FolderState) -> tuple[object, ...]:
    return (
        ImapHandled.account == state.account,
        ImapHandled.folder == state.folder,
        ImapHandled.uidvalidity == state.uidvalidity,
    )
