"""The 0005 migration creates exactly the users and api_tokens tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from inbox_triage.context import AppContext
from inbox_triage.db.models import Base


def test_migration_matches_the_web_models(app: AppContext) -> None:
    """GIVEN a migrated database WHEN compared with the models THEN no web table differs."""
    with app.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if "users" in repr(d) or "api_tokens" in repr(d)]
    assert ours == []
