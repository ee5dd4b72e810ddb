"""Reply and forward prefixes of a subject line ("Re:", "AW:", "Vá:", "Fwd:", ...)."""

from __future__ import annotations

import re

_REPLY_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|antw|tr|sv|vs|vá|váll|válasz|továbbítás|továbbítva)"
    r"\s*(\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)


def is_reply_or_forward(subject: str) -> bool:
    """True when the subject carries a reply or forward prefix."""
    return bool(_REPLY_PREFIX.match(subject or ""))


def strip_reply_prefixes(subject: str) -> str:
    """The subject without any reply or forward prefixes ("Re: AW: Fwd: x" -> "x")."""
    text = subject or ""
    previous = None
    while previous != text:
        previous = text
        text = _REPLY_PREFIX.sub("", text)
    return text
