"""run_web: serves in a thread for `serve`, stops on the event, refuses a busy port."""

from __future__ import annotations

import dataclasses
import threading

import httpx
import pytest

from inbox_triage.context import AppContext
from inbox_triage.errors import StorageError
from inbox_triage.web.app import run_web


def _on_port(app: AppContext, port: int) -> AppContext:
    settings = dataclasses.replace(
        app.settings, web=dataclasses.replace(app.settings.web, host="127.0.0.1", port=port)
    )
    return AppContext(settings=settings, engine=app.engine, sessions=app.sessions, clock=app.clock)


def test_run_web_stops_when_the_event_is_set(app: AppContext, free_port) -> None:
    """GIVEN a running web UI WHEN the stop event is set THEN the thread ends, port closed."""
    port = free_port()
    stop = threading.Event()
    thread = run_web(_on_port(app, port), stop)
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    stop.set()
    thread.join(timeout=15)
    assert not thread.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz")


def test_run_web_refuses_a_busy_port(web) -> None:
    """GIVEN the port already served WHEN a second UI starts on it THEN StorageError."""
    port = int(web.base_url.rsplit(":", 1)[1])
    stop = threading.Event()
    try:
        with pytest.raises(StorageError, match="cannot listen"):
            run_web(_on_port(web.app, port), stop)
    finally:
        stop.set()
