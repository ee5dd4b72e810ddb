"""Settings: TOML file plus environment, validated with the key's name in every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_triage.config import load_settings
from inbox_triage.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "inbox-triage.example.toml"


def test_example_file_loads_with_every_key() -> None:
    """GIVEN the shipped example WHEN loaded THEN it is valid and documents the defaults."""
    settings = load_settings(EXAMPLE, environ={})
    assert settings.smtp.port == 8025
    assert settings.web.port == 8000
    assert settings.smtp.recipients == ["info@clmaster.eu"]


def test_environment_overrides_file(tmp_path: Path) -> None:
    """GIVEN a file and INBOX_TRIAGE_* variables WHEN loaded THEN the variables win."""
    config = tmp_path / "c.toml"
    config.write_text('[smtp]\nport = 2525\n[database]\nurl = "sqlite:///x.db"\n')
    settings = load_settings(
        environ={
            "INBOX_TRIAGE_CONFIG": str(config),
            "INBOX_TRIAGE_SMTP_PORT": "2626",
            "INBOX_TRIAGE_SMTP_HOST": "0.0.0.0",
            "INBOX_TRIAGE_DATABASE_URL": "postgresql://db/x",
            "INBOX_TRIAGE_DATA_DIR": "/srv/triage",
            "INBOX_TRIAGE_WEB_HOST": "10.0.0.5",
            "INBOX_TRIAGE_WEB_PORT": "8080",
            "INBOX_TRIAGE_TRUSTED_AUTHSERV_IDS": "mx1.clmaster.eu, mx2.clmaster.eu",
        }
    )
    assert settings.smtp.port == 2626 and settings.smtp.host == "0.0.0.0"
    assert settings.database_url == "postgresql://db/x"
    assert str(settings.data_dir) == "/srv/triage"
    assert (settings.web.host, settings.web.port) == ("10.0.0.5", 8080)
    assert settings.trusted_authserv_ids == ["mx1.clmaster.eu", "mx2.clmaster.eu"]


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    """GIVEN no database URL WHEN loaded THEN a SQLite file inside data_dir is used."""
    settings = load_settings(environ={"INBOX_TRIAGE_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'inbox-triage.db'}"


@pytest.mark.parametrize(
    ("content", "environ", "message"),
    [
        ("[smtp]\nprot = 1\n", {}, "unknown configuration key 'smtp.prot'"),
        ("colour = 1\n", {}, "unknown configuration key 'colour'"),
        ('[smtp]\nport = "x"\n', {}, "smtp.port: expected an integer"),
        ("[smtp]\nport = 70000\n", {}, "smtp.port: port must be between"),
        ("", {"INBOX_TRIAGE_WEB_PORT": "eighty"}, "INBOX_TRIAGE_WEB_PORT: expected an integer"),
        ("", {"INBOX_TRIAGE_SMTP_ENABLED": "maybe"}, "INBOX_TRIAGE_SMTP_ENABLED: expected true"),
        ('[imap]\nsecurity = "tls"\n', {}, "imap.security: expected ssl, starttls or none"),
        ("smtp = 3\n", {}, "'smtp' must be a table"),
        ("[smtp\n", {}, "is not valid TOML"),
    ],
)
def test_bad_configuration_names_the_key(
    tmp_path: Path, content: str, environ: dict[str, str], message: str
) -> None:
    """GIVEN a bad key or value WHEN loaded THEN one ConfigError names it."""
    config = tmp_path / "c.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_settings(config, environ=environ)


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    """GIVEN INBOX_TRIAGE_CONFIG naming no file WHEN loaded THEN a clear error."""
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(environ={"INBOX_TRIAGE_CONFIG": str(tmp_path / "none.toml")})
