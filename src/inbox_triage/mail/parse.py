"""MIME bytes to `ParsedMail`: the parse stage of the pipeline.

`parse_message` never raises: every field is extracted on its own, and
whatever is wrong with the input is listed in `ParsedMail.defects`, so
that broken or hostile mail is recorded and reviewed rather than lost.
The stdlib parser runs with the compat32 policy: the modern policy's
header parser takes minutes on long folded headers, compat32 milliseconds.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import TypeVar

from inbox_triage.mail.autodetect import is_auto_reply, is_bounce
from inbox_triage.mail.charset import clean_text
from inbox_triage.mail.guard import prepare_raw
from inbox_triage.mail.headers import (
    clean_line,
    decode_text_header,
    message_ids,
    parse_addresses,
    parse_date,
    raw_to_text,
    references,
)
from inbox_triage.mail.mime import MimeContent, Segment, walk_message
from inbox_triage.mail.parsed import Address, ParsedMail
from inbox_triage.mail.quotes import split_reply

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Most Received / Authentication-Results values kept (the topmost ones).
MAX_TRACE_HEADERS = 100
#: Longest trace header value kept; real ones are a few hundred bytes.
MAX_TRACE_CHARS = 64 * 1024
#: Most defect strings kept.
MAX_DEFECTS = 200

_RAW_8BIT = re.compile("[\udc80-\udcff]")  # how the stdlib parser keeps undecoded bytes
_BLANK_RUNS = re.compile(r"\n{4,}")

Headers = dict[str, list[str]]


def parse_message(raw: bytes) -> ParsedMail:
    """Parse raw RFC 5322 bytes into a `ParsedMail`; never raises."""
    defects: list[str] = []
    try:
        return _parse(_as_bytes(raw), defects)
    except Exception as exc:  # the last line of defence; fields are guarded below
        logger.warning("parse failed outright: %s", type(exc).__name__)
        defects.append(f"parse failed ({type(exc).__name__}); no fields extracted")
        return ParsedMail(defects=_finish_defects(defects))


def _as_bytes(raw: object) -> bytes:
    """Accept bytes-like input (and, defensively, str) as bytes."""
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    if raw is None:
        return b""
    return bytes(raw)  # type: ignore[call-overload]


def _parse(data: bytes, defects: list[str]) -> ParsedMail:
    if not data.strip():
        defects.append("empty message")
    if b"\x00" in data:
        defects.append("NUL bytes in message")
    prepared = _guard(defects, "input limits", lambda: prepare_raw(data, defects), data)
    message = _parse_tree(prepared, defects)
    headers = _guard(defects, "headers", lambda: _header_index(message, defects), {})
    subject = _guard(defects, "Subject", lambda: _subject(headers, defects), "")
    sender = _guard(defects, "From", lambda: _sender(headers, defects), None)
    content = _guard(defects, "body", lambda: walk_message(message), MimeContent())
    defects.extend(content.defects)
    body = _guard(defects, "body text", lambda: _body_text(content.segments), "")
    new, quoted, signature = _guard(defects, "quotes", lambda: split_reply(body), (body, "", ""))
    return ParsedMail(
        subject=subject,
        from_address=sender,
        to=_guard(defects, "To", lambda: _addresses(headers, "to", defects), ()),
        cc=_guard(defects, "Cc", lambda: _addresses(headers, "cc", defects), ()),
        reply_to=_guard(defects, "Reply-To", lambda: _addresses(headers, "reply-to", defects), ()),
        date=_guard(defects, "Date", lambda: _date(headers, defects), None),
        message_id=_guard(defects, "Message-ID", lambda: _message_id(headers, defects), None),
        in_reply_to=_guard(defects, "In-Reply-To", lambda: _in_reply_to(headers, defects), None),
        references=_guard(defects, "References", lambda: _references(headers, defects), ()),
        new_text=new,
        quoted_text=quoted,
        signature=signature,
        body_text=body,
        html_only=bool(content.segments) and all(s.from_html for s in content.segments),
        attachments=tuple(content.attachments),
        is_auto_reply=_guard(defects, "auto-reply", lambda: is_auto_reply(headers, subject), False),
        is_bounce=_guard(
            defects, "bounce", lambda: is_bounce(sender, subject, content.delivery_report), False
        ),
        authentication_results=_guard(
            defects, "Authentication-Results", lambda: _authentication_results(headers, defects), ()
        ),
        received=_guard(defects, "Received", lambda: _received(headers, defects), ()),
        defects=_finish_defects(defects),
    )


def _guard(defects: list[str], field: str, extract: Callable[[], T], default: T) -> T:
    """Run one field's extraction; on any error record a defect and use the default."""
    try:
        return extract()
    except Exception as exc:  # one bad field must not cost the others
        defects.append(f"{field} could not be extracted ({type(exc).__name__})")
        return default


def _parse_tree(data: bytes, defects: list[str]) -> Message:
    """The stdlib parse; headers only (body as plain text) if the full parse fails."""
    parser = BytesParser(policy=policy.compat32)
    try:
        return parser.parsebytes(data)
    except Exception as exc:  # e.g. RecursionError on nesting our guard missed
        defects.append(f"MIME structure unparseable ({type(exc).__name__}); body read as text")
    message = parser.parsebytes(data, headersonly=True)
    for name in ("content-type", "content-transfer-encoding", "content-disposition"):
        del message[name]
    return message


def _header_index(message: Message, defects: list[str]) -> Headers:
    """Raw top-level header values by lower-cased name, in order (top first)."""
    index: Headers = {}
    for name, value in message.raw_items():
        key = str(name).strip().lower()
        index.setdefault(key, []).append(str(value))
        if _RAW_8BIT.search(str(value)) and not _is_utf8(str(value)):
            defects.append(f"raw non-UTF-8 bytes in header {key[:60]}")
    return index


def _is_utf8(raw: str) -> bool:
    """True when a raw header's 8-bit bytes are UTF-8 (allowed by RFC 6532)."""
    try:
        raw.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _first(headers: Headers, name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _subject(headers: Headers, defects: list[str]) -> str:
    raw = _first(headers, "subject")
    return "" if raw is None else decode_text_header(raw, "Subject", defects)


def _sender(headers: Headers, defects: list[str]) -> Address | None:
    raw = _first(headers, "from")
    if raw is None:
        defects.append("missing From header")
        return None
    found = parse_addresses(raw, "From", defects)
    if not found:
        defects.append("From header has no address")
    return found[0] if found else None


def _addresses(headers: Headers, name: str, defects: list[str]) -> tuple[Address, ...]:
    """All mailboxes of every occurrence of an address header."""
    found: list[Address] = []
    for raw in headers.get(name, ())[:10]:
        found.extend(parse_addresses(raw, name.title(), defects))
    return tuple(found)


def _date(headers: Headers, defects: list[str]) -> datetime | None:
    raw = _first(headers, "date")
    if raw is None:
        defects.append("missing Date header")
        return None
    return parse_date(raw, defects)


def _message_id(headers: Headers, defects: list[str]) -> str | None:
    raw = _first(headers, "message-id")
    if raw is None or not raw.strip():
        defects.append("missing Message-ID header")
        return None
    ids = message_ids(raw, "Message-ID", defects)
    return ids[0] if ids else None


def _in_reply_to(headers: Headers, defects: list[str]) -> str | None:
    raw = _first(headers, "in-reply-to")
    ids = message_ids(raw, "In-Reply-To", defects) if raw else []
    return ids[0] if ids else None


def _references(headers: Headers, defects: list[str]) -> tuple[str, ...]:
    raw = _first(headers, "references")
    return references(raw, defects) if raw else ()


def _trace(headers: Headers, name: str, defects: list[str]) -> list[str]:
    """Raw values (unfolded, 8-bit decoded) of a trace header, topmost first."""
    values = headers.get(name, [])
    if len(values) > MAX_TRACE_HEADERS:
        defects.append(f"{len(values)} {name} headers; topmost {MAX_TRACE_HEADERS} kept")
    return [clean_text(raw_to_text(value)).strip() for value in values[:MAX_TRACE_HEADERS]]


def _received(headers: Headers, defects: list[str]) -> tuple[str, ...]:
    """Received values, topmost first; an oversized one is cut."""
    values = _trace(headers, "received", defects)
    if any(len(value) > MAX_TRACE_CHARS for value in values):
        defects.append("Received header too long; cut")
    return tuple(value[:MAX_TRACE_CHARS] for value in values)


def _authentication_results(headers: Headers, defects: list[str]) -> tuple[str, ...]:
    """Authentication-Results values, topmost first.

    An oversized value is blanked rather than cut, so that a truncated
    verdict can never read as a pass; the blank keeps its position.
    """
    values = _trace(headers, "authentication-results", defects)
    if any(len(value) > MAX_TRACE_CHARS for value in values):
        defects.append("Authentication-Results header too long; blanked")
    return tuple("" if len(value) > MAX_TRACE_CHARS else value for value in values)


def _body_text(segments: list[Segment]) -> str:
    """All body segments as one clean text."""
    text = "\n\n".join(segment.text.strip("\n") for segment in segments if segment.text.strip())
    return _BLANK_RUNS.sub("\n\n\n", clean_text(text)).strip()


def _finish_defects(defects: list[str]) -> tuple[str, ...]:
    """Defects de-duplicated in order, made storable, and capped."""
    unique = list(dict.fromkeys(clean_line(clean_text(d)) for d in defects))
    if len(unique) > MAX_DEFECTS:
        unique = [*unique[:MAX_DEFECTS], f"... {len(unique) - MAX_DEFECTS} more defects"]
    return tuple(unique)
