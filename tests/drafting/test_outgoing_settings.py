"""[outgoing]: the SMTP relay of the outbox, validated at start-up."""

from __future__ import annotations

import pytest

from inbox_triage.config import load_settings
from inbox_triage.errors import ConfigError


def test_defaults_and_environment() -> None:
    settings = load_settings(environ={})
    assert settings.outgoing.from_address == "Cloudmaster Kft. <info@clmaster.eu>"
    assert (settings.outgoing.host, settings.outgoing.security) == ("", "starttls")
    changed = load_settings(environ={"INBOX_TRIAGE_OUTGOING_HOST": "smtp.clmaster.eu",
                                     "INBOX_TRIAGE_OUTGOING_PORT": "465",
                                     "INBOX_TRIAGE_OUTGOING_SECURITY": "ssl"})  # fmt: skip
    assert (changed.outgoing.host, changed.outgoing.port) == ("smtp.clmaster.eu", 465)


@pytest.mark.parametrize(("environ", "message"), [
    ({"INBOX_TRIAGE_OUTGOING_SECURITY": "tls"}, "outgoing.security: expected ssl, starttls"),
    ({"INBOX_TRIAGE_OUTGOING_SECURITY": "none", "INBOX_TRIAGE_OUTGOING_HOST": "smtp.example.com"},
     "only allowed for a loopback host"),
    ({"INBOX_TRIAGE_OUTGOING_PASSWORD": "a", "INBOX_TRIAGE_OUTGOING_PASSWORD_FILE": "/x"},
     "either password or password_file"),
    ({"INBOX_TRIAGE_OUTGOING_MAX_ATTEMPTS": "0"}, "outgoing.max_attempts"),
    ({"INBOX_TRIAGE_OUTGOING_FROM_ADDRESS": "a@b.hu, c@d.hu"}, "outgoing.from_address"),
    ({"INBOX_TRIAGE_OUTGOING_PORT": "70000"}, "outgoing.port"),
])  # fmt: skip
def test_bad_relay_settings_are_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=environ)


def test_plain_smtp_is_fine_on_loopback() -> None:
    settings = load_settings(environ={"INBOX_TRIAGE_OUTGOING_SECURITY": "none",
                                      "INBOX_TRIAGE_OUTGOING_HOST": "127.0.0.1"})  # fmt: skip
    assert settings.outgoing.security == "none"
