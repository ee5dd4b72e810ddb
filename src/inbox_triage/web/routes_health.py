"""/healthz for monitoring: is the database reachable, and is the processor keeping up?

Processor lag is the age of the oldest message still `received`; above
`web.health_max_lag_seconds` the answer is 503, as it is when the database
cannot be queried. No authentication and no personal data: counts and ages only.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import JSONResponse

from inbox_triage.db.models import Message
from inbox_triage.web.deps import app_context

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Database reachable and processor lag")
def healthz(request: Request) -> JSONResponse:
    """200 when healthy, 503 otherwise; the body says which check failed."""
    ctx = app_context(request)
    limit = ctx.settings.web.health_max_lag_seconds
    body: dict[str, Any] = {
        "database": "ok",
        "processor_lag_seconds": None,
        "messages_waiting": 0,
        "max_lag_seconds": limit,
    }
    try:
        with ctx.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            oldest, waiting = connection.execute(
                select(func.min(Message.received_at), func.count()).where(
                    Message.state == "received"
                )
            ).one()
    except SQLAlchemyError as error:
        log.warning("health check: database unavailable (%s)", type(error).__name__)
        body |= {"status": "unavailable", "database": "unreachable"}
        return JSONResponse(body, status_code=503)
    if oldest is not None:
        body["processor_lag_seconds"] = max(0.0, (ctx.clock() - oldest).total_seconds())
    body["messages_waiting"] = waiting
    healthy = body["processor_lag_seconds"] is None or body["processor_lag_seconds"] <= limit
    body["status"] = "ok" if healthy else "lagging"
    return JSONResponse(body, status_code=200 if healthy else 503)
