"""Recognising auto-replies and delivery failure reports.

Neither may open a case or get a reply: answering an auto-reply starts a
mail loop, and a bounce is about our own mail, not a request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from inbox_triage.mail.headers import clean_line, raw_to_text
from inbox_triage.mail.parsed import Address

_AUTO_SUBJECT = re.compile(
    r"\s*(?:\[[^\]]{0,40}\]\s*)?(?:out of (?:the )?office|automatic reply|auto[- ]?reply"
    r"|autoresponse|automatikus válasz|házon kívül|irodán kívül|abwesenheitsnotiz"
    r"|automatische antwort|réponse automatique)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|mail delivery failed|delivery failure"
    r"|delivery has failed|returned mail|failure notice|kézbesítési hiba|nem kézbesíthető"
    r"|nem kézbesített|sikertelen kézbesítés",
    re.IGNORECASE,
)
_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply", "auto-reply"}
_AUTO_FLAG_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder")
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}


def _values(headers: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Cleaned, lower-cased values of one header."""
    return [clean_line(raw_to_text(value)).lower() for value in headers.get(name, ())[:10]]


def is_auto_reply(headers: Mapping[str, Sequence[str]], subject: str) -> bool:
    """RFC 3834 Auto-Submitted, vendor flags, Precedence, or a typical subject."""
    for value in _values(headers, "auto-submitted"):
        if re.split(r"[\s;(]", value, maxsplit=1)[0] not in ("", "no"):
            return True
    for name in _AUTO_FLAG_HEADERS:
        if any(value != "no" for value in _values(headers, name)):
            return True
    if any(value in _AUTO_PRECEDENCE for value in _values(headers, "precedence")):
        return True
    return bool(_AUTO_SUBJECT.match(subject))


def is_bounce(sender: Address | None, subject: str, delivery_report: bool) -> bool:
    """A delivery-status report, or a failure notice from MAILER-DAEMON/postmaster."""
    if delivery_report:
        return True
    if sender is None:
        return False
    local_part = sender.address.split("@", 1)[0]
    return local_part in _BOUNCE_SENDERS and bool(_BOUNCE_SUBJECT.search(subject))
