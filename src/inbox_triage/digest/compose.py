"""The digest e-mail: rendered per language, queued in the outbox, and the `digest` command.

Digests go through the same outbox and send path as replies (one message per
recipient, so no one sees the others' addresses); they name cases by
reference and link to the web UI, never a requester's name or address.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.context import AppContext
from inbox_triage.db.models import DigestRun
from inbox_triage.db.session import transaction
from inbox_triage.digest.collect import DigestData, case_url, collect, default_since, local_today
from inbox_triage.digest.recipients import (
    Recipient,
    by_language,
    digest_recipients,
    enqueue_per_language,
)
from inbox_triage.digest.render import render
from inbox_triage.drafting.environment import Rendered
from inbox_triage.errors import UsageError
from inbox_triage.mail.outbox import send_due

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"
NO_RECIPIENTS = "(no recipients: no active staff user, and digest.recipients is empty)"


def sections(data: DigestData) -> list[tuple[str, list[Any]]]:
    """The digest's lists in the order they are shown."""
    return [
        ("overdue", list(data.overdue)),
        ("due_soon", list(data.due_soon)),
        ("drafts", list(data.drafts)),
        ("unverified", list(data.unverified)),
        ("extended", list(data.extended)),
    ]


def queue_url(app: AppContext) -> str:
    """The web UI's case list."""
    return case_url(app, "").removesuffix("cases/")


def render_digest(app: AppContext, data: DigestData, language: str) -> Rendered:
    """The digest in one language."""
    values = {"d": data, "sections": sections(data), "queue_url": queue_url(app)}
    return render(app, language, "digest", values)


def enqueue_digest(
    session: Session, app: AppContext, data: DigestData, recipients: Sequence[Recipient]
) -> list[int]:
    """One outbox message per recipient, in the recipient's language; returns the row ids."""
    return enqueue_per_language(
        session, app, DIGEST_KIND, recipients, lambda language: render_digest(app, data, language)
    )


def last_digest_at(session: Session, app: AppContext, before: date | None = None) -> datetime:
    """When the previous scheduled digest started (before `before`), else a working day ago."""
    query = select(DigestRun.started_at).order_by(DigestRun.local_date.desc()).limit(1)
    if before is not None:
        query = query.where(DigestRun.local_date < before)
    found = session.scalar(query)
    return found if found is not None else default_since(app, before or local_today(app))


def digest_dry_run(app: AppContext, to: Sequence[str] | None = None) -> str:
    """`digest --dry-run [--to ADDR...]`: the text part that would go out now, per language."""
    with transaction(app.sessions) as session:
        data = collect(session, app, last_digest_at(session, app))
        recipients = digest_recipients(session, app, to)
    groups = by_language(recipients) or {app.settings.web.default_language: []}
    blocks = []
    for language, group in groups.items():
        letter = render_digest(app, data, language)
        names = ", ".join(r.address for r in group) or NO_RECIPIENTS
        blocks.append(f"To: {names}\nSubject: {letter.subject}\n\n{letter.text}")
    return "\n".join(blocks)


def digest_send(app: AppContext, to: Sequence[str] | None = None) -> dict[str, Any]:
    """`digest --send [--to ADDR...]`: queue the digest now and run the outbox.

    A manual digest is sent even when empty, and does not count as the day's
    scheduled digest.
    """
    with transaction(app.sessions) as session:
        data = collect(session, app, last_digest_at(session, app))
        recipients = digest_recipients(session, app, to)
        if not recipients:
            raise UsageError(
                "nobody to send the digest to: add staff users, set digest.recipients, or give --to"
            )
        ids = enqueue_digest(session, app, data, recipients)
    log.info("digest queued by command: outbox ids %s", ids)
    summary = send_due(app)
    return {"outbox_ids": ids, "recipients": len(recipients), "empty": data.empty} | summary
