"""When a request was received: the instant every deadline is counted from.

Live intake knows it first-hand (the SMTP server accepted the message, or IMAP
reports its INTERNALDATE). A backlog import (source "cli") only knows when it
ran, which can be weeks late, so it looks for evidence written by the
company's own servers: the topmost Received header added by a trusted host
(headers below it could be forged by the sender), else the maildir delivery
time, else the import time. The Date header is written by the sender and is
never used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

LIVE_BASES = {"smtp": "smtp_accepted", "imap": "imap_internaldate"}
BASES = (
    "smtp_accepted",
    "imap_internaldate",
    "trusted_received_header",
    "maildir_delivery",
    "import_time",
)
_COMMENT = re.compile(r"\([^()]*\)")
_BY_HOST = re.compile(r"(?:^|\s)by\s+([^\s;]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Receipt:
    """The receipt instant (aware, UTC) and what it was taken from."""

    at: datetime
    basis: str


def determine_receipt(
    source: str,
    accepted_at: datetime,
    received_headers: Sequence[str],
    trusted_hosts: Sequence[str],
    maildir_delivered_at: datetime | None,
) -> Receipt:
    """Pick the receipt instant; received_headers are in message order (topmost first)."""
    if source in LIVE_BASES:
        return Receipt(_utc(accepted_at, "accepted_at"), LIVE_BASES[source])
    if source != "cli":
        raise ValueError(f"unknown message source {source!r} (expected smtp, imap or cli)")
    trusted = {_normal_host(host) for host in trusted_hosts if host.strip()}
    stamped = trusted_received_time(received_headers, trusted)
    if stamped is not None:
        return Receipt(stamped, "trusted_received_header")
    if maildir_delivered_at is not None:
        return Receipt(_utc(maildir_delivered_at, "maildir_delivered_at"), "maildir_delivery")
    return Receipt(_utc(accepted_at, "accepted_at"), "import_time")


def trusted_received_time(headers: Sequence[str], trusted: set[str]) -> datetime | None:
    """The date of the topmost Received header stamped by a trusted host, in UTC."""
    for header in headers:
        host = received_by_host(header)
        if host is None or host not in trusted:
            continue
        stamp = received_date(header)
        if stamp is not None:
            return stamp
    return None


def received_by_host(header: str) -> str | None:
    """The host after "by" (comments removed), lower-cased, or None."""
    text = _unfold(header).rpartition(";")[0] or _unfold(header)
    previous = None
    while previous != text:
        previous, text = text, _COMMENT.sub(" ", text)
    match = _BY_HOST.search(text)
    return _normal_host(match.group(1)) if match else None


def received_date(header: str) -> datetime | None:
    """The date after the last ";" in UTC; None when missing or unparsable."""
    _head, separator, tail = _unfold(header).rpartition(";")
    if not separator or not tail.strip():
        return None
    try:
        stamp = parsedate_to_datetime(tail.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if stamp.tzinfo is None:  # "-0000": UTC with the sender's zone unknown (RFC 5322 3.3)
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def _unfold(header: str) -> str:
    return re.sub(r"\r?\n[ \t]+", " ", header).strip()


def _normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got a naive datetime")
    return moment.astimezone(UTC)
