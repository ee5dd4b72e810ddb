"""Security over real HTTP, checked against every route the application has.

The routes are read from the application itself, so a route added later is
covered without touching this file (and one with an unknown path parameter
fails here until a value for it is given).
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from fastapi import FastAPI, routing

from inbox_triage.db.models import Case, Message
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor
from inbox_triage.web.app import create_app
from inbox_triage.web.cookies import COOKIE_NAME

# /verify/{token} is the requester's confirmation page: the link in our letter is the only
# credential (it must work logged out), it shows no case data, its POST needs the anonymous
# CSRF token and is rate-limited; tests/web/test_verify_page.py covers it.
PUBLIC = ("/login", "/healthz", "/metrics", "/static", "/verify")
FORM = {"reason": "x", "rights": "objection", "subject": "s", "body_text": "b", "language": "en"}
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
HOSTILE_SUBJECT = '<script>alert("subject")</script> Adataim'
HOSTILE_HTML = (
    "<html><body><p>Tisztelt Cloudmaster Kft.!</p>"
    "<p>Kérem, hogy töröljék az összes személyes adatomat.</p>"
    '<script>alert("body")</script><img src="x" onerror="alert(1)">'
    "<p>&lt;script&gt;alert(&quot;quoted&quot;)&lt;/script&gt;</p></body></html>"
)


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def all_routes(app: FastAPI) -> list[Any]:
    """Every route with its full path (FastAPI >= 0.165 keeps included routers nested)."""
    flatten = getattr(routing, "iter_route_contexts", None)
    return list(flatten(app.routes)) if flatten is not None else list(app.routes)


def protected_routes(web) -> list[tuple[str, str]]:
    """(method, path template) of every route but the public ones, read from the app."""
    routes = []
    for route in all_routes(create_app(web.app)):
        path = route.path
        if path is None or path.startswith(PUBLIC):
            continue
        methods = route.methods or {"GET"}
        routes += [(method, path) for method in sorted(methods) if method != "HEAD"]
    return routes


def _world(web) -> dict[str, str]:
    """A case with a draft and an outbox row, so every path parameter names something real."""
    reference = web.make_case()
    draft = web.drafts(reference)[0]
    client = web.signed_in()
    web.post_form(client, f"/cases/{reference}", f"/drafts/{draft.id}/approve", {})
    other = web.make_case(sender="Szabó Éva <szabo.eva@example.hu>", subject="Törlés")
    [row] = web.outbox()
    message_id = web.case(other).messages[0].id
    return {
        "reference": reference,
        "draft_id": str(web.drafts(other)[0].id),
        "outbox_id": str(row.id),
        "message_id": str(message_id),
    }


def _fill(path: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        assert match.group(1) in values, f"no test value for path parameter {match.group(1)}"
        return values[match.group(1)]

    return _PARAM.sub(value, path)


def _snapshot(web, values: dict[str, str]) -> tuple[Any, ...]:
    case = web.case(values["reference"])
    drafts = web.drafts(values["reference"])
    return (
        case.status,
        sorted(case.rights),
        len(case.events),
        [(d.state, d.subject) for d in drafts],
        [(r.state, r.attempts) for r in web.outbox()],
    )


def test_every_page_and_api_route_refuses_unauthenticated_access(web) -> None:
    """GIVEN no login (but a CSRF token from the login page) WHEN every non-public route is
    called THEN pages redirect to /login, the API answers 401, and nothing changes."""
    routes = protected_routes(web)
    paths = {path for _, path in routes}
    for expected in ("/", "/outbox", "/drafts/{draft_id}/approve", "/api/outbox"):
        assert expected in paths
    values = _world(web)
    before = _snapshot(web, values)
    anonymous = web.client()
    token = anonymous.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    for method, template in routes:
        path = _fill(template, values)
        if path.startswith("/api"):
            response = anonymous.request(method, path, json={}, headers={"X-CSRF-Token": token})
            assert response.status_code == 401, (method, path, response.status_code)
            bare = web.client().request(method, path, json={})
            assert bare.status_code == 401, (method, path)
        else:
            data = {**FORM, "csrf_token": token} if method == "POST" else None
            response = anonymous.request(method, path, data=data)
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login"), (method, path)
    assert _snapshot(web, values) == before


def test_form_posts_without_a_valid_csrf_token_fail(web) -> None:
    """GIVEN a signed-in staff member WHEN any form is posted without a token or with another
    session's token THEN 403 and nothing changes (not even the logout)."""
    values = _world(web)
    before = _snapshot(web, values)
    client = web.signed_in()
    foreign = web.client()
    foreign_token = foreign.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    forms = [
        path
        for method, path in protected_routes(web)
        if method == "POST" and not path.startswith("/api")
    ]
    assert "/drafts/{draft_id}/edit" in forms and "/outbox/{outbox_id}/confirm" in forms
    for template in [*forms, "/logout"]:
        path = _fill(template, values)
        for data in (FORM, {**FORM, "csrf_token": foreign_token}, {**FORM, "csrf_token": ""}):
            response = client.post(path, data=data)
            assert response.status_code == 403, (path, data.get("csrf_token"))
    assert _snapshot(web, values) == before
    assert client.get("/").status_code == 200
    assert "Nyitott ügyek" in client.get("/").text


def _store_hostile_request(web) -> int:
    """Intake and processing of a request whose subject and HTML body carry script."""
    message = EmailMessage()
    message["From"] = "Kovács János <janos.kovacs@example.hu>"
    message["To"] = "info@clmaster.eu"
    message["Subject"] = HOSTILE_SUBJECT
    message["Message-ID"] = "<hostile-1@example.hu>"
    message.set_content(HOSTILE_HTML, subtype="html")
    stored = store_raw(web.app, message.as_bytes(), "smtp")
    Processor(web.app).process(stored.id)
    return stored.id


def _assert_inert(html: str, where: str) -> None:
    assert "<script" not in html.lower(), where
    for tag, attrs in _tags(html):
        assert tag != "script", where
        assert not any(name.startswith("on") for name, _ in attrs), (where, tag)


def test_script_in_subject_and_html_body_is_shown_inert(web) -> None:
    """GIVEN a request whose subject and HTML body carry <script> and an onerror handler WHEN
    the other-mail, queue, case and outbox pages show it (and a draft quoting it) THEN as
    escaped text: no script element, no event-handler attribute anywhere."""
    message_id = _store_hostile_request(web)
    client = web.signed_in()
    other = client.get("/other", params={"all": "1"}).text
    _assert_inert(other, "/other")
    with web.app.sessions() as session:
        message = session.get(Message, message_id)
        assert message is not None
        case = session.get(Case, message.case_id) if message.case_id else None
        reference = case.reference if case is not None else None
    if reference is None:  # the classifier kept it as other mail: staff open the case
        assert "&lt;script&gt;alert(&#34;subject&#34;)&lt;/script&gt;" in other
        opened = web.post_form(
            client, "/other?all=1", f"/messages/{message_id}/open-case", {"rights": "erasure"}
        )
        assert opened.status_code == 303
        reference = opened.headers["location"].rsplit("/", 1)[1]
    page = f"/cases/{reference}"
    web.post_form(client, page, f"/cases/{reference}/drafts/regenerate", {})  # one open draft
    [draft] = web.drafts(reference)
    web.post_form(
        client,
        f"/cases/{reference}",
        f"/drafts/{draft.id}/edit",
        {"subject": HOSTILE_SUBJECT, "body_text": '<script>alert("draft")</script>'},
    )
    web.post_form(client, f"/cases/{reference}", f"/drafts/{draft.id}/approve", {})
    case_page = client.get(f"/cases/{reference}").text
    assert "&lt;script&gt;alert(&#34;subject&#34;)&lt;/script&gt;" in case_page
    assert "&lt;script&gt;alert(&#34;quoted&#34;)&lt;/script&gt;" in case_page
    assert "&lt;script&gt;alert(&#34;draft&#34;)&lt;/script&gt;" in case_page
    for path in ("/", f"/cases/{reference}", "/outbox"):
        _assert_inert(client.get(path).text, path)
    api = client.get(f"/api/cases/{reference}")
    assert api.headers["content-type"] == "application/json"
    assert api.json()["subject"] == HOSTILE_SUBJECT


def test_a_session_cannot_be_replayed_after_logout(web) -> None:
    """GIVEN a staff member's session cookie WHEN they log out THEN the copied cookie opens no
    page and no API route, in any other client either; another user's session lives on."""
    values = _world(web)
    client = web.signed_in()
    other_user = web.signed_in("bela.staff@clmaster.eu")
    copied = client.cookies[COOKIE_NAME]
    token = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert web.post_form(client, "/", "/logout", {}).status_code == 303
    replay = web.client(cookies={COOKIE_NAME: copied})
    for method, template in protected_routes(web):
        if method != "GET":
            continue
        path = _fill(template, values)
        response = replay.get(path, headers={"X-CSRF-Token": token})
        expected = 401 if path.startswith("/api") else 303
        assert response.status_code == expected, (path, response.status_code)
    approve = f"/api/drafts/{values['draft_id']}/approve"
    assert replay.post(approve, headers={"X-CSRF-Token": token}).status_code == 401
    draft = f"/drafts/{values['draft_id']}/approve"
    assert replay.post(draft, data={"csrf_token": token}).status_code == 303
    assert web.drafts(values["reference"])[0].state == "approved"
    assert len(web.outbox()) == 1
    assert other_user.get("/").status_code == 200
