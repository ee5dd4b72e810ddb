"""Fault: the file system of the data directory fills up.

The data directory is a small tmpfs of its own holding the default SQLite
database and the web session key; a filler file takes every free block and is
deleted again to free the space. `serve` runs as a real subprocess and smtplib
delivers like a sending MTA. Mounting needs root: without it the tests are
skipped, and under CI=true they fail instead.
"""

from __future__ import annotations

import errno
import json
import os
import re
import smtplib
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.ci import missing
from support.mail import build_message
from support.postgres import free_port
from support.process import cli_environment, run_cli, start_serve, stop_process, wait_for_port

TMPFS_SIZE = "32m"
MAX_ATTEMPTS = 2
NEARLY_FULL = 48 * 1024  # bytes left: a failure record fits, a 100 KB message or processing not
QUOTED_LINE = "> Korábbi levelünk szövege, idézve a válaszban, hogy a levél nagy legyen.\n"
ERROR_LINE = "inbox-triage: error: "


@dataclass(frozen=True)
class Reply:
    """The intake's answer to the end of DATA."""

    code: int
    text: bytes

    @property
    def disk_full(self) -> bool:
        return self.code == 451 and self.text.startswith(b"4.3.1 ")


@pytest.fixture
def small_data_dir(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of its own as the data directory, unmounted again whatever happens."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs", str(data_dir)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        problem = (result.stderr.strip() or f"exit status {result.returncode}").splitlines()[0]
    except FileNotFoundError:
        result, problem = None, "the mount command is not installed"
    if result is None or result.returncode != 0:
        message = f"cannot mount a tmpfs as the data directory (needs root): {problem}"
        missing(message)
    try:
        yield data_dir
    finally:
        _unmount(data_dir)


def _unmount(data_dir: Path) -> None:
    """Unmount; lazily if something (a serve that would not die) still holds it."""
    if subprocess.run(["umount", str(data_dir)], capture_output=True, timeout=30).returncode:
        subprocess.run(["umount", "--lazy", str(data_dir)], check=True, timeout=30)


def fill(data_dir: Path, leave: int = 0) -> Path:
    """Write a filler file until the file system refuses more, then give `leave` bytes
    back; delete the filler to free the space."""
    filler = data_dir / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for chunk in (b"\0" * 65536, b"\0" * 512):
            _write_until_full(fd, chunk)
        os.ftruncate(fd, os.fstat(fd).st_size - leave)
    finally:
        os.close(fd)
    stats = os.statvfs(data_dir)
    assert abs(stats.f_bavail * stats.f_frsize - leave) < stats.f_frsize
    return filler


def _write_until_full(fd: int, chunk: bytes) -> None:
    try:
        while True:
            os.write(fd, chunk)
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise


def message(name: str, quoted_lines: int = 0) -> tuple[str, bytes]:
    """A privacy request (quoted history makes it big), with CRLF line ends as on the wire."""
    message_id = f"<{name}@example.hu>"
    body = (
        "Tisztelt Cloudmaster Kft.!\n\nKérem, töröljék az összes személyes adatomat.\n\n"
        + QUOTED_LINE * quoted_lines
    )
    raw = build_message(
        subject=f"Adataim törlése ({name})",
        sender=f"Ügyfél <{name}@example.hu>",
        message_id=message_id,
        body=body,
    )
    return message_id, raw.replace(b"\n", b"\r\n")


def send(port: int, raw: bytes) -> Reply:
    """One delivery attempt, as a sending MTA makes it."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail("sender@example.hu")
        client.rcpt("info@clmaster.eu")
        try:
            code, text = client.data(raw)
        except smtplib.SMTPDataError as error:
            code, text = error.smtp_code, error.smtp_error
    return Reply(code, text)


def stored_rows(environ: dict[str, str]) -> list[dict[str, object]]:
    """Every stored message, as `messages list --json` shows it."""
    result = run_cli(environ, "messages", "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def disk_full_failures(log: Path) -> Counter[str]:
    """How often the processor failed each message (by row id) because the disk was full."""
    text = log.read_text(errors="replace")
    return Counter(re.findall(r"message (\d+) failed at stage \w+: StorageFullError", text))


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll the condition until it holds or the timeout passes; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.slow
def test_full_data_directory_defers_mail_and_loses_nothing(
    small_data_dir: Path, tmp_path: Path
) -> None:
    """GIVEN `serve` with its SQLite database in a small data directory, three requests just
    acknowledged WHEN the file system fills up (but for 48 KiB) while 12 messages of 100 KB
    and a CLI import arrive, and is freed later THEN the intake answers 451 4.3.1 to what it
    could not store (250 only to what it stored), serve stays up and logs one line per
    refusal and no traceback, `ingest` fails with one error line, the processor retries
    beyond max_attempts (a full disk is not the message's fault); and after space is freed
    the refused mail is accepted, every message is stored exactly once and processed,
    `PRAGMA integrity_check` says ok and `audit verify` passes."""
    port, web_port = free_port(), free_port()
    environ = cli_environment(
        small_data_dir,
        "",  # the default database: a SQLite file in the data directory
        INBOX_TRIAGE_SMTP_PORT=str(port),
        INBOX_TRIAGE_WEB_PORT=str(web_port),
        INBOX_TRIAGE_PROCESSOR_RETRY_DELAY_SECONDS="1",
        INBOX_TRIAGE_PROCESSOR_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
    )
    log = tmp_path / "serve.log"
    big_file = tmp_path / "import.eml"
    import_id, raw_import = message("import", quoted_lines=8000)
    big_file.write_bytes(raw_import)
    before = [message(f"before-{number}") for number in range(3)]
    during = [message(f"during-{number}", quoted_lines=1000) for number in range(12)]
    after = [message(f"after-{number}") for number in range(2)]
    serve = start_serve(environ, log)
    try:
        wait_for_port(port, serve)
        wait_for_port(web_port, serve)  # the web key is written: serve is fully up
        replies_before = [send(port, raw) for _, raw in before]
        filler = fill(small_data_dir, leave=NEARLY_FULL)  # the processor is still loading

        replies = {message_id: send(port, raw) for message_id, raw in during}
        refused = [message_id for message_id, reply in replies.items() if reply.code != 250]
        imported = run_cli(environ, "ingest", str(big_file))
        rows_while_full = stored_rows(environ)
        retried = wait_until(
            lambda: max(disk_full_failures(log).values(), default=0) > MAX_ATTEMPTS, timeout=30
        )
        rows_retrying = stored_rows(environ)
        alive_while_full = serve.poll() is None

        filler.unlink()
        retries = [send(port, raw) for message_id, raw in during if message_id in refused]
        replies_after = [send(port, raw) for _, raw in after]
        reimported = run_cli(environ, "ingest", str(big_file))
        settled = wait_until(
            lambda: {row["state"] for row in stored_rows(environ)} == {"processed"}, timeout=60
        )
    finally:
        stop_process(serve)
    text = log.read_text(errors="replace")

    assert [reply.code for reply in replies_before] == [250, 250, 250]
    assert refused, "the full disk never refused a message"
    assert all(reply.code == 250 or reply.disk_full for reply in replies.values()), replies
    acknowledged = {message_id for message_id, _ in before} | {
        message_id for message_id, reply in replies.items() if reply.code == 250
    }
    assert {row["message_id"] for row in rows_while_full} == acknowledged
    assert imported.returncode == 1
    assert imported.stderr.splitlines() == [imported.stderr.strip()], imported.stderr
    assert imported.stderr.startswith(ERROR_LINE) and "disk full" in imported.stderr
    assert retried, disk_full_failures(log)
    assert any(
        row["state"] == "failed" and "StorageFullError: disk full" in str(row["error"])
        for row in rows_retrying
    ), rows_retrying
    assert alive_while_full

    assert [reply.code for reply in retries] == [250] * len(refused)
    assert [reply.code for reply in replies_after] == [250, 250]
    assert reimported.returncode == 0, reimported.stderr
    assert settled, Counter(row["state"] for row in stored_rows(environ))
    everything = [message_id for message_id, _ in before + during + after] + [import_id]
    assert Counter(row["message_id"] for row in stored_rows(environ)) == Counter(everything)
    assert serve.returncode == 0

    assert "Traceback" not in text
    refusals = re.findall(r"SMTP message not stored, answered 451: disk full", text)
    assert len(refusals) == len(refused)
    assert "processing paused for 1 s: disk full" in text
    database = small_data_dir / "inbox-triage.db"
    assert database.is_file()
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    audit = run_cli(environ, "audit", "verify")
    assert audit.returncode == 0, audit.stdout + audit.stderr


@pytest.mark.slow
def test_commands_on_a_full_data_directory_fail_with_one_line(
    small_data_dir: Path, tmp_path: Path
) -> None:
    """GIVEN an empty data directory on a full file system WHEN `db upgrade` runs, and
    later `ingest` on the migrated database with the disk full again and nothing else
    running THEN each exits 1 with one error line naming the full disk, and once space
    is freed both succeed and the database is intact."""
    environ = cli_environment(small_data_dir, "")
    eml = tmp_path / "request.eml"
    message_id, raw = message("cli")
    eml.write_bytes(raw)

    filler = fill(small_data_dir)
    upgrade_full = run_cli(environ, "db", "upgrade")
    filler.unlink()
    upgrade = run_cli(environ, "db", "upgrade")
    filler = fill(small_data_dir)
    ingest_full = run_cli(environ, "ingest", "--no-process", str(eml))
    filler.unlink()
    ingest = run_cli(environ, "ingest", "--no-process", str(eml))

    for refused in (upgrade_full, ingest_full):
        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [refused.stderr.strip()], refused.stderr
        assert refused.stderr.startswith(f"{ERROR_LINE}disk full"), refused.stderr
    assert upgrade.returncode == 0, upgrade.stderr
    assert ingest.returncode == 0, ingest.stderr
    assert [row["message_id"] for row in stored_rows(environ)] == [message_id]
    with sqlite3.connect(f"file:{small_data_dir / 'inbox-triage.db'}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


@pytest.mark.slow
def test_serve_on_a_full_data_directory_leaves_no_empty_session_key(
    small_data_dir: Path, tmp_path: Path
) -> None:
    """GIVEN a data directory on a full file system and the database elsewhere (as with
    PostgreSQL) WHEN `serve` starts for the first time THEN it exits 1 with one error line
    about the web session key and no traceback, and leaves no empty key file behind, so
    that once space is freed `serve` starts."""
    port, web_port = free_port(), free_port()
    environ = cli_environment(
        small_data_dir,
        f"sqlite:///{tmp_path / 'elsewhere.db'}",
        INBOX_TRIAGE_SMTP_PORT=str(port),
        INBOX_TRIAGE_WEB_PORT=str(web_port),
    )
    filler = fill(small_data_dir)
    log = tmp_path / "serve.log"
    serve = start_serve(environ, log)
    try:
        refused_code = serve.wait(timeout=120)
    finally:
        if serve.poll() is None:
            stop_process(serve)
    refused = log.read_text(errors="replace")
    key_left = (small_data_dir / "web-secret.key").exists()
    filler.unlink()
    serve = start_serve(environ, tmp_path / "serve-again.log")
    try:
        wait_for_port(web_port, serve)
    finally:
        stop_process(serve)

    assert refused_code == 1
    assert "Traceback" not in refused
    errors = [line for line in refused.splitlines() if line.startswith(ERROR_LINE)]
    assert len(errors) == 1, refused
    assert errors[0].startswith(f"{ERROR_LINE}cannot write the web session key"), refused
    assert errors[0].endswith("No space left on device")
    assert not key_left
    assert serve.returncode == 0
