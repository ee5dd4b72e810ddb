"""Workflow actions, the evidence pack and retention on real processed cases."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from support.mail import build_message
from support.settings import FixedClock

from inbox_triage.cases import actions
from inbox_triage.cases.audit import verify_chains
from inbox_triage.cases.export import export_case
from inbox_triage.cases.retention import minimise_expired
from inbox_triage.cases.schedule import calendar_for
from inbox_triage.context import AppContext
from inbox_triage.db.models import Case, Message
from inbox_triage.db.session import transaction
from inbox_triage.errors import UsageError, WorkflowError
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor

ERASURE = "Tisztelt Cloudmaster Kft.!\n\nKérem, hogy töröljék az összes személyes adatomat.\n"


def _open_case(app: AppContext) -> str:
    store_raw(app, build_message(body=ERASURE), "smtp")
    Processor(app).run_pending()
    with app.sessions() as session:
        reference = session.scalar(select(Case.reference))
        assert reference is not None
        return reference


def test_correcting_rights_recomputes_the_deadline_and_keeps_an_example(app: AppContext) -> None:
    """GIVEN an erasure case (policy 30 days) WHEN staff correct it to access only
    THEN the GDPR month binds, the change is audited and kept as a training example."""
    reference = _open_case(app)
    with transaction(app.sessions) as session:
        case = actions.get_case(session, reference)
        assert case.basis == "policy"
        actions.correct_rights(session, app, case, ["access"], "anna@clmaster.eu", "misread")
    with app.sessions() as session:
        case = actions.get_case(session, reference)
        assert case.rights == ["access"] and case.basis == "gdpr"
        assert case.due is not None and case.due.isoformat() == "2026-04-02"
        kinds = [e.kind for e in case.events]
        assert kinds[-2:] == ["rights_corrected", "deadline_computed"]
        assert case.events[-2].actor == "anna@clmaster.eu"
    example = json.loads((app.settings.data_dir / actions.CORRECTIONS_FILE).read_text())
    assert example["rights"] == ["access"] and "töröljék" in example["body"]


def test_correction_needs_known_rights_and_a_reason(app: AppContext) -> None:
    """GIVEN a case WHEN corrected with an unknown right or no reason THEN refused."""
    reference = _open_case(app)
    with transaction(app.sessions) as session:
        case = actions.get_case(session, reference)
        with pytest.raises(UsageError, match="unknown rights"):
            actions.correct_rights(session, app, case, ["forget"], "cli", "x")
        with pytest.raises(UsageError, match="reason"):
            actions.correct_rights(session, app, case, ["access"], "cli", " ")


def test_extension_within_the_first_month_warns_past_the_policy(
    app: AppContext, clock: FixedClock
) -> None:
    """GIVEN an erasure case WHEN extended with a reason THEN due moves to the extended date,
    staff are warned that the policy's 30 days are passed, and a second extension is refused."""
    reference = _open_case(app)
    with transaction(app.sessions) as session:
        case = actions.get_case(session, reference)
        warnings = actions.extend(session, app, case, "many systems to search", "cli")
        assert warnings and case.extended and case.due == case.extended_due
        # received 2 March 2026: 2 June 2026 is the earlier of receipt + 3 months and
        # the one-month date (2 April) + 2 months; a Tuesday.
        assert case.due is not None and case.due.isoformat() == "2026-06-02"
        with pytest.raises(WorkflowError, match="already extended"):
            actions.extend(session, app, case, "again", "cli")


def test_no_extension_after_the_first_month(app: AppContext, clock: FixedClock) -> None:
    """GIVEN a case older than its GDPR month WHEN extended THEN refused."""
    reference = _open_case(app)
    clock.advance(days=40)
    with transaction(app.sessions) as session:
        case = actions.get_case(session, reference)
        with pytest.raises(WorkflowError, match="first month"):
            actions.extend(session, app, case, "late", "cli")


def test_workflow_refuses_transitions_it_does_not_allow(app: AppContext) -> None:
    """GIVEN a new case WHEN moved to replied directly THEN refused; WHEN closed THEN closed."""
    reference = _open_case(app)
    with transaction(app.sessions) as session:
        case = actions.get_case(session, reference)
        with pytest.raises(WorkflowError):
            actions.change_status(session, app, case, "replied", "cli")
        actions.change_status(session, app, case, "closed", "cli", "done")
        assert case.status == "closed" and case.closed_at is not None


def test_evidence_pack_holds_raw_mail_deadlines_and_verified_audit(
    app: AppContext, tmp_path: Path
) -> None:
    """GIVEN a case WHEN exported THEN the zip has the raw message byte for byte, the
    deadlines with the binding basis, and an intact audit chain."""
    reference = _open_case(app)
    with app.sessions() as session:
        raw = session.scalar(select(Message.raw))
        output = export_case(
            session, reference, tmp_path / "pack.zip", app.clock().date(), calendar_for(app)
        )
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        eml = [n for n in names if n.startswith("messages/")]
        assert len(eml) == 1 and archive.read(eml[0]) == raw
        deadlines = json.loads(archive.read("deadlines.json"))
        assert deadlines["basis"] == "policy" and deadlines["due"] == "2026-04-01"
        assert json.loads(archive.read("audit-verification.json"))["intact"] is True
        assert json.loads(archive.read("audit.json"))[0]["kind"] == "opened"


def test_retention_minimises_old_closed_cases_only(app: AppContext, clock: FixedClock) -> None:
    """GIVEN a case closed six years ago and an open one WHEN retention runs THEN only the
    closed one loses its personal data, keeps its hash, and its audit chain still verifies."""
    old = _open_case(app)
    store_raw(
        app,
        build_message(body=ERASURE, sender="Tóth Éva <eva@example.hu>", subject="Törlés"),
        "smtp",
    )
    Processor(app).run_pending()
    with transaction(app.sessions) as session:
        case = actions.get_case(session, old)
        actions.change_status(session, app, case, "closed", "cli", "done")
    clock.advance(days=6 * 365)
    with transaction(app.sessions) as session:
        assert minimise_expired(session, clock(), dry_run=True).cases == [old]
        summary = minimise_expired(session, clock())
        assert summary.cases == [old] and summary.messages == 1
    with app.sessions() as session:
        case = actions.get_case(session, old)
        assert case.requester_address is None and case.events[-1].kind == "minimised"
        message = case.messages[0]
        assert message.raw == b"" and message.parsed is None and len(message.sha256) == 64
        others = session.scalars(select(Case).where(Case.reference != old)).all()
        assert all(c.requester_address for c in others)
        assert verify_chains(session) == []
