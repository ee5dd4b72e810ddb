"""The 0006 migration creates exactly the digest_runs and reminders_sent tables of the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from inbox_triage.context import AppContext
from inbox_triage.db.migrate import alembic_config, current_revision, upgrade
from inbox_triage.db.models import Base
from inbox_triage.db.session import make_engine


def test_migration_matches_the_scheduler_models(app: AppContext) -> None:
    """GIVEN a migrated database WHEN compared with the models THEN no scheduler table differs."""
    with app.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if "digest_runs" in repr(d) or "reminders_sent" in repr(d)]
    assert ours == []


def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    """GIVEN a database at 0006 WHEN downgraded to 0005 and upgraded THEN both tables are back."""
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        upgrade(engine, "0006")
        command.downgrade(alembic_config(engine), "0005")
        assert current_revision(engine) == "0005"
        assert not {"digest_runs", "reminders_sent"} & set(inspect(engine).get_table_names())
        upgrade(engine, "0006")
        assert current_revision(engine) == "0006"
        assert {"digest_runs", "reminders_sent"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
