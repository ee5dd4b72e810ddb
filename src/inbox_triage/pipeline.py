"""The processing pipeline: STAGES in order, and the processor that runs them.

Reading this file top to bottom tells the whole policy: a stored message is
parsed, its language found, its rights classified, its sender matched to a
customer (with identity assurance and impersonation flags), and then it
either joins the case it continues, opens a new case when it is a privacy
request, or is kept as other mail (marked for a person when unsure); a case
then gets its reply drafted for staff to approve, shaped by the disclosure
rule (no personal data to anyone not verified at an on-file address).
Each stage takes the one typed `MessageWork` and returns an updated copy.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from inbox_triage.cases import workflow
from inbox_triage.cases.actions import get_case
from inbox_triage.context import AppContext
from inbox_triage.customers.assessment import SenderAssessment, assess_sender
from inbox_triage.customers.challenge import issue_pending_challenge
from inbox_triage.db.models import Message
from inbox_triage.db.session import transaction
from inbox_triage.drafting.store import draft_for_case
from inbox_triage.errors import StorageFullError
from inbox_triage.mail.parse import parse_message
from inbox_triage.mail.parsed import ParsedMail
from inbox_triage.nlp.classify import Classification, classify_parsed
from inbox_triage.nlp.language import detect_language
from inbox_triage.processing import claim, record

log = logging.getLogger(__name__)

#: Most characters of new text that language detection reads: it walks every
#: character of what it gets, so a 50 MB body would cost it tens of seconds.
LANGUAGE_SAMPLE_CHARS = 20_000


@dataclass(frozen=True)
class MessageWork:
    """Everything the stages know about one message so far."""

    message_row_id: int
    raw: bytes
    source: str
    receipt_at: datetime
    receipt_basis: str
    parsed: ParsedMail | None = None
    language: str | None = None
    classification: Classification | None = None
    sender: SenderAssessment | None = None
    kind: str | None = None
    case_reference: str | None = None


@dataclass
class StageContext:
    """What a stage may use: the application and the message's transaction."""

    app: AppContext
    session: Session


Stage = Callable[[StageContext, MessageWork], MessageWork]


def parse(stage: StageContext, work: MessageWork) -> MessageWork:
    """MIME to ParsedMail; never raises on bad input, defects are recorded instead."""
    return dataclasses.replace(work, parsed=parse_message(work.raw))


def language(stage: StageContext, work: MessageWork) -> MessageWork:
    """The language of the sender's own new text (quoted history left out)."""
    assert work.parsed is not None
    sample = work.parsed.new_text[:LANGUAGE_SAMPLE_CHARS]
    found = detect_language(work.parsed.subject, sample)
    return dataclasses.replace(work, language=found)


def classify(stage: StageContext, work: MessageWork) -> MessageWork:
    """The set of rights invoked, with scores; auto-replies and bounces are skipped."""
    assert work.parsed is not None and work.language is not None
    if work.parsed.is_auto_reply or work.parsed.is_bounce:
        return work
    result = classify_parsed(stage.app, work.parsed, work.language)
    return dataclasses.replace(work, classification=result)


def match(stage: StageContext, work: MessageWork) -> MessageWork:
    """The customer the message is from or about, identity assurance, impersonation flags."""
    assert work.parsed is not None
    trusted = stage.app.settings.trusted_authserv_ids
    return dataclasses.replace(work, sender=assess_sender(stage.session, work.parsed, trusted))


def case(stage: StageContext, work: MessageWork) -> MessageWork:
    """Join the case this message continues, open a new one, or keep it as other mail."""
    placement = workflow.place_message(stage.session, stage.app, work)
    return dataclasses.replace(work, kind=placement.kind, case_reference=placement.reference)


def draft(stage: StageContext, work: MessageWork) -> MessageWork:
    """Draft (or refresh) the case's reply for staff; the disclosure gate decides its kind.

    An unverified customer's request gets a verification code, filled into the
    request addressed to the on-file address, for staff to approve.
    """
    if work.case_reference is not None:
        case = get_case(stage.session, work.case_reference)
        draft_for_case(stage.session, stage.app, case)
        issue_pending_challenge(stage.session, stage.app, case)
    return work


STAGES: tuple[tuple[str, Stage], ...] = (
    ("parse", parse),
    ("language", language),
    ("classify", classify),
    ("match", match),
    ("case", case),
    ("draft", draft),
)


class Processor:
    """Runs STAGES over stored messages, one transaction per message.

    A message whose stages all succeed is `processed`; one that raises is
    `failed` with the stage and error recorded, and retried with back-off
    until `max_attempts`. Because the whole message is one transaction, a
    crash leaves it `received` and the next run starts it again. A full disk
    ends the round with StorageFullError: the next message could not be saved either.
    """

    def __init__(self, app: AppContext, stages: tuple[tuple[str, Stage], ...] = STAGES) -> None:
        self.app = app
        self.stages = stages

    def run_pending(self, limit: int | None = None) -> int:
        """Process every message that is due now; return how many were handled."""
        seen: set[int] = set()
        while limit is None or len(seen) < limit:
            handled = self.process_next(exclude=seen)
            if handled is None:
                break
            seen.add(handled)
        return len(seen)

    def process_next(self, exclude: set[int] | None = None) -> int | None:
        """Claim the next due message and process it; None when nothing is due."""
        return self._run(lambda session: claim.claim_next(session, self.app, exclude or ()))[0]

    def process(self, message_row_id: int) -> str:
        """Run every stage for one message and record the outcome; return its state."""
        return self._run(lambda session: claim.lock_message(session, self.app, message_row_id),
                         message_row_id)[1]  # fmt: skip

    def _run(
        self, locate: Callable[[Session], Message | None], expected_id: int | None = None
    ) -> tuple[int | None, str]:
        """Lock a message with `locate` and run the stages in the same transaction."""
        current, message_row_id = "load", expected_id
        try:
            with transaction(self.app.sessions) as session:
                row = locate(session)
                if row is None:
                    return None, "skipped"
                message_row_id = row.id
                work = MessageWork(row.id, row.raw, row.source, row.receipt_at, row.receipt_basis)
                context = StageContext(self.app, session)
                for name, stage in self.stages:
                    current = name
                    work = stage(context, work)
                record.processed(row, work, self.app.clock())
                return message_row_id, "processed"
        except Exception as error:  # the one place that catches everything: nothing is lost
            if message_row_id is None:
                raise
            log.warning(
                "message %s failed at stage %s: %s", message_row_id, current, type(error).__name__
            )
            record.failed(self.app, message_row_id, current, error)
            if isinstance(error, StorageFullError):  # no message can be saved now: end the round
                raise
            return message_row_id, "failed"
