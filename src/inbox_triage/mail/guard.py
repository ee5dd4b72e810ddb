"""Byte-level limits applied before the stdlib parser sees a message.

The stdlib parser recurses once per nested multipart or message part and
parses Content-Type parameters in quadratic time, so hostile input could
exhaust the stack or the CPU before any of our own limits apply. These
rewrites only touch input far beyond what real mail contains.
"""

from __future__ import annotations

import re

#: Longest Content-Type / Content-Disposition header kept (folded lines included).
MAX_PARAM_HEADER_BYTES = 16 * 1024
#: Most multipart/* and message/* containers the stdlib parser may nest into.
MAX_CONTAINERS = 200
#: Most lines the stdlib parser reads. It handles every line as a Python object
#: (~0.5 us and ~90 bytes each); 50 MB of base64 is 700,000 lines, while 50 MB of
#: one-letter lines is 17 million. The lines after this are not parsed (the raw
#: message keeps them).
MAX_LINES = 2_000_000
_LINE_SCAN_CHUNK = 1024 * 1024

_LINE_END = re.compile(rb"\r\n|\r|\n")
_PARAM_HEADER = re.compile(rb"^content-(?:type|disposition)[ \t]*:", re.IGNORECASE | re.MULTILINE)
_END_OF_FOLDED = re.compile(rb"\n(?![ \t])")
_CONTAINER = re.compile(
    rb"^(content-type[ \t]*:\s*)(multipart|message)/", re.IGNORECASE | re.MULTILINE
)


def prepare_raw(data: bytes, defects: list[str]) -> bytes:
    """The message with over-long parameter headers cut and excess containers flattened."""
    data = _cut_lines(data, defects)
    data = _cut_param_headers(data, defects)
    return _flatten_containers(data, defects)


def _cut_lines(data: bytes, defects: list[str]) -> bytes:
    """The message up to its MAX_LINES-th line end (CRLF, LF or a bare CR)."""
    seen = 0
    for start in range(0, len(data), _LINE_SCAN_CHUNK):
        chunk = data[start : start + _LINE_SCAN_CHUNK]
        count = chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
        if seen + count < MAX_LINES:
            seen += count
            continue
        for match in _LINE_END.finditer(chunk):
            seen += 1
            if seen >= MAX_LINES:
                defects.append(f"more than {MAX_LINES} lines; the rest not parsed")
                return data[: start + match.end()]
    return data


def _cut_param_headers(data: bytes, defects: list[str]) -> bytes:
    """Cut Content-Type/-Disposition headers (with folds) longer than the limit."""
    pieces: list[bytes] = []
    position = 0
    for match in _PARAM_HEADER.finditer(data):
        if match.start() < position:
            continue
        end_match = _END_OF_FOLDED.search(data, match.end())
        end = end_match.start() if end_match else len(data)
        if end - match.start() > MAX_PARAM_HEADER_BYTES:
            pieces.append(data[position : match.start() + MAX_PARAM_HEADER_BYTES])
            position = end
            defects.append(f"{match.group().decode('ascii', 'replace')} header too long; cut")
    if not pieces:
        return data
    pieces.append(data[position:])
    return b"".join(pieces)


def _flatten_containers(data: bytes, defects: list[str]) -> bytes:
    """Turn containers beyond MAX_CONTAINERS into opaque parts the parser won't enter."""
    count = 0

    def rename(match: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        if count <= MAX_CONTAINERS:
            return match.group()
        return match.group(1) + b"application/x-unparsed-" + match.group(2) + b"-"

    flattened = _CONTAINER.sub(rename, data)
    if count > MAX_CONTAINERS:
        defects.append(
            f"{count} multipart/message containers; nesting beyond {MAX_CONTAINERS} not parsed"
        )
    return flattened
