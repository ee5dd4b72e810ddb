"""`ingest`, `messages list`, `cases list` and `cases show` through the real program."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest
from support.mail import build_message
from support.process import cli_environment, run_cli

ERASURE = "Tisztelt Cloudmaster Kft.!\n\nKérem, hogy töröljék az összes személyes adatomat.\n"
ACCESS = "Hello,\n\nplease send me a copy of all the personal data you hold about me.\n"
SUPPORT = "Sziasztok, a webmail nem enged belépni, elfelejtettem a jelszavamat. Segítenétek?\n"


@pytest.fixture
def environ(tmp_path: Path, database_url: str) -> dict[str, str]:
    return cli_environment(tmp_path / "data", database_url)


def _write(directory: Path, name: str, raw: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(raw)
    return path


def test_ingest_files_and_directories_then_list(tmp_path: Path, environ: dict[str, str]) -> None:
    """GIVEN .eml files in a directory WHEN ingested THEN a JSON summary, every message listed
    once with its state, and the privacy requests are cases."""
    mail = tmp_path / "mail"
    _write(mail, "a.eml", build_message(body=ERASURE, message_id="<a@example.hu>"))
    _write(
        mail,
        "b.eml",
        build_message(subject="Data request", body=ACCESS, sender="Ann Smith <ann@example.co.uk>"),
    )
    single = _write(
        tmp_path,
        "c.eml",
        build_message(subject="jelszó", body=SUPPORT, sender="Béla <bela@example.hu>"),
    )
    result = run_cli(environ, "ingest", str(mail), str(single), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["seen"], summary["stored"], summary["duplicates"]) == (3, 3, 0)
    assert summary["errors"] == [] and summary["processed"] == 3

    again = json.loads(run_cli(environ, "ingest", str(mail), "--json").stdout)
    assert (again["stored"], again["duplicates"]) == (0, 2)

    messages = json.loads(run_cli(environ, "messages", "list", "--json").stdout)
    assert len(messages) == 3
    assert set(messages[0]) >= {
        "id",
        "message_id",
        "source",
        "received_at",
        "from",
        "subject",
        "state",
        "error",
        "case",
    }
    assert {m["state"] for m in messages} == {"processed"}
    assert {m["source"] for m in messages} == {"cli"}
    by_subject = {m["subject"]: m for m in messages}
    assert by_subject["jelszó"]["case"] is None
    assert by_subject["Data request"]["case"] is not None

    cases = json.loads(run_cli(environ, "cases", "list", "--json").stdout)
    assert len(cases) == 2
    assert set(cases[0]) >= {
        "reference",
        "status",
        "opened_at",
        "rights",
        "language",
        "customer_id",
        "due",
        "message_count",
        "days_left",
        "basis",
    }
    languages = sorted(c["language"] for c in cases)
    assert languages == ["en", "hu"]

    shown = json.loads(run_cli(environ, "cases", "show", cases[0]["reference"], "--json").stdout)
    assert shown["reference"] == cases[0]["reference"]
    assert shown["messages"][0]["new_text"]
    assert [e["kind"] for e in shown["events"]][:2] == ["opened", "message_received"]


def test_ingest_mbox_and_maildir(tmp_path: Path, environ: dict[str, str]) -> None:
    """GIVEN an mbox with two messages and a Maildir with one WHEN ingested THEN three stored,
    the Maildir one with its delivery time as receipt."""
    box = mailbox.mbox(tmp_path / "backlog.mbox")
    box.add(build_message(body=ERASURE, message_id="<m1@example.hu>"))
    box.add(build_message(subject="jelszó", body=SUPPORT, message_id="<m2@example.hu>"))
    box.flush()
    box.close()
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    key = maildir.add(build_message(body=ACCESS, subject="copy", message_id="<m3@example.hu>"))
    path = Path(tmp_path / "Maildir" / maildir._lookup(key))
    renamed = path.with_name("1767225600." + path.name.split(".", 1)[1])  # 2026-01-01 00:00 UTC
    path.rename(renamed)
    result = run_cli(
        environ,
        "ingest",
        "--mbox",
        str(tmp_path / "backlog.mbox"),
        "--maildir",
        str(tmp_path / "Maildir"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stored"] == 3
    cases = json.loads(run_cli(environ, "cases", "list", "--json").stdout)
    shown = [json.loads(run_cli(environ, "cases", "show", c["reference"]).stdout) for c in cases]
    from_maildir = [s for s in shown if s["subject"] == "copy"]
    assert from_maildir and from_maildir[0]["receipt_basis"] == "maildir_delivery"
    assert from_maildir[0]["receipt_at"].startswith("2026-01-01T00:00:00")


def test_ingest_reports_bad_paths(tmp_path: Path, environ: dict[str, str]) -> None:
    """GIVEN a missing file WHEN ingested THEN one clear error line and exit code 2."""
    result = run_cli(environ, "ingest", str(tmp_path / "missing.eml"))
    assert result.returncode == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr


def test_cases_show_unknown_reference(environ: dict[str, str]) -> None:
    """GIVEN no such case WHEN shown THEN a one-line error naming the reference."""
    run_cli(environ, "db", "upgrade")
    result = run_cli(environ, "cases", "show", "GDPR-2026-9999", "--json")
    assert result.returncode == 1 and "GDPR-2026-9999" in result.stderr


def test_read_commands_on_an_empty_database_say_what_to_do(environ: dict[str, str]) -> None:
    """GIVEN a database never migrated WHEN listing THEN told to run db upgrade."""
    result = run_cli(environ, "cases", "list", "--json")
    assert result.returncode == 2 and "db upgrade" in result.stderr
