"""The one typed value that MIME parsing produces.

Every later stage reads a `ParsedMail`; none of them touches the raw MIME.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Address:
    """One mailbox from a header: display name and lower-cased address."""

    name: str
    address: str


@dataclass(frozen=True)
class Attachment:
    """Metadata of one attachment; the bytes stay in the raw message."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ParsedMail:
    """A message as the rest of the product sees it.

    `new_text` is what the sender wrote now (no quoted history, no signature);
    `quoted_text` and `signature` keep the rest. `defects` lists everything
    that was wrong with the input, so bad mail is recorded rather than lost.
    """

    subject: str = ""
    from_address: Address | None = None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    date: datetime | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    new_text: str = ""
    quoted_text: str = ""
    signature: str = ""
    body_text: str = ""
    html_only: bool = False
    attachments: tuple[Attachment, ...] = ()
    is_auto_reply: bool = False
    is_bounce: bool = False
    authentication_results: tuple[str, ...] = ()
    received: tuple[str, ...] = ()
    defects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sender(self) -> str | None:
        """The From address, lower-cased, or None when there is none."""
        return self.from_address.address if self.from_address else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings)."""
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        return data
