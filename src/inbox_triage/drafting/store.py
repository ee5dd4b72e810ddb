"""Drafts of a case: created by the pipeline, edited, approved or rejected by staff.

Every letter passes `guard.check_outgoing` before it is stored, and again on
approval; one that would disclose to the wrong person is stored as its safe
replacement (with the reason kept in `disclosure_note`). Each change lands in
the case's audit log. Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.cases.actions import get_case
from inbox_triage.cases.audit import append_event
from inbox_triage.context import AppContext
from inbox_triage.customers.disclosure import DisclosureDecision
from inbox_triage.db.models import Case, Draft
from inbox_triage.drafting import compose, guard
from inbox_triage.drafting.compose import CODE_PLACEHOLDER, ComposedDraft
from inbox_triage.drafting.environment import text_to_html
from inbox_triage.errors import NotFoundError, UsageError, WorkflowError
from inbox_triage.mail.outbox import enqueue_draft, outbox_rows_of

AUTO_SLOTS = ("reply", "verification")
SUPERSEDED = "superseded by a newer draft"
Plan = list[tuple[ComposedDraft, str | None]]


def draft_for_case(session: Session, app: AppContext, case: Case) -> Draft | None:
    """Pipeline hook: create or refresh the case's reply drafts; returns the requester's."""
    if case.status == "closed" or not compose.requester(case) or not case.rights:
        return None
    saved = _save_plan(session, app, case, _reply_plan(session, app, case), False, "system")
    return next((draft for draft in saved if draft.slot == "reply"), None)


def regenerate_drafts(session: Session, app: AppContext, reference: str,
                      actor: str) -> list[dict[str, Any]]:  # fmt: skip
    """`drafts regenerate REF`: redraft the replies, overwriting unapproved edits."""
    case = get_case(session, reference)
    if not compose.requester(case):
        raise WorkflowError(f"{reference} has no requester address to reply to")
    saved = _save_plan(session, app, case, _reply_plan(session, app, case), True, actor)
    return [draft_summary(draft) for draft in saved]


def create_draft(session: Session, app: AppContext, reference: str, kind: str, actor: str,
                 reason: str = "") -> dict[str, Any]:  # fmt: skip
    """An acknowledgement, extension notice, refusal or verification request for a case."""
    case = get_case(session, reference)
    customer = guard.customer_for_case(session, case)
    letter = compose.compose_special(session, app, case, customer, kind, reason)
    saved = _save_plan(session, app, case, _gated(session, app, case, [letter]), True, actor)
    return draft_summary(saved[0])


def _reply_plan(session: Session, app: AppContext, case: Case) -> Plan:
    customer = guard.customer_for_case(session, case)
    return _gated(session, app, case, [compose.compose_reply(session, app, case, customer)])


def _gated(session: Session, app: AppContext, case: Case,
           letters: Sequence[ComposedDraft]) -> Plan:  # fmt: skip
    """Each letter through the guard; a refused one is replaced, with the reason kept."""
    plan: Plan = []
    for letter in letters:
        decision = _check(session, case, letter)
        if decision.allowed:
            plan.append((letter, None))
            continue
        customer = guard.customer_for_case(session, case)
        for replacement in compose.replacements(app, case, customer, decision.required_reply):
            if not _check(session, case, replacement).allowed:
                raise WorkflowError(f"{case.reference}: no letter may go to this requester")
            plan.append((replacement, decision.reason))
    return plan


def _check(session: Session, case: Case, letter: ComposedDraft) -> DisclosureDecision:
    texts = guard.draft_texts(letter.subject, letter.body_text, letter.body_html,
                              letter.attachments)  # fmt: skip
    return guard.check_outgoing(session, case, [letter.recipient],
                                letter.contains_personal_data, texts)  # fmt: skip


def check_draft(session: Session, draft: Draft) -> DisclosureDecision:
    """The guard's verdict on a stored (possibly edited) draft."""
    texts = guard.draft_texts(draft.subject, draft.body_text, draft.body_html, draft.attachments)
    return guard.check_outgoing(session, draft.case, [draft.recipient],
                                draft.contains_personal_data, texts)  # fmt: skip


def _save_plan(session: Session, app: AppContext, case: Case, plan: Plan, force: bool,
               actor: str) -> list[Draft]:  # fmt: skip
    drafts = [_apply(session, app, case, letter, note, force, actor) for letter, note in plan]
    saved = [draft for draft in drafts if draft is not None]
    slots = {letter.slot for letter, _ in plan}
    if slots & set(AUTO_SLOTS):
        _retire_other_slots(session, app, case, slots, force, actor)
    return saved


def _apply(session: Session, app: AppContext, case: Case, letter: ComposedDraft,
           note: str | None, force: bool, actor: str) -> Draft | None:  # fmt: skip
    current = session.scalar(
        select(Draft).where(Draft.case_id == case.id, Draft.slot == letter.slot,
                            Draft.state == "draft").order_by(Draft.id.desc()).limit(1)
    )  # fmt: skip
    if current is not None:
        if (current.edited_at is not None and not force) or _same(current, letter, note):
            return current
        _fill(current, letter, note, app)
        _audit(session, app, current, "drafted", actor, refreshed=True)
        return current
    if not force and _already_handled(session, case, letter):
        return None
    now = app.clock()
    draft = Draft(case_id=case.id, state="draft", created_at=now, updated_at=now)
    _fill(draft, letter, note, app)
    session.add(draft)
    session.flush()
    _audit(session, app, draft, "drafted", actor, refreshed=False)
    return draft


def _fill(draft: Draft, letter: ComposedDraft, note: str | None, app: AppContext) -> None:
    draft.slot, draft.kind, draft.language = letter.slot, letter.kind, letter.language
    draft.rights, draft.recipient = list(letter.rights), letter.recipient
    draft.subject, draft.body_text, draft.body_html = (
        letter.subject, letter.body_text, letter.body_html)  # fmt: skip
    draft.attachments = list(letter.attachments)
    draft.contains_personal_data, draft.disclosure_note = letter.contains_personal_data, note
    draft.edited_at, draft.edited_by, draft.updated_at = None, None, app.clock()


def _same(draft: Draft, letter: ComposedDraft, note: str | None) -> bool:
    return (draft.kind, draft.rights, draft.recipient, draft.subject, draft.body_text,
            draft.attachments, draft.disclosure_note) == (
        letter.kind, letter.rights, letter.recipient, letter.subject, letter.body_text,
        letter.attachments, note)  # fmt: skip


def _already_handled(session: Session, case: Case, letter: ComposedDraft) -> bool:
    """The same letter was approved, sent or rejected before: the pipeline does not repeat it."""
    done = session.scalars(
        select(Draft).where(Draft.case_id == case.id, Draft.slot == letter.slot,
                            Draft.state.in_(("approved", "sent", "rejected")))
    )  # fmt: skip
    return any(d.kind == letter.kind and sorted(d.rights) == sorted(letter.rights)
               and d.recipient == letter.recipient and d.reject_reason != SUPERSEDED
               for d in done)  # fmt: skip


def _retire_other_slots(session: Session, app: AppContext, case: Case, keep: set[str],
                        force: bool, actor: str) -> None:  # fmt: skip
    """An open automatic draft the new plan no longer has (e.g. after verification) goes."""
    stale = session.scalars(
        select(Draft).where(Draft.case_id == case.id, Draft.state == "draft",
                            Draft.slot.in_([s for s in AUTO_SLOTS if s not in keep]))
    )  # fmt: skip
    for draft in stale:
        if draft.edited_at is None or force:
            _reject(session, app, draft, actor, SUPERSEDED)


def get_draft(session: Session, draft_id: int) -> Draft:
    """The draft with this id, or a NotFoundError naming it."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise NotFoundError(f"no draft with id {draft_id}")
    return draft


def _require_open(draft: Draft) -> None:
    if draft.state != "draft":
        raise WorkflowError(f"draft {draft.id} is {draft.state}; only an open draft can change")


def approve_draft(session: Session, app: AppContext, draft_id: int, actor: str) -> dict[str, Any]:
    """Check the draft once more and put it in the outbox; returns the draft as shown."""
    draft = get_draft(session, draft_id)
    _require_open(draft)
    if any(CODE_PLACEHOLDER in part for part in (draft.subject, draft.body_text)):
        raise WorkflowError(f"draft {draft.id}: fill in the one-time code before approving")
    if draft.kind == "extension_notice":
        gdpr_due = draft.case.gdpr_due
        if gdpr_due is None or compose.local_today(app) > gdpr_due:
            raise WorkflowError(f"draft {draft.id}: an extension notice is too late after "
                                f"the original deadline ({gdpr_due})")  # fmt: skip
    decision = check_draft(session, draft)
    if not decision.allowed:
        raise WorkflowError(f"draft {draft.id} may not be sent: {decision.reason}")
    row = enqueue_draft(session, app, draft)
    draft.state, draft.approved_at, draft.approved_by = "approved", app.clock(), actor
    _audit(session, app, draft, "approved", actor, outbox=row.id, message_id=row.message_id)
    return show_draft(session, draft.id)


def reject_draft(session: Session, app: AppContext, draft_id: int, actor: str,
                 reason: str) -> dict[str, Any]:  # fmt: skip
    """Reject with a reason (kept on the draft and in the audit log)."""
    if not reason.strip():
        raise UsageError("a rejection needs a reason")
    draft = get_draft(session, draft_id)
    _require_open(draft)
    _reject(session, app, draft, actor, reason.strip())
    return draft_summary(draft)


def _reject(session: Session, app: AppContext, draft: Draft, actor: str, reason: str) -> None:
    draft.state, draft.reject_reason, draft.updated_at = "rejected", reason, app.clock()
    _audit(session, app, draft, "rejected", actor, reason=reason)


def edit_draft(session: Session, app: AppContext, draft_id: int, actor: str,
               subject: str | None = None, body_text: str | None = None,
               recipient: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Staff's edit; what it now carries is re-judged, and approval re-checks it."""
    draft = get_draft(session, draft_id)
    _require_open(draft)
    fields = [name for name, value in (("subject", subject), ("body_text", body_text),
                                       ("recipient", recipient)) if value is not None]  # fmt: skip
    draft.subject = subject if subject is not None else draft.subject
    draft.body_text = body_text if body_text is not None else draft.body_text
    draft.recipient = recipient.strip() if recipient is not None else draft.recipient
    _after_edit(session, app, draft, actor, fields)
    decision = check_draft(session, draft)
    return show_draft(session, draft.id) | {
        "disclosure": {"allowed": decision.allowed, "reason": decision.reason}
    }


def fill_verification_code(session: Session, app: AppContext, draft_id: int, code: str,
                           actor: str = "system") -> None:  # fmt: skip
    """Put the one-time code into a verification request (the code is not audited)."""
    draft = get_draft(session, draft_id)
    _require_open(draft)
    if CODE_PLACEHOLDER not in draft.body_text or not code.strip():
        raise WorkflowError(f"draft {draft.id} has no code placeholder, or the code is empty")
    draft.body_text = draft.body_text.replace(CODE_PLACEHOLDER, code.strip())
    _after_edit(session, app, draft, actor, ["code"])


def _after_edit(session: Session, app: AppContext, draft: Draft, actor: str,
                fields: list[str]) -> None:  # fmt: skip
    draft.body_html = text_to_html(app, draft.language, draft.subject, draft.body_text)
    texts = guard.draft_texts(draft.subject, draft.body_text, draft.body_html, draft.attachments)
    if guard.carries_personal_data(session, draft.case, draft.recipient, texts):
        draft.contains_personal_data = True
    draft.edited_at = draft.updated_at = app.clock()
    draft.edited_by = actor
    _audit(session, app, draft, "edited", actor, fields=fields)


def _audit(session: Session, app: AppContext, draft: Draft, kind: str, actor: str,
           **extra: Any) -> None:  # fmt: skip
    details = {"draft": draft.id, "kind": draft.kind, "slot": draft.slot,
               "language": draft.language, "rights": list(draft.rights),
               "contains_personal_data": draft.contains_personal_data,
               "replaced_because": draft.disclosure_note} | extra  # fmt: skip
    append_event(session, draft.case, kind, app.clock(), details, actor=actor)


def draft_summary(draft: Draft) -> dict[str, Any]:
    """One row of `drafts list --json`."""
    return {"id": draft.id, "case": draft.case.reference, "kind": draft.kind,
            "language": draft.language, "state": draft.state, "recipient": draft.recipient,
            "created_at": draft.created_at.isoformat()}  # fmt: skip


def list_drafts(session: Session, state: str | None = None) -> list[dict[str, Any]]:
    """`drafts list --json`: drafts oldest first, optionally of one state."""
    query = select(Draft).order_by(Draft.created_at, Draft.id)
    if state is not None:
        query = query.where(Draft.state == state)
    return [draft_summary(draft) for draft in session.scalars(query)]


def show_draft(session: Session, draft_id: int) -> dict[str, Any]:
    """`drafts show ID --json`: the draft with its body, attachments and outbox rows."""
    draft = get_draft(session, draft_id)
    stamp = lambda value: value.isoformat() if value else None  # noqa: E731
    return draft_summary(draft) | {
        "slot": draft.slot, "rights": list(draft.rights), "subject": draft.subject,
        "body_text": draft.body_text, "body_html": draft.body_html,
        "attachments": [{"name": a["name"], "content_type": a["content_type"],
                         "size": a["size"]} for a in draft.attachments],
        "contains_personal_data": draft.contains_personal_data,
        "disclosure_note": draft.disclosure_note, "reject_reason": draft.reject_reason,
        "updated_at": stamp(draft.updated_at), "edited_at": stamp(draft.edited_at),
        "edited_by": draft.edited_by, "approved_at": stamp(draft.approved_at),
        "approved_by": draft.approved_by, "sent_at": stamp(draft.sent_at),
        "outbox": outbox_rows_of(session, draft.id),
    }  # fmt: skip
