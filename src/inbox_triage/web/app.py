"""The staff web application: create_app builds it, run_web serves it beside intake.

Swagger UI and ReDoc would load scripts from a CDN and need inline script,
so they are off; the OpenAPI document itself is at /api/openapi.json, behind
the same authentication as the API.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from inbox_triage import __version__
from inbox_triage.context import AppContext
from inbox_triage.errors import ConfigError, StorageError
from inbox_triage.web import (
    routes_api,
    routes_api_drafts,
    routes_auth,
    routes_case,
    routes_drafts,
    routes_health,
    routes_metrics,
    routes_queue,
    routes_verify,
)
from inbox_triage.web.cookies import SessionCodec, load_secret
from inbox_triage.web.csrf import finish
from inbox_triage.web.deps import LoginRequired, WebState, api_user
from inbox_triage.web.i18n import Catalogues
from inbox_triage.web.ratelimit import LoginLimiter
from inbox_triage.web.render import render, template_environment
from inbox_triage.web.security import SecurityHeadersMiddleware

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
_UNAVAILABLE = (
    "<!doctype html><title>503</title><p>Az adatbázis nem érhető el. / "
    "The database is unavailable.</p>"
)
_ERROR_KEYS = {403: "error.forbidden", 404: "error.not_found", 405: "error.not_allowed"}


def create_app(app_context: AppContext) -> FastAPI:
    """The FastAPI application for this context (one per process)."""
    settings = app_context.settings.web
    if settings.login_attempts_per_minute < 1:
        raise ConfigError("web.login_attempts_per_minute: must be at least 1")
    always_https = settings.base_url.lower().startswith("https://")
    app = FastAPI(
        title="inbox-triage",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        description=routes_api.__doc__,
    )
    app.state.web = WebState(
        ctx=app_context,
        codec=SessionCodec(
            load_secret(app_context.settings), settings.session_max_age_seconds, always_https
        ),
        limiter=LoginLimiter(settings.login_attempts_per_minute),
        catalogues=Catalogues(app_context.settings.deadlines.timezone, settings.default_language),
        templates=template_environment(),
    )
    app.add_middleware(SecurityHeadersMiddleware, always_https=always_https)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        routes_health,
        routes_metrics,
        routes_auth,
        routes_queue,
        routes_case,
        routes_drafts,
        routes_api,
        routes_api_drafts,
        routes_verify,
    ):
        app.include_router(module.router)
    _add_openapi_route(app)
    _add_error_handlers(app)
    return app


def _add_openapi_route(app: FastAPI) -> None:
    @app.get("/api/openapi.json", include_in_schema=False, dependencies=[Depends(api_user)])
    def openapi() -> dict[str, Any]:
        return app.openapi()


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    def to_login(request: Request, error: LoginRequired) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        next_part = "" if target == "/" else "?" + urlencode({"next": target})
        return finish(request, RedirectResponse("/login" + next_part, status_code=303))

    @app.exception_handler(HTTPException)
    def http_error(request: Request, error: HTTPException) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        key = _ERROR_KEYS.get(error.status_code, "error.generic")
        if error.status_code == 403 and error.detail == "csrf":
            key = "error.csrf"
        return render(request, "error.html", status=error.status_code, message=key)

    @app.exception_handler(StorageError)
    def storage_error(request: Request, error: StorageError) -> Response:
        log.error("database unavailable while serving %s", request.url.path)
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": "database unavailable"}, status_code=503)
        return HTMLResponse(_UNAVAILABLE, status_code=503)


def run_web(
    app_context: AppContext, stop: threading.Event, startup_timeout: float = 15.0
) -> threading.Thread:
    """Serve the UI in a thread until `stop` is set; returns once it is listening.

    Raises StorageError when the port cannot be opened (in use, no permission).
    """
    settings = app_context.settings.web
    # uvicorn's own access log would record full paths (verification-link tokens);
    # the product's request log (security.py) records them redacted instead.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    config = uvicorn.Config(
        create_app(app_context),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)

    def serve() -> None:
        try:
            server.run()
        except BaseException:  # SystemExit on a bind error must not end the process
            log.exception("web UI stopped with an error")

    def watch() -> None:
        stop.wait()
        server.should_exit = True

    thread = threading.Thread(target=serve, name="web", daemon=True)
    thread.start()
    threading.Thread(target=watch, name="web-stop", daemon=True).start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise StorageError(f"web UI cannot listen on {settings.host}:{settings.port}")
        time.sleep(0.02)
    log.info("web UI listening on %s:%s", settings.host, settings.port)
    return thread
