"""What staff (or the CLI) do to a case; every action lands in the audit log.

State changes go through `states.check_transition`; correcting the rights
recomputes the deadline and keeps the correction as a training example;
an extension needs a written reason and is allowed only while the first
month is running.
"""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.cases.audit import append_event
from inbox_triage.cases.schedule import apply_deadlines
from inbox_triage.cases.states import check_transition
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case
from inbox_triage.errors import NotFoundError, UsageError, WorkflowError
from inbox_triage.nlp.labels import RIGHTS

CORRECTIONS_FILE = "training-corrections.jsonl"


def get_case(session: Session, reference: str) -> Case:
    """The case with this reference, or a NotFoundError naming it."""
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        raise NotFoundError(f"no case with reference {reference!r}")
    return case


def change_status(
    session: Session, app: AppContext, case: Case, target: str, actor: str, reason: str = ""
) -> None:
    """Move the case to `target` if the workflow allows it."""
    check_transition(case.status, target)
    previous = case.status
    case.status = target
    now = app.clock()
    case.closed_at = now if target == "closed" else None
    append_event(
        session,
        case,
        "state_changed",
        now,
        {"from": previous, "to": target, "reason": reason},
        actor=actor,
    )


def correct_rights(
    session: Session, app: AppContext, case: Case, rights: list[str], actor: str, reason: str
) -> None:
    """Replace the classified rights, recompute the deadline, keep a training example."""
    unknown = sorted(set(rights) - set(RIGHTS))
    if unknown:
        raise UsageError(f"unknown rights: {', '.join(unknown)}")
    if not reason.strip():
        raise UsageError("a correction needs a reason")
    before = list(case.rights)
    case.rights = sorted(set(rights))
    case.needs_review = False
    append_event(
        session,
        case,
        "rights_corrected",
        app.clock(),
        {"from": before, "to": case.rights, "reason": reason},
        actor=actor,
    )
    apply_deadlines(session, app, case, reason="rights corrected", actor=actor)
    keep_training_example(app, case)


def extend(session: Session, app: AppContext, case: Case, reason: str, actor: str) -> list[str]:
    """Extend by up to two months (GDPR Art. 12(3)); returns warnings for staff."""
    if not reason.strip():
        raise UsageError("an extension needs a written reason for the requester")
    if case.extended:
        raise WorkflowError(f"{case.reference} is already extended")
    today = _today(app)
    if case.gdpr_due is None or today > case.gdpr_due:
        raise WorkflowError("an extension is only possible while the first month is running")
    case.extended = True
    result = apply_deadlines(session, app, case, reason="extended", actor=actor)
    append_event(
        session,
        case,
        "extended",
        app.clock(),
        {
            "reason": reason,
            "extended_due": result.extended_due.isoformat(),
            "notice_due_before": result.gdpr_due.isoformat(),
            "warnings": list(result.warnings),
        },
        actor=actor,
    )
    return list(result.warnings) + _draft_extension_notice(session, app, case, reason, actor)


def _draft_extension_notice(
    session: Session, app: AppContext, case: Case, reason: str, actor: str
) -> list[str]:
    """Draft the notice with the reasons at once, for staff to approve within the month."""
    from inbox_triage.drafting.store import create_draft  # drafting.store imports this module

    try:
        create_draft(session, app, case.reference, "extension_notice", actor, reason)
    except WorkflowError as error:
        return [f"the extension notice could not be drafted ({error}); draft it by hand"]
    return []


def _today(app: AppContext) -> date:
    return app.clock().astimezone(ZoneInfo(app.settings.deadlines.timezone)).date()


def keep_training_example(app: AppContext, case: Case) -> None:
    """Append the corrected label set with the first message's own text for retraining."""
    first = case.messages[0] if case.messages else None
    parsed = (first.parsed or {}) if first else {}
    example = {
        "id": f"correction-{case.reference}-{len(case.events)}",
        "language": case.language or "und",
        "subject": parsed.get("subject", case.subject),
        "body": parsed.get("new_text", ""),
        "rights": case.rights,
        "split": "train",
    }
    path = app.settings.data_dir / CORRECTIONS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(example, ensure_ascii=False) + "\n")
