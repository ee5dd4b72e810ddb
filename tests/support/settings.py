"""Settings and application contexts built for one test."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from inbox_triage.config import Settings, load_settings
from inbox_triage.context import AppContext
from inbox_triage.db.migrate import upgrade


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_settings(data_dir: Path, database_url: str, **sections: dict[str, Any]) -> Settings:
    """Settings for a test: its own data dir and database, sections overridden."""
    settings = load_settings(environ={})
    replaced: dict[str, Any] = {"data_dir": data_dir}
    for name, values in sections.items():
        replaced[name] = dataclasses.replace(getattr(settings, name), **values)
    settings = dataclasses.replace(settings, **replaced)
    return dataclasses.replace(
        settings, database=dataclasses.replace(settings.database, url=database_url)
    )


def make_app(settings: Settings, clock: Any = None) -> AppContext:
    """A migrated application context."""
    app = AppContext.create(settings, clock=clock) if clock else AppContext.create(settings)
    upgrade(app.engine)
    return app
