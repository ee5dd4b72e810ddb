"""The [digest] settings: defaults, TOML and environment, and validation by key name."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_triage.config import load_settings
from inbox_triage.errors import ConfigError


def test_defaults() -> None:
    """GIVEN no configuration WHEN loaded THEN 08:00, 5 working days, thresholds 5 and 2."""
    digest = load_settings(environ={}).digest
    assert digest.send_time == "08:00" and digest.due_within_working_days == 5
    assert digest.skip_empty is False and digest.recipients == []
    assert digest.reminder_thresholds == [5, 2]


def test_toml_and_environment(tmp_path: Path) -> None:
    """GIVEN a [digest] table and INBOX_TRIAGE_DIGEST_* WHEN loaded THEN the variables win."""
    config = tmp_path / "c.toml"
    config.write_text(
        '[digest]\nsend_time = "07:45"\nreminder_thresholds = [10, 3, 1]\nskip_empty = true\n'
        'recipients = ["DPO <dpo@clmaster.eu>"]\n'
    )
    digest = load_settings(config, environ={}).digest
    assert (digest.send_time, digest.reminder_thresholds) == ("07:45", [10, 3, 1])
    assert digest.skip_empty and digest.recipients == ["DPO <dpo@clmaster.eu>"]
    digest = load_settings(
        config,
        environ={
            "INBOX_TRIAGE_DIGEST_REMINDER_THRESHOLDS": "4, 1",
            "INBOX_TRIAGE_DIGEST_SEND_TIME": "06:00",
        },
    ).digest
    assert (digest.send_time, digest.reminder_thresholds) == ("06:00", [4, 1])


@pytest.mark.parametrize(
    ("content", "environ", "message"),
    [
        ('[digest]\nsend_time = "8:00"\n', {}, "digest.send_time: expected HH:MM"),
        ('[digest]\nsend_time = "24:00"\n', {}, "digest.send_time: expected HH:MM"),
        ("[digest]\nreminder_thresholds = [5, 5]\n", {}, "digest.reminder_thresholds"),
        ("[digest]\nreminder_thresholds = [0]\n", {}, "digest.reminder_thresholds"),
        ('[digest]\nreminder_thresholds = ["5"]\n', {}, "expected a list of integers"),
        ("[digest]\ndue_within_working_days = -1\n", {}, "digest.due_within_working_days"),
        ('[digest]\nrecipients = ["a@x.hu, b@x.hu"]\n', {}, "digest.recipients"),
        ("[digest]\nsend_hour = 8\n", {}, "unknown configuration key 'digest.send_hour'"),
        ("", {"INBOX_TRIAGE_DIGEST_REMINDER_THRESHOLDS": "5,two"},
         "INBOX_TRIAGE_DIGEST_REMINDER_THRESHOLDS: expected an integer"),
    ],
)  # fmt: skip
def test_bad_values_are_named(tmp_path: Path, content: str, environ: dict[str, str],
                              message: str) -> None:  # fmt: skip
    """GIVEN a bad [digest] value WHEN loaded THEN a ConfigError naming the key."""
    config = tmp_path / "c.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_settings(config, environ=environ)
