"""The context object passed to every part: settings, database, clock, model.

No globals: tests build their own context with their own settings and a
fixed clock; the classifier is loaded once per context, on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from inbox_triage.config import Settings
from inbox_triage.db.models import utcnow
from inbox_triage.db.session import make_engine, make_session_factory

Clock = Callable[[], datetime]


@dataclass
class AppContext:
    """Everything a command or a server needs, built once at start-up."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = utcnow
    _cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings, clock: Clock = utcnow) -> AppContext:
        """Build the engine and session factory for these settings."""
        engine = make_engine(settings.database_url, echo=settings.database.echo)
        return cls(
            settings=settings, engine=engine, sessions=make_session_factory(engine), clock=clock
        )

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """Build an expensive object (model, calendar, policy) once per context."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()
