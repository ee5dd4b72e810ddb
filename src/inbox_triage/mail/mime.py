"""Walking a parsed MIME tree for the body text and attachment metadata.

The walk is bounded (depth and part count) because hostile mail nests
thousands of levels; every part is handled on its own so one broken part
costs only itself, with a defect string saying what went wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

from inbox_triage.mail.charset import decode_bytes
from inbox_triage.mail.headers import clean_line, decode_words, raw_to_text
from inbox_triage.mail.html_text import MAX_HTML_CHARS, convert_html, rough_html_text
from inbox_triage.mail.parsed import Attachment

#: Deepest MIME nesting walked; deeper parts are ignored (and reported).
MAX_DEPTH = 50
#: Most MIME parts walked; further parts are ignored (and reported).
MAX_PARTS = 1000
#: Most body text read per message (all parts together); every later stage works on
#: this text, and no person writes more. The raw message keeps the rest.
MAX_TEXT_CHARS = 1024 * 1024
#: Most HTML tags per message given to the full HTML converter (pure Python, ~30 us a
#: tag: 1 MiB of dense markup is 200,000 tags); markup beyond it is read by stripping
#: tags, so that dense or many HTML parts cannot take minutes.
MAX_HTML_TAGS_PER_MESSAGE = 60_000
#: Most defects reported per part; hostile mail can produce thousands.
_MAX_PART_DEFECTS = 20

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([\w.:-]{1,40})""", re.I)
_LOOKS_HTML = re.compile(r"\s*(?:<!doctype html|<html[\s>])", re.IGNORECASE)
_SKIPPED_MESSAGES = {"message/delivery-status", "message/disposition-notification"}


@dataclass
class Segment:
    """One piece of body text, and whether it came from HTML."""

    text: str
    from_html: bool


@dataclass
class MimeContent:
    """What the walk found: body segments in order, attachments, and defects."""

    segments: list[Segment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    delivery_report: bool = False


def walk_message(message: Message) -> MimeContent:
    """Body segments, attachments and defects of a parsed message."""
    walker = _Walker()
    walker.result.segments = walker.visit(message, 0, "")
    return walker.result


class _Walker:
    """Depth-first visitor that keeps the limits and collects the results."""

    def __init__(self) -> None:
        self.result = MimeContent()
        self.parts = 0
        self.html_tags = 0
        self.text_chars = 0

    def defect(self, text: str) -> None:
        if text not in self.result.defects:
            self.result.defects.append(text)

    def visit(self, part: Message, depth: int, path: str) -> list[Segment]:
        self.parts += 1
        if self.parts > MAX_PARTS:
            self.defect(f"more than {MAX_PARTS} MIME parts; the rest ignored")
            return []
        if depth > MAX_DEPTH:
            self.defect(f"MIME nesting deeper than {MAX_DEPTH} levels; deeper parts ignored")
            return []
        try:
            segments = self._dispatch(part, depth, path)
        except Exception as exc:  # one broken part must not lose the others
            self.defect(f"part {path or 'root'} unreadable ({type(exc).__name__})")
            segments = []
        self._package_defects(part, path)
        return segments

    def _dispatch(self, part: Message, depth: int, path: str) -> list[Segment]:
        content_type = part.get_content_type()
        if content_type.startswith("message/"):
            if content_type not in _SKIPPED_MESSAGES:
                self._attach(part, content_type, path)
            return []
        if part.is_multipart():
            # Only a container's payload is read undecoded: for a leaf the
            # stdlib would decode with the raw charset parameter, which can raise.
            children = [
                self.visit(child, depth + 1, f"{path}.{number}" if path else str(number))
                for number, child in enumerate(part.get_payload(), 1)
                if isinstance(child, Message)
            ]
            return self._combine(part, content_type, children)
        return self._leaf(part, content_type, path)

    def _combine(
        self, part: Message, content_type: str, children: list[list[Segment]]
    ) -> list[Segment]:
        """Body segments of a container, by its multipart subtype."""
        if content_type == "multipart/alternative":
            return _best_alternative(children)
        if content_type == "multipart/report":
            report_type = str(part.get_param("report-type") or "").lower()
            self.result.delivery_report |= report_type == "delivery-status"
            return children[0] if children else []
        if content_type == "multipart/signed":
            return children[0] if children else []
        if content_type == "multipart/encrypted":
            return []
        return [segment for child in children for segment in child]

    def _leaf(self, part: Message, content_type: str, path: str) -> list[Segment]:
        """A text segment for inline text parts, attachment metadata otherwise."""
        if content_type == "text/rfc822-headers":
            return []
        disposition = part.get_content_disposition()
        has_name = bool(part.get_param("filename", header="content-disposition")) or bool(
            part.get_param("name")
        )
        is_text = content_type in ("text/plain", "text/html") or content_type.startswith(
            "multipart/"
        )
        # A text root is always the body: a request must not hide as an "attachment".
        named = disposition == "attachment" or (has_name and disposition != "inline")
        if not is_text or (named and path):
            self._attach(part, content_type, path)
            return []
        if self.text_chars >= MAX_TEXT_CHARS:
            self.defect(f"body text beyond {MAX_TEXT_CHARS} characters not read")
            return []
        text, from_html = self._decode_text(part, content_type, path)
        self.text_chars += len(text)
        return [Segment(text, from_html)]

    def _decode_text(self, part: Message, content_type: str, path: str) -> tuple[str, bool]:
        """Decoded text of a part; HTML (or HTML sent as text/plain) converted."""
        data = part.get_payload(decode=True) or b""
        charset = part.get_content_charset()
        if charset is None and content_type == "text/html":
            meta = _META_CHARSET.search(data[:4096])
            charset = meta.group(1).decode("ascii") if meta else None
        decoded = decode_bytes(data, charset)
        if decoded.defect:
            self.defect(f"part {path or 'root'}: {decoded.defect}")
        text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
        room = MAX_TEXT_CHARS - self.text_chars
        if len(text) > room:
            text = text[:room]
            self.defect(f"body text beyond {MAX_TEXT_CHARS} characters not read")
        if content_type == "text/html" or _LOOKS_HTML.match(text[:200]):
            tags = text.count("<", 0, MAX_HTML_CHARS)  # what the converter would read
            if self.html_tags + tags > MAX_HTML_TAGS_PER_MESSAGE:
                self.defect(f"part {path or 'root'}: HTML too long (too many tags); tags stripped")
                return rough_html_text(text), True
            self.html_tags += tags
            text, truncated = convert_html(text)
            if truncated:
                self.defect(f"part {path or 'root'}: HTML too long; converted in part")
            return text, True
        if str(part.get_param("format") or "").lower() == "flowed":
            text = unflow(text, str(part.get_param("delsp") or "").lower() == "yes")
        return text, False

    def _attach(self, part: Message, content_type: str, path: str) -> None:
        """Record an attachment's name, type and decoded size."""
        try:
            if part.is_multipart():
                size = len(part.get_payload(0).as_bytes())
            else:
                size = len(part.get_payload(decode=True) or b"")
        except Exception:  # size is best effort; a broken part still gets listed
            size = 0
        filename = _filename(part, self.result.defects)
        # the type is the sender's text: "\x00 multipart/x" passes the stdlib's x/y check
        kind = clean_line(content_type)[:255]
        self.result.attachments.append(Attachment(filename, kind, size))

    def _package_defects(self, part: Message, path: str) -> None:
        """The email package's defects for this part, by class name."""
        where = f" (part {path})" if path else ""
        for found in list(getattr(part, "defects", []))[:_MAX_PART_DEFECTS]:
            detail = str(found)[:200]
            name = type(found).__name__
            self.defect(f"{name}: {detail}{where}" if detail else f"{name}{where}")


def _best_alternative(children: list[list[Segment]]) -> list[Segment]:
    """Prefer the plain-text alternative unless it is empty; else the richest."""
    filled = [child for child in children if any(s.text.strip() for s in child)]
    for child in filled:
        if not any(segment.from_html for segment in child):
            return child
    return filled[-1] if filled else []


def _filename(part: Message, defects: list[str]) -> str:
    """The attachment's file name: RFC 2231 and RFC 2047 decoded, 8-bit repaired."""
    try:
        name = part.get_filename()
        if name and "\ufffd" in name:
            name = _filename_from_8bit(part) or name
    except Exception:  # malformed RFC 2231 parameters
        defects.append("unparseable attachment file name")
        return ""
    if not name:
        return ""
    return clean_line(decode_words(str(name), defects))[:255]


def _filename_from_8bit(part: Message) -> str | None:
    """Re-read a file name whose raw 8-bit bytes the stdlib replaced with U+FFFD."""
    for header in ("content-disposition", "content-type"):
        raw = next((v for k, v in part.raw_items() if k.lower() == header), None)
        if raw is None:
            continue
        probe = Message()
        probe[header] = raw_to_text(raw)
        name = probe.get_filename() if header == "content-disposition" else probe.get_param("name")
        if name:
            return str(name)
    return None


def unflow(text: str, delsp: bool) -> str:
    """Join the soft line breaks of RFC 3676 format=flowed text.

    A paragraph is collected as a list of pieces and joined once: adding each
    line to a growing string is quadratic on a hostile paragraph of a million lines.
    """
    out: list[str] = []
    pieces: list[str] = []  # the non-empty lines of the paragraph being joined
    size = 0
    pending: int | None = None  # the quote depth of that paragraph
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        body = body[1:] if body.startswith(" ") else body
        if pending is not None and pending != depth:
            out.append(_quoted(pending, "".join(pieces)))
            pieces, size, pending = [], 0, None
        if body:
            pieces.append(body)
            size += len(body)
        # "-- " is a signature separator, never a soft break; only a short
        # paragraph can be one, so the join for the check stays cheap.
        separator = size <= 64 and "".join(pieces).rstrip() == "--"
        if pieces and pieces[-1].endswith(" ") and not separator:
            if delsp:
                pieces[-1] = pieces[-1][:-1]
                size -= 1
                if not pieces[-1]:
                    pieces.pop()
            pending = depth
        else:
            out.append(_quoted(depth, "".join(pieces)))
            pieces, size, pending = [], 0, None
    if pending is not None:
        out.append(_quoted(pending, "".join(pieces)))
    return "\n".join(out)


def _quoted(depth: int, body: str) -> str:
    return ">" * depth + (" " if depth and body else "") + body
