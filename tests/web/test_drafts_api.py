"""The drafts and outbox JSON API: bearer tokens for scripts, session plus CSRF header."""

from __future__ import annotations

from inbox_triage.web.auth import create_api_token

STAFF = "anna.staff@clmaster.eu"


def _api(web):
    token = create_api_token(web.app, STAFF)
    return web.client(headers={"Authorization": f"Bearer {token}"})


def test_list_show_edit_approve_and_reject_with_a_token(web) -> None:
    """GIVEN a token WHEN a script lists, edits and approves a draft THEN JSON throughout, the
    outbox holds the queued letter, and refused actions answer 409 / 422."""
    reference = web.make_case()
    other = web.make_case(sender="Szabó Éva <szabo.eva@example.hu>", subject="Törlés")
    api = _api(web)
    listed = api.get("/api/drafts", params={"case": reference}).json()
    assert [(d["case"], d["kind"], d["state"]) for d in listed] == [
        (reference, "neutral_acknowledgement", "draft")
    ]
    draft_id = listed[0]["id"]
    assert len(api.get("/api/drafts", params={"state": "draft"}).json()) == 2
    assert api.get("/api/drafts", params={"state": "bogus"}).status_code == 400
    shown = api.get(f"/api/drafts/{draft_id}").json()
    assert shown["disclosure_note"] == "no customer record matched" and shown["outbox"] == []

    edited = api.post(f"/api/drafts/{draft_id}/edit", json={"subject": "Megkaptuk"})
    assert edited.status_code == 200
    assert edited.json()["subject"] == "Megkaptuk" and edited.json()["edited_by"] == STAFF
    assert edited.json()["disclosure"]["allowed"] is True
    assert api.post(f"/api/drafts/{draft_id}/edit", json={}).status_code == 400
    assert api.post(f"/api/drafts/{draft_id}/code").status_code == 409  # no customer on file

    approved = api.post(f"/api/drafts/{draft_id}/approve")
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    assert [row["state"] for row in approved.json()["outbox"]] == ["queued"]
    assert api.post(f"/api/drafts/{draft_id}/approve").status_code == 409
    assert api.post("/api/drafts/99999/approve").status_code == 404

    other_id = web.drafts(other)[0].id
    assert api.post(f"/api/drafts/{other_id}/reject", json={}).status_code == 422
    rejected = api.post(f"/api/drafts/{other_id}/reject", json={"reason": "duplikátum"})
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["reject_reason"] == "duplikátum"
    regenerated = api.post(f"/api/cases/{other}/drafts/regenerate")
    assert regenerated.status_code == 200 and regenerated.json()[0]["state"] == "draft"
    assert api.post("/api/cases/GDPR-2026-9999/drafts/regenerate").status_code == 404


def test_outbox_list_requeue_and_confirm_with_a_token(web) -> None:
    """GIVEN two uncertain messages WHEN a script lists the outbox, confirms one and requeues
    the other THEN the rows carry state, case, attempts and error, and change as asked."""
    api = _api(web)
    first = web.make_case()
    second = web.make_case(sender="Szabó Éva <szabo.eva@example.hu>", subject="Törlés")
    for reference in (first, second):
        api.post(f"/api/drafts/{web.drafts(reference)[0].id}/approve")
    web.send_outbox(mode="drop")
    rows = api.get("/api/outbox").json()
    assert {(row["case"], row["state"], row["attempts"]) for row in rows} == {
        (first, "uncertain", 1),
        (second, "uncertain", 1),
    }
    assert all(row["last_error"] and "raw" not in row for row in rows)
    assert api.get("/api/outbox", params={"state": "sent"}).json() == []
    assert api.get("/api/outbox", params={"state": "bogus"}).status_code == 400

    by_case = {row["case"]: row["id"] for row in rows}
    confirmed = api.post(f"/api/outbox/{by_case[first]}/confirm-delivered")
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "sent"
    requeued = api.post(f"/api/outbox/{by_case[second]}/requeue")
    assert requeued.json()["state"] == "queued" and requeued.json()["attempts"] == 0
    assert api.post(f"/api/outbox/{by_case[first]}/requeue").status_code == 409
    assert api.post("/api/outbox/99999/confirm-delivered").status_code == 404
    assert api.get(f"/api/drafts/{web.drafts(first)[0].id}").json()["state"] == "sent"


def test_browser_session_needs_the_csrf_header_for_draft_actions(web) -> None:
    """GIVEN a signed-in browser WHEN it approves through the API THEN only with the header."""
    reference = web.make_case()
    draft_id = web.drafts(reference)[0].id
    client = web.signed_in()
    assert client.get("/api/drafts").status_code == 200
    assert client.post(f"/api/drafts/{draft_id}/approve").status_code == 403
    assert web.outbox() == []
    token = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    approved = client.post(f"/api/drafts/{draft_id}/approve", headers={"X-CSRF-Token": token})
    assert approved.status_code == 200 and len(web.outbox()) == 1


def test_openapi_documents_the_draft_and_outbox_operations(web) -> None:
    """GIVEN a token WHEN the OpenAPI document is fetched THEN drafts and outbox are in it."""
    paths = _api(web).get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/drafts",
        "/api/drafts/{draft_id}",
        "/api/drafts/{draft_id}/edit",
        "/api/drafts/{draft_id}/approve",
        "/api/drafts/{draft_id}/reject",
        "/api/drafts/{draft_id}/code",
        "/api/cases/{reference}/drafts/regenerate",
        "/api/outbox",
        "/api/outbox/{outbox_id}/requeue",
        "/api/outbox/{outbox_id}/confirm-delivered",
    ):
        assert path in paths, path
    assert not any(path.startswith(("/drafts", "/outbox")) for path in paths)
