"""Identity verification challenges: a one-time code (and a link) sent to an on-file address.

DESIGN.md, "Identity and disclosure": a requester whose mail the receiving
MTA could not vouch for proves control of an address already on file by
sending back a one-time code that was sent there, or by opening the link sent
with it. The challenge goes only to an on-file address of the matched
customer (never to Reply-To or an address named in a body); only a reply
*from* that address counts, and only its own new text (quoted history would
bring our own letter back). Codes expire and allow a few wrong attempts.
Neither the code nor the link token is stored, logged or audited: only
hashes, compared in constant time. Staff still approve the letter that
carries the code. Whether the deadline clock pauses meanwhile is a policy
setting, reported by `verification_status`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.cases.actions import change_status
from inbox_triage.cases.audit import append_event
from inbox_triage.cases.schedule import apply_deadlines
from inbox_triage.context import AppContext
from inbox_triage.customers.identity import VERIFIED, assess_identity
from inbox_triage.customers.records import normalise_email, on_file_addresses
from inbox_triage.db.models import Case, CaseEvent, Draft, VerificationChallenge
from inbox_triage.db.session import transaction
from inbox_triage.drafting import guard
from inbox_triage.drafting.compose import CODE_PLACEHOLDER
from inbox_triage.drafting.store import (
    create_draft,
    draft_for_case,
    fill_verification_code,
    get_draft,
    reject_draft,
)
from inbox_triage.errors import WorkflowError
from inbox_triage.mail.parsed import ParsedMail

log = logging.getLogger(__name__)

PENDING, COMPLETED, EXPIRED, LOCKED = "pending", "completed", "expired", "locked"
SUPERSEDED = "superseded"
NOT_REQUESTED, NOT_NEEDED = "not_requested", "not_needed"
REQUEST_KIND = "verification_request"
_MAX_TOKEN = 200
_QUOTE_LINE = 40
_LINK_TOKEN = re.compile(r"/verify/([A-Za-z0-9_-]{20,200})(?![A-Za-z0-9_-])")
_LINK_LINE = {
    "hu": "Válasz helyett ezen a hivatkozáson is megerősítheti a kérelmet:",
    "en": "Instead of replying, you can also confirm the request by opening this link:",
}


@dataclass(frozen=True)
class RedeemResult:
    """What opening a verification link did; `reference` only when the case is verified.

    `outcome` is verified, already_verified, expired, locked or invalid; the page
    shows the same for an unknown token as for a withdrawn one, so it confirms nothing.
    """

    ok: bool
    outcome: str
    reference: str | None = None


def issue_challenge(
    session: Session, app: AppContext, case: Case, actor: str = "system"
) -> tuple[str, str]:
    """A new challenge, its code (and link) filled into the case's verification draft.

    The draft is the case's open verification request (one is drafted when there is
    none) and must be addressed to an on-file address of the matched customer; staff
    still approve it. Earlier pending challenges stop counting. Returns the code and
    the link token, for the caller to pass on, never to log.
    """
    if case.identity == VERIFIED:
        raise WorkflowError(f"{case.reference}: the requester is already verified")
    customer = guard.customer_for_case(session, case)
    if customer is None or not on_file_addresses(customer):
        raise WorkflowError(f"{case.reference}: no matched customer with an address on file")
    draft = _request_draft(session, app, case, actor)
    recipient = normalise_email(draft.recipient)
    if draft.kind != REQUEST_KIND or recipient not in on_file_addresses(customer):
        raise WorkflowError(
            f"{case.reference}: a verification code goes only to an address on file "
            f"for the customer (draft {draft.id})"
        )
    settings = app.settings.verification
    now = app.clock()
    pending = (VerificationChallenge.case_id == case.id, VerificationChallenge.state == PENDING)
    for earlier in session.scalars(select(VerificationChallenge).where(*pending)):
        earlier.state = SUPERSEDED
    code = f"{secrets.randbelow(10**settings.code_length):0{settings.code_length}d}"
    token, salt = secrets.token_urlsafe(32), secrets.token_hex(16)
    challenge = VerificationChallenge(
        case_id=case.id, draft_id=draft.id, customer_id=customer.customer_id,
        recipient=recipient, code_salt=salt, code_hash=_code_hash(salt, code),
        code_length=len(code), token_hash=_token_hash(token), state=PENDING, attempts=0,
        max_attempts=settings.max_attempts, created_at=now,
        expires_at=now + timedelta(days=settings.expiry_days),
    )  # fmt: skip
    session.add(challenge)
    session.flush()
    fill_verification_code(session, app, draft.id, _letter_text(app, draft, code, token), actor)
    details = {"challenge": challenge.id, "draft": draft.id, "to_on_file_address": True,
               "expires_at": challenge.expires_at.isoformat(),
               "max_attempts": challenge.max_attempts}  # fmt: skip
    append_event(session, case, "verification_requested", now, details, actor=actor)
    if case.status in {"new", "in_progress"}:
        change_status(session, app, case, "awaiting_verification", actor, "verification requested")
    log.info("case %s: verification challenge %s issued", case.id, challenge.id)
    return code, token


def issue_pending_challenge(session: Session, app: AppContext, case: Case) -> bool:
    """Issue a code when the case's open verification request still waits for one.

    Called by the pipeline after drafting, so staff find the request ready to
    approve; a case without an on-file address simply keeps its neutral reply.
    """
    waiting = session.scalars(
        select(Draft).where(
            Draft.case_id == case.id, Draft.kind == REQUEST_KIND, Draft.state == "draft"
        )
    ).all()
    if not app.settings.verification.issue_automatically or case.identity == VERIFIED:
        return False
    if not any(CODE_PLACEHOLDER in draft.body_text for draft in waiting):
        return False
    try:
        issue_challenge(session, app, case)
    except WorkflowError as error:
        log.info("case %s: no challenge issued (%s)", case.id, type(error).__name__)
        return False
    return True


def verification_link(app: AppContext, token: str) -> str | None:
    """{web.base_url}/verify/{token}, or None while no web address is configured."""
    base = app.settings.web.base_url.strip().rstrip("/")
    return f"{base}/verify/{token}" if base else None


def check_reply_for_code(
    session: Session, app: AppContext, case: Case, text: str, *, sender: str | None
) -> bool:
    """Verify the case when a reply's own new text carries the code (or the link) it was sent.

    `text` must be the reply's new text (ParsedMail.new_text, no quoted history),
    `sender` its From address: only a reply from the address the code went to
    counts. Every code-shaped number in it is one attempt; the challenge locks after
    the allowed number of wrong ones, and an expired or locked one verifies nothing.
    """
    if case.identity == VERIFIED:
        return False
    challenge = _current(session, case, lock=True)
    if challenge is None or challenge.state == COMPLETED:
        return False
    candidates = code_candidates(text, challenge.code_length)
    tokens = _LINK_TOKEN.findall(_normal(text))
    if not candidates and not tokens:
        return False
    now = app.clock()
    refusal = _refusal(session, case, challenge, now)
    if refusal is None and normalise_email(sender) != challenge.recipient:
        refusal = "the reply is not from the address the code was sent to"
    if refusal is None and _quotes_our_letter(session, challenge, text):
        refusal = "the reply's own text holds our letter (an unmarked quote): for staff to read"
    if refusal is not None:
        _failed(session, app, case, challenge, refusal)
        return False
    if any(hmac.compare_digest(_token_hash(t), challenge.token_hash) for t in tokens):
        _complete(session, app, case, challenge, "link", "system")
        return True
    for candidate in candidates:
        if hmac.compare_digest(_code_hash(challenge.code_salt, candidate), challenge.code_hash):
            _complete(session, app, case, challenge, "code", "system")
            return True
        challenge.attempts += 1
        if challenge.attempts >= challenge.max_attempts:
            challenge.state = LOCKED
            break
    if not candidates:  # only someone else's (or an older) link: no guess, no attempt
        _failed(session, app, case, challenge, "the link is not this challenge's")
        return False
    reason = "too many wrong codes" if challenge.state == LOCKED else "wrong code"
    _failed(session, app, case, challenge, reason)
    return False


def redeem_link(app: AppContext, token: str) -> RedeemResult:
    """Open a verification link: verify its case if the challenge is still good.

    The web page should call this on an explicit confirmation (POST), not on GET:
    mail scanners fetch links. The case's drafts are refreshed afterwards.
    """
    if not token or len(token) > _MAX_TOKEN:
        return RedeemResult(False, "invalid")
    with transaction(app.sessions) as session:
        challenge = session.scalar(
            select(VerificationChallenge)
            .where(VerificationChallenge.token_hash == _token_hash(token))
            .with_for_update()
        )
        if challenge is None or challenge.state == SUPERSEDED:
            return RedeemResult(False, "invalid")
        case = session.get(Case, challenge.case_id)
        assert case is not None
        if challenge.state == COMPLETED or case.identity == VERIFIED:
            return RedeemResult(True, "already_verified", case.reference)
        refusal = _refusal(session, case, challenge, app.clock())
        if refusal is not None:
            _failed(session, app, case, challenge, refusal, via="link")
            outcome = challenge.state if challenge.state in {EXPIRED, LOCKED} else "invalid"
            return RedeemResult(False, outcome)
        _complete(session, app, case, challenge, "link", "requester")
        reference = case.reference
    _refresh_drafts(app, reference)
    return RedeemResult(True, "verified", reference)


def verification_status(
    session: Session, case: Case, now: datetime | None = None, pause_clock: bool = False
) -> dict[str, Any]:
    """`cases show`: when verification was requested and completed, its state, the clock."""
    challenge = _current(session, case)
    requested = challenge.created_at if challenge is not None else None
    completed = challenge.completed_at if challenge is not None else None
    if challenge is not None and challenge.state == COMPLETED:
        state = COMPLETED
    elif case.identity == VERIFIED:
        state, completed = NOT_NEEDED, _verified_at(session, case)
    elif challenge is None:
        state = NOT_REQUESTED
    elif challenge.state == PENDING and now is not None and now >= challenge.expires_at:
        state = EXPIRED
    else:
        state = challenge.state
    return {
        "requested_at": requested.isoformat() if requested else None,
        "completed_at": completed.isoformat() if completed else None,
        "state": state,
        "clock_paused": bool(pause_clock and state == PENDING),
    }


def code_candidates(text: str, length: int) -> list[str]:
    """Distinct standalone numbers of exactly `length` digits, whole or split once by a space
    or hyphen ('12345678', '1234 5678'); longer digit groups (phones, tax numbers, dates) not."""
    found = (re.sub(r"[^0-9]", "", m.group()) for m in _pattern(length).finditer(_normal(text)))
    return list(dict.fromkeys(found))


@lru_cache(maxsize=8)
def _pattern(length: int) -> re.Pattern[str]:
    splits = [f"[0-9]{{{k}}}[ -][0-9]{{{length - k}}}" for k in range(1, length)]
    shapes = "|".join([f"[0-9]{{{length}}}", *splits])
    return re.compile(rf"(?<![\w+])(?<![0-9][ -])(?:{shapes})(?![ -]?[0-9])(?!\w)")


def _normal(text: str) -> str:
    """Full-width digits and no-break spaces as ASCII (NFKC), so a pasted code still reads."""
    return unicodedata.normalize("NFKC", text or "")


def _code_hash(salt: str, code: str) -> str:
    return hmac.new(bytes.fromhex(salt), code.encode("ascii"), hashlib.sha256).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _display(code: str) -> str:
    """The code in two groups ('1234 5678'): easier to copy, and still read back."""
    half = (len(code) + 1) // 2
    return f"{code[:half]} {code[half:]}"


def _letter_text(app: AppContext, draft: Draft, code: str, token: str) -> str:
    text = _display(code)
    link = verification_link(app, token)
    if link is not None:
        text += f"\n\n{_LINK_LINE.get(draft.language, _LINK_LINE['en'])}\n{link}"
    return text


def _quotes_our_letter(session: Session, challenge: VerificationChallenge, text: str) -> bool:
    """Whether a long sentence of the letter that carried the code is in the reply's own text.

    A client that quotes without marking the quote would otherwise hand back our code
    even when the owner of the address answers that they never made the request.
    """
    draft = session.get(Draft, challenge.draft_id) if challenge.draft_id else None
    if draft is None:
        return False
    ours = {" ".join(line.split()) for line in draft.body_text.splitlines()}
    ours = {line for line in ours if len(line) >= _QUOTE_LINE and not _LINK_TOKEN.search(line)}
    theirs = {" ".join(line.split()) for line in _normal(text).splitlines()}
    return bool(ours & theirs)


def _request_draft(session: Session, app: AppContext, case: Case, actor: str) -> Draft:
    """The open verification request still waiting for its code; a new one otherwise."""
    drafts = session.scalars(
        select(Draft)
        .where(Draft.case_id == case.id, Draft.state == "draft", Draft.kind == REQUEST_KIND)
        .order_by(Draft.id.desc())
    ).all()
    waiting = [draft for draft in drafts if CODE_PLACEHOLDER in draft.body_text]
    if waiting:
        return waiting[0]
    for draft in drafts:
        reject_draft(session, app, draft.id, actor, "replaced by a new verification code")
    return get_draft(session, create_draft(session, app, case.reference, REQUEST_KIND, actor)["id"])


def _current(session: Session, case: Case, lock: bool = False) -> VerificationChallenge | None:
    """The case's latest challenge (earlier ones were superseded by it), row-locked if asked."""
    query = (
        select(VerificationChallenge)
        .where(VerificationChallenge.case_id == case.id)
        .order_by(VerificationChallenge.id.desc())
        .limit(1)
    )
    return session.scalar(query.with_for_update() if lock else query)


def _refusal(
    session: Session, case: Case, challenge: VerificationChallenge, now: datetime
) -> str | None:
    """Why this challenge can verify nothing now (expired, locked, address gone), or None."""
    if challenge.state == LOCKED:
        return "the challenge is locked after too many wrong codes"
    if challenge.state == PENDING and now >= challenge.expires_at:
        challenge.state = EXPIRED
    if challenge.state == EXPIRED:
        return "the code has expired"
    customer = guard.customer_for_case(session, case)
    if (
        customer is None
        or customer.customer_id != challenge.customer_id
        or challenge.recipient not in on_file_addresses(customer)
    ):
        return "the address is no longer on file for the case's customer"
    letter = session.get(Draft, challenge.draft_id) if challenge.draft_id else None
    if letter is None or normalise_email(letter.recipient) != challenge.recipient:
        return "the letter with the code was re-addressed away from the address on file"
    return None


def _failed(
    session: Session, app: AppContext, case: Case, challenge: VerificationChallenge,
    reason: str, via: str = "code",
) -> None:  # fmt: skip
    details = {"challenge": challenge.id, "via": via, "reason": reason,
               "attempts": challenge.attempts, "max_attempts": challenge.max_attempts,
               "state": challenge.state}  # fmt: skip
    append_event(session, case, "verification_failed", app.clock(), details)
    log.info("case %s: verification challenge %s refused: %s", case.id, challenge.id, reason)


def _complete(
    session: Session, app: AppContext, case: Case, challenge: VerificationChallenge,
    via: str, actor: str,
) -> None:  # fmt: skip
    """Mark the case verified through the one identity rule, and audit it."""
    customer = guard.customer_for_case(session, case)
    identity = assess_identity(ParsedMail(), customer, (), challenge_completed=True)
    if not identity.verified:  # pragma: no cover - _refusal already checked the customer
        raise WorkflowError(f"{case.reference}: {identity.reason}")
    now = app.clock()
    challenge.state, challenge.completed_at, challenge.completed_via = COMPLETED, now, via
    case.identity = VERIFIED
    details = {
        "method": identity.method,
        "reason": identity.reason,
        "via": via,
        "challenge": challenge.id,
        "requested_at": challenge.created_at.isoformat(),
    }
    append_event(session, case, "verified", now, details, actor=actor)
    if app.settings.deadlines.pause_clock_during_verification:
        apply_deadlines(
            session, app, case, reason="verification completed (clock paused)", actor=actor
        )
    if case.status == "awaiting_verification":
        change_status(session, app, case, "in_progress", actor, "identity verified")
    for draft in session.scalars(
        select(Draft).where(Draft.case_id == case.id, Draft.state == "draft",
                            Draft.kind == REQUEST_KIND)
    ).all():  # fmt: skip
        reject_draft(session, app, draft.id, actor, "the requester is verified")
    log.info("case %s: verification challenge %s completed by %s", case.id, challenge.id, via)


def _verified_at(session: Session, case: Case) -> datetime | None:
    """When the case was last marked verified (None when verified from its first message)."""
    return session.scalar(
        select(CaseEvent.at)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == "verified")
        .order_by(CaseEvent.sequence.desc())
        .limit(1)
    )


def _refresh_drafts(app: AppContext, reference: str) -> None:
    """Redraft the reply now that disclosure may be allowed; a failure leaves it to staff."""
    try:
        with transaction(app.sessions) as session:
            case = session.scalar(select(Case).where(Case.reference == reference))
            if case is not None:
                draft_for_case(session, app, case)
    except WorkflowError as error:
        log.warning("case %s: redrafting after verification failed: %s", reference, error)
