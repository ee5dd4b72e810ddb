"""Helpers shared by the command handlers: the context, JSON output, today's date."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from inbox_triage.config import Settings
from inbox_triage.context import AppContext
from inbox_triage.errors import UsageError


def emit(data: Any) -> None:
    """Print one JSON document (UTF-8, stable key order)."""
    print(json.dumps(data, ensure_ascii=False, indent=2))


def open_context(settings: Settings, migrate: bool = False) -> AppContext:
    """The application context; `migrate` brings the schema up to date first."""
    from inbox_triage.db.migrate import current_revision, upgrade

    app = AppContext.create(settings)
    if migrate:
        upgrade(app.engine)
    elif current_revision(app.engine) is None:
        raise UsageError("the database is empty; run `inbox-triage db upgrade` first")
    return app


def local_today(app: AppContext) -> date:
    """Today in the deadline time zone."""
    return app.clock().astimezone(ZoneInfo(app.settings.deadlines.timezone)).date()
