"""The `deadline` command through the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m inbox_triage` as a user would, with a clean environment."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_TRIAGE_")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "inbox_triage", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )


def test_issue_example_prints_the_contract_json() -> None:
    """GIVEN the documented example WHEN run THEN exactly the documented fields and dates."""
    result = run_cli(
        "deadline", "--received", "2027-01-31T10:00:00+01:00", "--right", "access", "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {
        k: data[k]
        for k in ("received_local", "gdpr_due", "policy_due", "due", "basis", "extended_due")
    } == {
        "received_local": "2027-01-31",
        "gdpr_due": "2027-03-01",
        "policy_due": None,
        "due": "2027-03-01",
        "basis": "gdpr",
        "extended_due": "2027-04-28",
    }


def test_policy_binds_for_erasure_and_several_rights_take_the_earliest() -> None:
    """GIVEN erasure (30 days) and objection (15 days) WHEN computed THEN objection's date binds."""
    result = run_cli(
        "deadline",
        "--received",
        "2026-03-02T09:00:00+01:00",
        "--right",
        "erasure",
        "--right",
        "objection",
        "--json",
    )
    data = json.loads(result.stdout)
    # 2 March + 15 days = 17 March 2026, a Tuesday: a working day.
    assert data["policy_due"] == "2026-03-17" and data["basis"] == "policy"
    assert data["due"] == "2026-03-17"


def test_extended_case_warns_about_the_policy_date() -> None:
    """GIVEN an extended erasure case WHEN computed THEN due is extended, with a warning."""
    result = run_cli(
        "deadline",
        "--received",
        "2026-03-02T09:00:00+01:00",
        "--right",
        "erasure",
        "--extended",
        "--json",
    )
    data = json.loads(result.stdout)
    assert data["extended"] is True and data["due"] == data["extended_due"]
    assert data["warnings"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received", "yesterday", "--right", "access"], "not an ISO date-time"),
        (["--received", "2027-01-31T10:00:00", "--right", "access"], "time zone offset"),
        (["--received", "2027-01-31T10:00:00+01:00", "--right", "forget"], "forget"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], message: str) -> None:
    """GIVEN bad input WHEN run THEN exit code 2 and one line on stderr, no traceback."""
    result = run_cli("deadline", *args, "--json")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bad_configuration_is_reported_by_key() -> None:
    """GIVEN a bad environment value WHEN any command runs THEN the variable is named."""
    result = run_cli(
        "deadline",
        "--received",
        "2027-01-31T10:00:00+01:00",
        "--right",
        "access",
        env={"INBOX_TRIAGE_SMTP_PORT": "abc"},
    )
    assert result.returncode == 2
    assert "INBOX_TRIAGE_SMTP_PORT" in result.stderr and "Traceback" not in result.stderr
