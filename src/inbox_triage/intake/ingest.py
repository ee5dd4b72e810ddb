"""Backlog import: .eml files, directories of them, an mbox, or a Maildir.

Each message goes through the same durable store as live mail (source `cli`);
an unreadable file is reported by name and the rest carry on.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from inbox_triage.context import AppContext
from inbox_triage.errors import UsageError
from inbox_triage.intake.store import store_raw

PROGRESS_THRESHOLD = 5


@dataclass(frozen=True)
class RawItem:
    """One message to import, and where it came from (for error reports)."""

    origin: str
    raw: bytes | None
    error: str | None = None
    delivered_at: datetime | None = None


@dataclass
class IngestSummary:
    """The JSON summary printed by `ingest --json`."""

    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "seen": self.seen,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "ids": self.message_ids,
        }


def collect(paths: Sequence[Path], mbox: Path | None, maildir: Path | None) -> list[RawItem]:
    """Every message named on the command line, read into memory lazily per source."""
    if not paths and mbox is None and maildir is None:
        raise UsageError("nothing to ingest: give .eml files or directories, --mbox or --maildir")
    items: list[RawItem] = []
    for path in paths:
        items.extend(_from_path(path))
    if mbox is not None:
        items.extend(_from_mbox(mbox))
    if maildir is not None:
        items.extend(_from_maildir(maildir))
    return items


def ingest(app: AppContext, items: Sequence[RawItem], show_progress: bool) -> IngestSummary:
    """Store every readable item; report the others."""
    summary = IngestSummary()
    progress = tqdm(
        items,
        unit="msg",
        desc="ingest",
        disable=not show_progress or len(items) <= PROGRESS_THRESHOLD,
    )
    for item in progress:
        summary.seen += 1
        if item.raw is None:
            summary.errors.append({"source": item.origin, "error": item.error or "unreadable"})
            continue
        stored = store_raw(app, item.raw, "cli", maildir_delivered_at=item.delivered_at)
        summary.message_ids.append(stored.id)
        if stored.duplicate:
            summary.duplicates += 1
        else:
            summary.stored += 1
    return summary


def _from_path(path: Path) -> Iterator[RawItem]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.eml") if p.is_file())
        if not files:
            raise UsageError(f"{path}: directory holds no .eml files")
        for file in files:
            yield _read(file)
    elif path.exists():
        yield _read(path)
    else:
        raise UsageError(f"{path}: no such file or directory")


def _read(path: Path) -> RawItem:
    try:
        return RawItem(str(path), path.read_bytes())
    except OSError as error:
        return RawItem(str(path), None, f"cannot read: {error.strerror}")


def _from_mbox(path: Path) -> Iterator[RawItem]:
    if not path.is_file():
        raise UsageError(f"{path}: no such mbox file")
    box = mailbox.mbox(path, create=False)
    try:
        for key in box.iterkeys():
            yield RawItem(f"{path}#{key}", box.get_bytes(key))
    finally:
        box.close()


def _from_maildir(path: Path) -> Iterator[RawItem]:
    if not (path / "cur").is_dir() and not (path / "new").is_dir():
        raise UsageError(f"{path}: not a Maildir (no cur/ or new/ inside)")
    box = mailbox.Maildir(path, factory=None, create=False)
    for key in sorted(box.iterkeys()):
        file = Path(path, box._lookup(key))  # the delivery time is the file's name prefix
        yield RawItem(f"{path}/{key}", box.get_bytes(key), delivered_at=_delivery_time(file))


def _delivery_time(file: Path) -> datetime | None:
    """Maildir names start with the delivery's Unix time; fall back to the file time."""
    head = file.name.split(".", 1)[0]
    if head.isdigit():
        return datetime.fromtimestamp(int(head), UTC)
    try:
        return datetime.fromtimestamp(file.stat().st_mtime, UTC)
    except OSError:
        return None
