"""/healthz: database reachable and processor lag, for monitoring."""

from __future__ import annotations

import dataclasses
import threading

from support.mail import build_message

from inbox_triage.context import AppContext
from inbox_triage.intake.store import store_raw
from inbox_triage.web.app import run_web


def test_healthy_without_waiting_messages(web) -> None:
    """GIVEN nothing waiting WHEN /healthz is asked THEN 200, database ok, no lag."""
    response = web.client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["processor_lag_seconds"] is None and body["messages_waiting"] == 0


def test_processor_lag_beyond_the_limit_is_503(web) -> None:
    """GIVEN a message left `received` for 20 minutes WHEN asked THEN 503 with its age."""
    store_raw(web.app, build_message(), "smtp")
    web.clock.advance(minutes=5)
    body = web.client().get("/healthz").json()
    assert body["status"] == "ok" and body["processor_lag_seconds"] == 300
    web.clock.advance(minutes=15)
    response = web.client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "lagging" and response.json()["messages_waiting"] == 1


def test_unreachable_database_is_503(web, free_port) -> None:
    """GIVEN a database nobody listens on WHEN asked THEN 503 naming the database."""
    settings = dataclasses.replace(
        web.app.settings,
        database=dataclasses.replace(
            web.app.settings.database, url="postgresql://nobody@127.0.0.1:9/none"
        ),
        web=dataclasses.replace(web.app.settings.web, port=free_port()),
    )
    context = AppContext.create(settings)
    stop = threading.Event()
    thread = run_web(context, stop)
    try:
        client = web.client()
        response = client.get(f"http://127.0.0.1:{settings.web.port}/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
    finally:
        stop.set()
        thread.join(timeout=15)
        context.close()
