"""The JSON API: bearer tokens for scripts, the session plus CSRF header for the browser."""

from __future__ import annotations

from sqlalchemy import select

from inbox_triage.db.models import ApiToken
from inbox_triage.web.auth import create_api_token

STAFF = "anna.staff@clmaster.eu"
OTHER_STAFF = "bela.staff@clmaster.eu"


def _bearer(web) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_api_token(web.app, STAFF)}"}


def test_without_credentials_the_api_answers_401(web) -> None:
    """GIVEN no token, a wrong one or a forged one WHEN the API is called THEN 401."""
    client = web.client()
    for headers in (
        {},
        {"Authorization": "Bearer itk_wrong"},
        {"Authorization": "Bearer something"},
    ):
        response = client.get("/api/cases", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert client.post("/api/cases/GDPR-2026-0001/close", json={}).status_code == 401
    assert client.get("/api/openapi.json").status_code == 401


def test_tokens_are_stored_hashed(web) -> None:
    """GIVEN a new token WHEN stored THEN only its SHA-256 is in the database."""
    token = create_api_token(web.app, STAFF)
    with web.app.sessions() as session:
        row = session.scalar(select(ApiToken))
        assert row is not None and token not in (row.token_hash, row.prefix)
        assert len(row.token_hash) == 64 and token.startswith(row.prefix)


def test_list_show_and_correct_with_a_token(web) -> None:
    """GIVEN a token WHEN listing, showing and correcting THEN JSON with the new deadline."""
    reference = web.make_case()
    client = web.client(headers=_bearer(web))
    rows = client.get("/api/cases").json()
    assert [row["reference"] for row in rows] == [reference]
    assert rows[0]["due"] == "2026-04-01" and rows[0]["urgency"] == "ok"
    assert client.get("/api/cases", params={"right": "access"}).json() == []
    shown = client.get(f"/api/cases/{reference}").json()
    assert shown["deadlines"]["due"] == "2026-04-01" and shown["assignee"] is None
    corrected = client.post(
        f"/api/cases/{reference}/rights", json={"rights": ["objection"], "reason": "tiltakozás"}
    )
    assert corrected.status_code == 200
    assert corrected.json()["due"] == "2026-03-17" and corrected.json()["rights"] == ["objection"]
    assert client.get(f"/api/cases/{reference}").json()["events"][-2]["actor"] == STAFF


def test_extend_assign_and_close_with_a_token(web) -> None:
    """GIVEN a token WHEN extending, assigning and closing THEN each is applied, with errors
    as 400/404/409."""
    reference = web.make_case()
    client = web.client(headers=_bearer(web))
    extended = client.post(f"/api/cases/{reference}/extend", json={"reason": "sok adat"})
    assert extended.status_code == 200
    assert extended.json()["due"] == "2026-06-02"
    assert "privacy policy" in extended.json()["warnings"][0]
    again = client.post(f"/api/cases/{reference}/extend", json={"reason": "újra"})
    assert again.status_code == 409
    assigned = client.post(f"/api/cases/{reference}/assign", json={"assignee": OTHER_STAFF})
    assert assigned.json()["assignee"] == OTHER_STAFF
    bad = client.post(f"/api/cases/{reference}/assign", json={"assignee": "x@example.hu"})
    assert bad.status_code == 400
    closed = client.post(f"/api/cases/{reference}/close", json={"reason": "kész"})
    assert closed.json()["status"] == "closed"
    assert client.get("/api/cases/GDPR-2026-9999").status_code == 404
    assert (
        client.post(
            f"/api/cases/{reference}/rights", json={"rights": ["nonsense"], "reason": "x"}
        ).status_code
        == 400
    )


def test_the_browser_session_needs_the_csrf_header(web) -> None:
    """GIVEN a signed-in browser WHEN it posts to the API THEN only with X-CSRF-Token."""
    reference = web.make_case()
    client = web.signed_in()
    assert client.get("/api/cases").status_code == 200
    refused = client.post(f"/api/cases/{reference}/close", json={})
    assert refused.status_code == 403
    token = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    accepted = client.post(
        f"/api/cases/{reference}/close", json={}, headers={"X-CSRF-Token": token}
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "closed"


def test_openapi_documents_the_api(web) -> None:
    """GIVEN a token WHEN the OpenAPI document is fetched THEN it lists the operations."""
    document = web.client(headers=_bearer(web)).get("/api/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/cases",
        "/api/cases/{reference}",
        "/api/cases/{reference}/rights",
        "/api/cases/{reference}/extend",
        "/api/cases/{reference}/close",
        "/api/cases/{reference}/assign",
        "/healthz",
    ):
        assert path in paths, path
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    assert not any(path.startswith("/cases") or path == "/login" for path in paths)
