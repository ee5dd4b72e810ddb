"""Who receives the digest and the reminders, each in their own language.

Staff are the active web users; an address that is not a user gets the web
UI's default language. A reminder goes to the case's assignee (the latest
`assigned` audit event) while that person is an active user, else to all staff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import getaddresses

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.context import AppContext
from inbox_triage.customers.records import normalise_email
from inbox_triage.db.models import Case, User
from inbox_triage.drafting.environment import Rendered
from inbox_triage.errors import UsageError
from inbox_triage.mail.outbox import enqueue_message
from inbox_triage.web.assignment import assignee_of

LANGUAGES = ("hu", "en")


@dataclass(frozen=True)
class Recipient:
    """One address, the language its mail is written in, and its user id (if a user)."""

    address: str
    language: str
    user_id: int | None = None


def active_staff(session: Session, app: AppContext) -> list[Recipient]:
    """Every active web user, oldest account first."""
    users = session.scalars(select(User).where(User.active).order_by(User.id))
    return [Recipient(u.email, _language(app, u.language), u.id) for u in users]


def digest_recipients(
    session: Session, app: AppContext, override: Sequence[str] | None = None
) -> list[Recipient]:
    """`override` (the --to flag), else digest.recipients, else every active staff member."""
    wanted = list(override or app.settings.digest.recipients)
    if not wanted:
        return active_staff(session, app)
    staff = {r.address: r for r in active_staff(session, app)}
    chosen: dict[str, Recipient] = {}
    for value in wanted:
        address = parse_address(value)
        default = Recipient(address, _language(app, app.settings.web.default_language))
        chosen.setdefault(address, staff.get(address, default))
    return list(chosen.values())


def reminder_recipients(session: Session, app: AppContext, case: Case) -> list[Recipient]:
    """The assignee while an active user; otherwise all staff (or digest.recipients)."""
    assignee = assignee_of(session, case)
    staff = active_staff(session, app)
    mine = [r for r in staff if assignee is not None and r.address == assignee]
    if mine:
        return mine
    return staff or digest_recipients(session, app)


def parse_address(value: str) -> str:
    """One normalised address from 'addr' or 'Name <addr>'; a UsageError otherwise."""
    found = [a for _, a in getaddresses([value]) if a]
    address = normalise_email(found[0]) if len(found) == 1 and "\n" not in value else None
    if address is None:
        raise UsageError(f"not a single e-mail address: {value!r}")
    return address


def by_language(recipients: Sequence[Recipient]) -> dict[str, list[Recipient]]:
    """Recipients grouped by language, in order of first appearance."""
    groups: dict[str, list[Recipient]] = {}
    for recipient in recipients:
        groups.setdefault(recipient.language, []).append(recipient)
    return groups


def enqueue_per_language(
    session: Session,
    app: AppContext,
    kind: str,
    recipients: Sequence[Recipient],
    letter_in: Callable[[str], Rendered],
) -> list[int]:
    """One outbox message per recipient, each rendered once per language; the outbox ids."""
    ids: list[int] = []
    for language, group in by_language(recipients).items():
        letter = letter_in(language)
        for recipient in group:
            row = enqueue_message(
                session, app, kind, [recipient.address], letter.subject, letter.text, letter.html
            )
            ids.append(row.id)
    return ids


def _language(app: AppContext, language: str | None) -> str:
    if language in LANGUAGES:
        return str(language)
    fallback = app.settings.web.default_language
    return fallback if fallback in LANGUAGES else "hu"
