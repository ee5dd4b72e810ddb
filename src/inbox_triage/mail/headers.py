"""Decoding header values leniently: RFC 2047 words, raw 8-bit bytes, addresses, dates, ids.

Header values arrive as the stdlib parser stored them (folded, with raw 8-bit
bytes as surrogate escapes). Every function returns a value plus defect
strings and never raises, because a sender's broken header must not cost
us the message.
"""

from __future__ import annotations

import binascii
import email.utils
import re
from datetime import UTC, datetime, timedelta, timezone

from inbox_triage.mail.charset import clean_text, decode_8bit_header, decode_bytes, lookup_codec
from inbox_triage.mail.parsed import Address

#: Longest header value decoded; the rest is cut (and reported) to bound work.
MAX_HEADER_CHARS = 64 * 1024
#: Most addresses kept from one header.
MAX_ADDRESSES = 1000
#: Longest display name or address kept (the database's limit for either, and RFC 5322's
#: line length); a longer one is hostile, and PostgreSQL would refuse to store it.
MAX_ADDRESS_PART = 998
#: Most message ids kept from References.
MAX_REFERENCES = 500

_SURROGATES = re.compile("[\udc80-\udcff]")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAK = re.compile(r"[\r\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
# An RFC 2047 encoded word; a missing "?=" at the very end is tolerated.
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?]*)(?:\?=|$)")
_CUT_WORD = re.compile(r"=(?:\?\S{0,200})?$")  # an encoded word cut in half by truncation
_HAS_ZONE = re.compile(r"[+-]\d{4}\b|\b(?:UTC?|GMT|[ECMP][SD]T|Z)\b", re.IGNORECASE)
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")
_BASE64_WORD = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_ADDRESS_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
_MSG_ID = re.compile(r"<([^<>\s]{1,998})>")
_BARE_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*")


def raw_to_text(raw: str) -> str:
    """Unfold a raw value and turn surrogate-escaped 8-bit bytes into text."""
    if _SURROGATES.search(raw):
        raw = decode_8bit_header(raw.encode("utf-8", "surrogateescape"))
    return _LINE_BREAK.sub("", _FOLD.sub("", raw))


def _bounded(raw: str, name: str, defects: list[str]) -> str:
    """The value cut to MAX_HEADER_CHARS, with a defect when it was cut."""
    if len(raw) > MAX_HEADER_CHARS:
        defects.append(f"header {name} too long ({len(raw)} chars); truncated")
        return _CUT_WORD.sub("", raw[:MAX_HEADER_CHARS])
    return raw


def clean_line(text: str) -> str:
    """One line of text: controls removed, whitespace runs collapsed."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", clean_text(text))).strip()


def decode_words(text: str, defects: list[str]) -> str:
    """Decode RFC 2047 encoded words leniently.

    Adjacent words in the same charset are joined as bytes before decoding,
    because senders split multi-byte characters across words; whitespace
    between encoded words is dropped as RFC 2047 says.
    """
    if "=?" not in text:
        return text
    out: list[str] = []
    pending = bytearray()
    pending_charset = ""
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        if gap and not (gap.isspace() and pending_charset):
            out.append(_flush(pending, pending_charset, defects))
            pending_charset = ""
            out.append(gap)
        charset = match.group(1).split("*", 1)[0].lower()
        if pending_charset and charset != pending_charset:
            out.append(_flush(pending, pending_charset, defects))
        pending_charset = charset
        pending += _word_bytes(match.group(2), match.group(3), defects)
        pos = match.end()
    out.append(_flush(pending, pending_charset, defects))
    out.append(text[pos:])
    return "".join(out)


def _word_bytes(encoding: str, payload: str, defects: list[str]) -> bytes:
    """The bytes of one encoded word's payload (B or Q), repaired if broken."""
    if encoding in "qQ":
        return binascii.a2b_qp(payload.encode("utf-8", "surrogateescape"), header=True)
    if len(payload) % 4 or not _BASE64_WORD.fullmatch(payload):
        defects.append("malformed base64 in encoded word repaired")
    data = _NOT_BASE64.sub("", payload)
    if len(data) % 4 == 1:
        data = data[:-1]
    try:
        return binascii.a2b_base64(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        defects.append("undecodable base64 encoded word kept as text")
        return payload.encode("utf-8", "surrogateescape")


def _flush(pending: bytearray, charset: str, defects: list[str]) -> str:
    """Decode and clear the collected bytes of adjacent encoded words."""
    if not pending:
        return ""
    data = bytes(pending)
    pending.clear()
    codec = lookup_codec(charset)
    if codec is None or codec == "ascii":
        if codec is None:
            defects.append(f"unknown charset {charset[:40]!r} in encoded word")
        return decode_8bit_header(data)
    decoded = decode_bytes(data, charset)
    if decoded.defect:
        defects.append(f"encoded word: {decoded.defect}")
    return decoded.text


def decode_text_header(raw: str, name: str, defects: list[str]) -> str:
    """A free-text header (Subject) as one clean line of text."""
    text = raw_to_text(_bounded(raw, name, defects))
    return clean_line(decode_words(text, defects))


def parse_addresses(raw: str, name: str, defects: list[str]) -> tuple[Address, ...]:
    """Mailboxes of an address header; names decoded, addresses lower-cased."""
    text = clean_line(raw_to_text(_bounded(raw, name, defects)))
    try:
        pairs = email.utils.getaddresses([_protect_encoded_words(text)])
    except Exception:  # the stdlib recurses on nested comments and groups
        defects.append(f"header {name} unparseable; bare addresses extracted")
        pairs = [("", found) for found in _BARE_ADDRESS.findall(text)]
    result: list[Address] = []
    for display, address in pairs:
        address = clean_line(decode_words(address, defects)).strip("<>").lower()
        if not address:
            continue
        display = clean_line(decode_words(display, defects))
        if len(display) > MAX_ADDRESS_PART or len(address) > MAX_ADDRESS_PART:
            defects.append(f"header {name} has an over-long name or address; cut")
        result.append(Address(display[:MAX_ADDRESS_PART], address[:MAX_ADDRESS_PART]))
    if len(result) > MAX_ADDRESSES:
        defects.append(f"header {name} has {len(result)} addresses; first {MAX_ADDRESSES} kept")
        result = result[:MAX_ADDRESSES]
    if "@" in text and not result:
        defects.append(f"header {name} has no parseable address")
    return tuple(result)


def _protect_encoded_words(text: str) -> str:
    """Hide address specials inside encoded words from the address parser.

    An encoded word is one token of a display name; a Q-encoded `:` or `@` in it
    (invalid, but sent by attackers) would otherwise start a group or an address,
    and the "sender" would be text the recipient's mail client shows as a name.
    The specials are Q-encoded (B-encoded words ignore them), so the decoded name
    is unchanged.
    """
    if "=?" not in text:
        return text

    def protect(match: re.Match[str]) -> str:
        payload = match.group(3)
        if match.group(2) in "bB":
            payload = _ADDRESS_SPECIALS.sub("", payload)
        else:
            payload = _ADDRESS_SPECIALS.sub(lambda m: f"={ord(m.group()):02X}", payload)
        return f"=?{match.group(1)}?{match.group(2)}?{payload}?="

    return _ENCODED_WORD.sub(protect, text)


def parse_date(raw: str, defects: list[str]) -> datetime | None:
    """An aware datetime; UTC assumed (and reported) when the zone is missing."""
    text = clean_line(raw_to_text(raw))[:200]
    try:
        parts = email.utils.parsedate_tz(text)
        if parts is None:
            raise ValueError(text)
        offset = parts[9]
        zone = UTC if offset is None else timezone(timedelta(seconds=offset))
        value = datetime(*parts[:6], tzinfo=zone)
    except Exception:  # parsedate_tz and datetime() reject odd input differently
        defects.append(f"unparseable Date header {text[:80]!r}")
        return None
    if not _HAS_ZONE.search(text):
        defects.append("Date header has no time zone; UTC assumed")
    return value


def message_ids(raw: str, name: str, defects: list[str]) -> list[str]:
    """Angle-bracketed message ids, brackets kept; a bare id gets brackets."""
    text = clean_line(raw_to_text(_bounded(raw, name, defects)))
    ids = [f"<{found}>" for found in _MSG_ID.findall(text)]
    if not ids and text and " " not in text and "<" not in text and ">" not in text:
        defects.append(f"header {name} has an id without angle brackets")
        ids = [f"<{text}>"]
    elif not ids and text:
        defects.append(f"header {name} has no parseable message id")
    return ids


def references(raw: str, defects: list[str]) -> tuple[str, ...]:
    """References ids; when too many, the thread root and the latest are kept."""
    ids = message_ids(raw, "References", defects)
    if len(ids) > MAX_REFERENCES:
        defects.append(f"References has {len(ids)} ids; root and last {MAX_REFERENCES - 1} kept")
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1) :]
    return tuple(ids)
