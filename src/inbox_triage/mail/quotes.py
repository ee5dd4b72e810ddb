"""Separating what the sender wrote now from quoted history and signatures.

Classification and matching must look at the sender's own words only, but
cutting a request short is worse than leaving some history in: every rule
here is conservative, and text it is unsure about stays in `new`.
"""

from __future__ import annotations

import re

#: Longest text split line by line; the rest is appended unsplit.
MAX_SPLIT_CHARS = 2 * 1024 * 1024
#: Lines longer than this are never a quote header, closing or signature line.
_MAX_MARKER_LINE = 300

_NEW, _QUOTED, _SIGNATURE = 0, 1, 2

_SEPARATOR = re.compile(
    r"\s*-{2,}\s*(?:original message|eredeti üzenet|eredeti levél|ursprüngliche nachricht)"
    r"\s*-{2,}\s*$",
    re.IGNORECASE,
)
_ATTRIBUTIONS = [
    re.compile(r"on\b.{5,250}\bwrote:$", re.IGNORECASE),
    re.compile(r".{0,200}<[^<>@\s]+@[^<>\s]+>.{0,60}\b(?:wrote|(?:ezt )?írta):$", re.IGNORECASE),
    re.compile(r".{0,200}\bidőpontban\b.{0,200}\bírta:$", re.IGNORECASE),
    re.compile(r".{0,200}\bkeltezéssel\b.{0,200}\bírta:$", re.IGNORECASE),
    re.compile(r".{0,200}\bezt írta \(időpont: .{1,80}\):$", re.IGNORECASE),
    re.compile(r"\d{4}\. ?.{0,250}\bírta:$", re.IGNORECASE),
    re.compile(r"am\b.{0,120}\d{1,2}:\d{2}.{0,120}\bschrieb\b.{0,250}:$", re.IGNORECASE),
    re.compile(r".{0,200}<[^<>@\s]+@[^<>\s]+>.{0,60}\bschrieb:$", re.IGNORECASE),
]
_HEADER_FROM = re.compile(r"\*?(?:from|feladó|von)\s*:\*?\s", re.IGNORECASE)
_HEADER_DATE = re.compile(r"\*?(?:sent|date|elküldve|küldve|dátum|gesendet)\s*:", re.IGNORECASE)
_HEADER_OTHER = re.compile(r"\*?(?:to|subject|címzett|tárgy|an|betreff)\s*:", re.IGNORECASE)
_RULE_LINE = re.compile(r"\s*(?:_{8,}|-{8,})\s*$")
_MOBILE = re.compile(
    r"(?:sent from my|sent (?:from|with|via) (?:mail|outlook|yahoo|gmail|samsung|proton|the)"
    r"|get outlook for|küldve (?:az? )?(?:\S+ ){0,3}?\S*(?:iphone|ipad|android|samsung|galaxy"
    r"|huawei|xiaomi|mobil|telefon|windows|outlook|yahoo|gmail|levelez))\S*.{0,60}$",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"(?:üdvözlettel|üdv|üdvözlet|tisztelettel|köszönettel|köszönöm|szép napot|minden jót"
    r"|barátsággal|best regards|kind regards|warm regards|regards|best wishes|best"
    r"|sincerely|yours sincerely|thanks|thank you|many thanks|cheers)[ \t,.!:]*$",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"\+?\d[\d ()/-]{6,}\d|@|https?://|www\.|\b(?:kft|zrt|nyrt|bt|ltd|inc|gmbh|llc)\b"
    r"|\b(?:tel|mobil|phone|mobile|fax)\b",
    re.IGNORECASE,
)


def split_reply(text: str) -> tuple[str, str, str]:
    """Split a plain-text body into (new text, quoted history, signature)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    head, rest = text[:MAX_SPLIT_CHARS], text[MAX_SPLIT_CHARS:]
    lines = head.split("\n")
    kinds = [_NEW] * len(lines)
    hard = _hard_quote_start(lines)
    kinds[hard:] = [_QUOTED] * (len(lines) - hard)
    _mark_inline_quotes(lines, kinds, hard)
    _mark_signature(lines, kinds, hard)
    new, quoted, signature = (_join(lines, kinds, kind) for kind in (_NEW, _QUOTED, _SIGNATURE))
    if rest:
        if quoted:
            quoted += rest
        else:
            new += rest
    return new, quoted, signature


def _join(lines: list[str], kinds: list[int], kind: int) -> str:
    """The lines of one kind, without leading/trailing blank lines."""
    picked = [
        line.rstrip() for line, line_kind in zip(lines, kinds, strict=True) if line_kind == kind
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(picked)).strip("\n")


def _is_quote_line(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_at(lines: list[str], end: int) -> int | None:
    """First line of an attribution ("On ... wrote:") ending at `end`, or None.

    Clients wrap long attributions, so up to three lines are joined; the
    shortest match wins so that a preceding sentence is never swallowed.
    """
    last = lines[end].strip()
    if len(last) > _MAX_MARKER_LINE or not last.endswith(":"):
        return None
    for start in range(end, max(end - 3, -1), -1):
        chunk = lines[start : end + 1]
        if any(not line.strip() or _is_quote_line(line) for line in chunk):
            return None
        joined = " ".join(line.strip() for line in chunk)
        if len(joined) <= 2 * _MAX_MARKER_LINE and any(p.match(joined) for p in _ATTRIBUTIONS):
            return start
    return None


def _next_text_line(lines: list[str], index: int) -> str:
    """The next non-blank line after `index`, or ""."""
    for line in lines[index + 1 :]:
        if line.strip():
            return line
    return ""


def _outlook_block_at(lines: list[str], index: int) -> bool:
    """True when a "From:" line starts an Outlook-style header block."""
    line = lines[index].strip()
    if len(line) > _MAX_MARKER_LINE or not _HEADER_FROM.match(line):
        return False
    following = [candidate.strip() for candidate in lines[index + 1 : index + 7]]
    return any(_HEADER_DATE.match(c) for c in following) and any(
        _HEADER_OTHER.match(c) for c in following
    )


def _hard_quote_start(lines: list[str]) -> int:
    """Index where unmarked quoted history starts (top posting), or len(lines).

    Separators, Outlook header blocks and attributions not followed by
    ">" lines start history that runs to the end of the text, but only
    below some text of the sender's own: a message that *starts* with
    history (a bare forward, an HTML bottom post) keeps it all as new text.
    """
    first_text = next(
        (i for i, line in enumerate(lines) if line.strip() and not _is_quote_line(line)), None
    )
    for index, line in enumerate(lines):
        if _is_quote_line(line) or not line.strip():
            continue
        start = None
        if _SEPARATOR.match(line):
            start = index
        elif _outlook_block_at(lines, index):
            start = _include_rule_above(lines, index)
        else:
            attribution = _attribution_at(lines, index)
            if attribution is not None and not _is_quote_line(_next_text_line(lines, index)):
                start = attribution
        if start is not None and first_text is not None and start > first_text:
            return start
    return len(lines)


def _include_rule_above(lines: list[str], index: int) -> int:
    """Move a quote start up over the "______" rule Outlook puts above headers."""
    above = index - 1
    while above >= 0 and not lines[above].strip() and index - above < 3:
        above -= 1
    return above if above >= 0 and _RULE_LINE.match(lines[above]) else index


def _mark_inline_quotes(lines: list[str], kinds: list[int], hard: int) -> None:
    """Mark ">" lines and the attributions introducing them (bottom posting)."""
    for index in range(hard):
        if _is_quote_line(lines[index]):
            kinds[index] = _QUOTED
            continue
        start = _attribution_at(lines, index)
        if start is not None and _is_quote_line(_next_text_line(lines, index)):
            kinds[start : index + 1] = [_QUOTED] * (index + 1 - start)


def _mark_signature(lines: list[str], kinds: list[int], hard: int) -> None:
    """Mark the signature: after "-- ", a phone client's line, or contact lines."""
    own = [i for i in range(hard) if kinds[i] == _NEW and lines[i].strip()]
    start = _delimiter_start(lines, own)
    mobile = next((i for i in own[-4:] if _is_mobile_line(lines[i])), None)
    if mobile is not None and (start is None or mobile < start):
        start = mobile
    if start is None:
        start = _contact_block_start(lines, own)
    if start is None:
        return
    for index in range(start, hard):
        if kinds[index] == _NEW:
            kinds[index] = _SIGNATURE


def _delimiter_start(lines: list[str], own: list[int]) -> int | None:
    """The "-- " signature delimiter; a bare "--" only before a short block."""
    for position, index in enumerate(own):
        line = lines[index]
        if line.rstrip("\n") == "-- ":
            return index
        if line.strip() == "--" and len(own) - position - 1 <= 10:
            return index
    return None


def _is_mobile_line(line: str) -> bool:
    """A "Sent from my iPhone" line (only looked for near the end of the text)."""
    line = line.strip()
    return len(line) <= 100 and bool(_MOBILE.match(line))


def _contact_block_start(lines: list[str], own: list[int]) -> int | None:
    """Start of contact lines after the last closing and name, if clearly contact data.

    The closing line and the name line stay in the new text; only a short
    block that contains a phone number, e-mail, web site or company form moves.
    """
    for position in range(len(own) - 1, max(len(own) - 11, -1), -1):
        if not _CLOSING.match(lines[own[position]].strip()):
            continue
        first = position + 2
        block = [lines[i].strip() for i in own[first:]]
        if not block or len(block) > 8:
            return None
        if any(len(line) > 80 or line.endswith("?") for line in block):
            return None
        return own[first] if any(_CONTACT.search(line) for line in block) else None
    return None
