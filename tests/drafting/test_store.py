"""Drafts as the pipeline and staff see them: refresh, approve, reject, edit, views, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inbox_triage.cases.audit import verify_case
from inbox_triage.db.models import CaseEvent, Draft, OutboxMessage
from inbox_triage.drafting.store import (
    SUPERSEDED,
    approve_draft,
    draft_for_case,
    edit_draft,
    list_drafts,
    regenerate_drafts,
    reject_draft,
    show_draft,
)
from inbox_triage.errors import NotFoundError, UsageError, WorkflowError

STAFF = "staff@clmaster.eu"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite: the store's logic; the outbox tests cover PostgreSQL."""
    return f"sqlite:///{tmp_path / 'store.db'}"


def verified(helpers, app, session, rights=("erasure",)):
    parsed = helpers.mail("Kovács János <kovacs.janos@gmail.com>", "Töröljék az adataimat.",
                          auth=[helpers.dmarc_pass("gmail.com")])  # fmt: skip
    return helpers.open_request(app, session, parsed, list(rights))


def event_count(session, case) -> int:
    return session.scalar(select(func.count()).where(CaseEvent.case_id == case.id))


def drafts_of(session, case) -> list[Draft]:
    return list(session.scalars(select(Draft).where(Draft.case_id == case.id).order_by(Draft.id)))


def test_rerunning_the_hook_refreshes_the_same_draft_quietly(customers, session, helpers) -> None:
    """GIVEN a drafted case WHEN the pipeline runs again THEN same draft, no new audit event."""
    case = verified(helpers, customers, session)
    first = draft_for_case(session, customers, case)
    events = event_count(session, case)
    again = draft_for_case(session, customers, case)
    assert again.id == first.id and event_count(session, case) == events
    assert len(drafts_of(session, case)) == 1


def test_changed_rights_refresh_the_open_draft(customers, session, helpers) -> None:
    case = verified(helpers, customers, session)
    first = draft_for_case(session, customers, case)
    case.rights = ["erasure", "objection"]
    again = draft_for_case(session, customers, case)
    assert again.id == first.id and again.rights == ["erasure", "objection"]
    assert "Tiltakozás az adatkezelés ellen" in again.body_text
    kinds = [e.kind for e in case.events if e.kind == "drafted"]
    assert len(kinds) == 2


def test_approved_or_rejected_letters_are_not_drafted_again(customers, session, helpers) -> None:
    """GIVEN an approved reply WHEN the requester writes 'thanks' THEN no second reply."""
    case = verified(helpers, customers, session)
    draft = draft_for_case(session, customers, case)
    approve_draft(session, customers, draft.id, STAFF)
    assert draft_for_case(session, customers, case) is None
    other = verified(helpers, customers, session, ("objection",))
    rejected = draft_for_case(session, customers, other)
    reject_draft(session, customers, rejected.id, STAFF, "Telefonon már megbeszéltük.")
    assert draft_for_case(session, customers, other) is None


def test_staff_edits_survive_the_pipeline_but_not_regenerate(customers, session, helpers) -> None:
    case = verified(helpers, customers, session)
    draft = draft_for_case(session, customers, case)
    edit_draft(session, customers, draft.id, STAFF, body_text=draft.body_text + "\nP.S.\n")
    assert draft_for_case(session, customers, case).body_text.endswith("P.S.\n")
    [result] = regenerate_drafts(session, customers, case.reference, STAFF)
    refreshed = session.get(Draft, result["id"])
    assert result["id"] == draft.id and "P.S." not in refreshed.body_text
    assert refreshed.edited_at is None and "<p>" in refreshed.body_html


def test_verification_gives_way_to_the_reply(customers, session, helpers) -> None:
    """GIVEN an impersonation-style case WHEN the owner is verified THEN data reply on file."""
    parsed = helpers.mail("kj.uj@freemail.hu", "Adóazonosító jelem 8123456786. Adataimat kérem.")
    case = helpers.open_request(customers, session, parsed, ["access"])
    draft_for_case(session, customers, case)
    slots = {d.slot: d for d in drafts_of(session, case)}
    assert set(slots) == {"reply", "verification"}
    case.identity = "verified"  # the owner answered the challenge at the on-file address
    reply = draft_for_case(session, customers, case)
    assert reply.id == slots["reply"].id
    assert (reply.kind, reply.recipient) == ("reply", "kovacs.janos@gmail.com")
    assert reply.contains_personal_data and "8123456786" in reply.body_text
    retired = session.get(Draft, slots["verification"].id)
    assert (retired.state, retired.reject_reason) == ("rejected", SUPERSEDED)


def test_reject_needs_a_reason_and_only_open_drafts_change(customers, session, helpers) -> None:
    case = verified(helpers, customers, session)
    draft = draft_for_case(session, customers, case)
    with pytest.raises(UsageError):
        reject_draft(session, customers, draft.id, STAFF, "  ")
    approve_draft(session, customers, draft.id, STAFF)
    for action in (
        lambda: approve_draft(session, customers, draft.id, STAFF),
        lambda: reject_draft(session, customers, draft.id, STAFF, "x"),
        lambda: edit_draft(session, customers, draft.id, STAFF, subject="x"),
    ):
        with pytest.raises(WorkflowError):
            action()
    with pytest.raises(NotFoundError):
        show_draft(session, 9999)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_views_are_json_and_every_action_is_audited(customers, session, helpers) -> None:
    case = verified(helpers, customers, session, ("access",))
    draft = draft_for_case(session, customers, case)
    edit_draft(session, customers, draft.id, STAFF, subject=draft.subject + " (javítva)")
    shown = approve_draft(session, customers, draft.id, STAFF)
    [row] = list_drafts(session)
    assert set(row) == {"id", "case", "kind", "language", "state", "recipient", "created_at"}
    assert (row["case"], row["state"]) == (case.reference, "approved")
    assert list_drafts(session, state="draft") == []
    json.dumps(shown)
    assert shown["body_text"] == draft.body_text and shown["approved_by"] == STAFF
    [attachment] = shown["attachments"]
    assert attachment["name"].endswith(".json") and "data" not in attachment
    assert shown["outbox"][0]["state"] == "queued"
    kinds = [e.kind for e in case.events]
    assert kinds[-3:] == ["drafted", "edited", "approved"]
    approved_event = case.events[-1]
    assert approved_event.actor == STAFF
    assert approved_event.details["outbox"] == shown["outbox"][0]["id"]
    assert "kovacs.janos@gmail.com" not in json.dumps([e.details for e in case.events])
    assert verify_case(session, case) is None


def test_no_draft_for_closed_cases_or_requesters_without_address(customers, session,
                                                                 helpers) -> None:  # fmt: skip
    case = verified(helpers, customers, session)
    case.status = "closed"
    assert draft_for_case(session, customers, case) is None
    nobody = helpers.open_request(customers, session, helpers.mail("", "Töröljenek."), ["erasure"])
    assert draft_for_case(session, customers, nobody) is None
    with pytest.raises(WorkflowError):
        regenerate_drafts(session, customers, nobody.reference, STAFF)
