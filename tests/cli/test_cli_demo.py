"""`demo` through the real program: demo data and the one-time demo login."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import create_engine, select
from support.process import cli_environment, run_cli

from inbox_triage.db.models import User


def test_demo_prints_the_login_once_and_it_can_sign_in(tmp_path: Path, database_url: str) -> None:
    """GIVEN a fresh database WHEN `demo` runs twice THEN the first run creates the demo
    staff login and prints its password once (it verifies), the second prints none."""
    environ = cli_environment(tmp_path / "data", database_url)
    first = run_cli(environ, "demo")
    assert first.returncode == 0, first.stderr
    login = [line for line in first.stdout.splitlines() if line.startswith("demo login:")]
    assert len(login) == 1 and "demo@clmaster.eu / " in login[0]
    second = run_cli(environ, "demo")
    assert second.returncode == 0, second.stderr
    assert "demo login" not in second.stdout
    password = login[0].split(" / ", 1)[1].removesuffix(" (shown once)")
    engine = create_engine(environ["INBOX_TRIAGE_DATABASE_URL"] or _sqlite(tmp_path))
    with engine.connect() as connection:
        rows = connection.execute(select(User.email, User.password_hash)).all()
    engine.dispose()
    assert [email for email, _ in rows] == ["demo@clmaster.eu"]
    assert PasswordHasher().verify(rows[0][1], password)


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'inbox-triage.db'}"
