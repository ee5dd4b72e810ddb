"""Deadlines of a stored case: the pure engine applied with this installation's settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.cases.audit import append_event
from inbox_triage.cases.calendar import WorkingCalendar
from inbox_triage.cases.deadlines import (
    DeadlineResult,
    ResponsePolicy,
    compute_deadlines,
    load_response_policy,
)
from inbox_triage.config import Settings
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, VerificationChallenge
from inbox_triage.resources import resource_path


def policy_path(settings: Settings) -> Path:
    """The configured policy file, or the one shipped with the product."""
    configured = settings.deadlines.policy_file
    return Path(configured) if configured else resource_path("data", "policy.toml")


def calendar_for(app: AppContext) -> WorkingCalendar:
    """The working-day calendar of these settings (built once per context)."""
    return app.cached("calendar", lambda: WorkingCalendar.from_settings(app.settings.deadlines))


def policy_for(app: AppContext) -> ResponsePolicy:
    """The company's response-time commitments (read once per context)."""
    return app.cached("policy", lambda: load_response_policy(policy_path(app.settings)))


def deadlines_for_case(app: AppContext, case: Case, paused_days: int = 0) -> DeadlineResult:
    """The case's deadlines from its receipt time, rights, extension and any paused days."""
    return compute_deadlines(
        case.receipt_at + timedelta(days=paused_days),
        case.rights,
        calendar_for(app),
        policy_for(app),
        extended=case.extended,
        tz=app.settings.deadlines.timezone,
    )


def paused_days(session: Session, app: AppContext, case: Case) -> int:
    """Whole days the clock stood still while identity verification was pending.

    Only when the policy pauses the clock (deadlines.pause_clock_during_verification;
    off by default, the conservative choice): the days from each completed request
    to its completion, counted in local dates, move the receipt date on.
    """
    if not app.settings.deadlines.pause_clock_during_verification:
        return 0
    zone = ZoneInfo(app.settings.deadlines.timezone)
    rows = session.execute(
        select(VerificationChallenge.created_at, VerificationChallenge.completed_at).where(
            VerificationChallenge.case_id == case.id,
            VerificationChallenge.completed_at.is_not(None),
        )
    ).all()
    return sum(
        (completed.astimezone(zone).date() - requested.astimezone(zone).date()).days
        for requested, completed in rows
    )


def apply_deadlines(
    session: Session, app: AppContext, case: Case, reason: str, actor: str = "system"
) -> DeadlineResult:
    """Recompute and store the case's deadlines; record the result in the audit log."""
    paused = paused_days(session, app, case)
    result = deadlines_for_case(app, case, paused)
    case.gdpr_due = result.gdpr_due
    case.policy_due = result.policy_due
    case.due = result.due
    case.basis = result.basis
    case.extended_due = result.extended_due
    details = result.to_json() | {"reason": reason, "paused_days": paused}
    append_event(session, case, "deadline_computed", app.clock(), details, actor=actor)
    return result
