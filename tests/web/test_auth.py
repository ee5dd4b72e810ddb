"""Staff accounts over real HTTP: login, logout, rate limit, CSRF, cookies, headers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from inbox_triage.db.models import User
from inbox_triage.errors import UsageError
from inbox_triage.web.auth import add_user
from inbox_triage.web.cookies import COOKIE_NAME

PASSWORD = "correct horse battery staple"
STAFF = "anna.staff@clmaster.eu"


def test_pages_need_a_login_and_login_leads_back(web) -> None:
    """GIVEN no session WHEN the queue is asked for THEN the login form, then the queue."""
    client = web.client()
    response = client.get("/cases/GDPR-2026-0001")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcases%2FGDPR-2026-0001"
    response = web.login(client)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_and_unknown_user_are_refused_alike(web) -> None:
    """GIVEN a wrong password or an unknown address WHEN logging in THEN 401, same message."""
    client = web.client()
    wrong = web.login(client, password="not the password at all")
    unknown = web.login(client, email="nobody@clmaster.eu")
    assert wrong.status_code == unknown.status_code == 401
    assert "Hibás e-mail-cím vagy jelszó." in wrong.text
    assert "Hibás e-mail-cím vagy jelszó." in unknown.text
    assert client.get("/").status_code == 303


def test_logout_ends_the_session_even_for_a_copied_cookie(web) -> None:
    """GIVEN a signed-in client WHEN it logs out THEN its old cookie no longer works."""
    client = web.signed_in()
    old_cookie = client.cookies[COOKIE_NAME]
    response = web.post_form(client, "/", "/logout", {})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/").status_code == 303
    replay = web.client(cookies={COOKIE_NAME: old_cookie})
    assert replay.get("/").status_code == 303


def test_failed_logins_are_rate_limited(web) -> None:
    """GIVEN five failed attempts in a minute WHEN the right password follows THEN 429."""
    client = web.client()
    for _ in range(5):
        assert web.login(client, password="wrong password 123").status_code == 401
    limited = web.login(client)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Túl sok sikertelen próbálkozás" in limited.text


def test_forms_without_the_csrf_token_are_rejected(web) -> None:
    """GIVEN a signed-in client WHEN a form is posted without or with a wrong token THEN 403."""
    reference = web.make_case()
    client = web.signed_in()
    missing = client.post(f"/cases/{reference}/close", data={"reason": "x"})
    wrong = client.post(f"/cases/{reference}/close", data={"reason": "x", "csrf_token": "abc"})
    assert missing.status_code == wrong.status_code == 403
    assert web.case(reference).status == "new"
    login = web.client().post("/login", data={"email": STAFF, "password": PASSWORD})
    assert login.status_code == 403


def test_session_cookie_flags(web) -> None:
    """GIVEN a login over HTTP and one via a trusted HTTPS proxy THEN the cookie flags fit."""
    response = web.login(web.client())
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie
    proxied = web.client(headers={"X-Forwarded-Proto": "https"})
    response = proxied.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_security_headers_on_pages_api_and_static(web) -> None:
    """GIVEN any response THEN CSP without inline script, no framing, nosniff, referrer."""
    client = web.client()
    for path in ("/login", "/healthz", "/api/cases", "/static/style.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["x-frame-options"] == "DENY"
    assert client.get("/login").headers["cache-control"] == "no-store"


def test_login_never_redirects_off_site(web) -> None:
    """GIVEN a `next` pointing elsewhere WHEN logging in THEN the queue, not the other site."""
    client = web.client()
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": STAFF, "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"},
    )
    assert response.headers["location"] == "/"


def test_language_preference_switches_the_ui(web) -> None:
    """GIVEN a Hungarian user WHEN choosing English THEN the pages speak English."""
    client = web.signed_in()
    assert "Nyitott ügyek" in client.get("/").text
    response = web.post_form(client, "/", "/preferences/language", {"language": "en", "next": "/"})
    assert response.status_code == 303
    assert "Open cases" in client.get("/").text


def test_add_user_hashes_and_validates(web) -> None:
    """GIVEN add_user WHEN called THEN argon2 hash stored; bad input is a UsageError."""
    generated = add_user(web.app, "Cecil@CLMaster.eu", "admin", None)
    assert len(generated) >= 12
    with web.app.sessions() as session:
        user = session.scalar(select(User).where(User.email == "cecil@clmaster.eu"))
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert generated not in user.password_hash
    assert web.login(web.client(), "cecil@clmaster.eu", generated).status_code == 303
    for email, role, password in [
        ("cecil@clmaster.eu", "staff", PASSWORD),
        ("not-an-address", "staff", PASSWORD),
        ("d@clmaster.eu", "boss", PASSWORD),
        ("d@clmaster.eu", "staff", "short"),
    ]:
        with pytest.raises(UsageError):
            add_user(web.app, email, role, password)
