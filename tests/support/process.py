"""Running the real `inbox-triage` program as a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path


def cli_environment(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a product process: only this test's settings."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("INBOX_TRIAGE_")}
    environ.update(
        {
            "INBOX_TRIAGE_DATA_DIR": str(data_dir),
            "INBOX_TRIAGE_DATABASE_URL": database_url,
            "INBOX_TRIAGE_PROCESSOR_POLL_INTERVAL_SECONDS": "0.2",
        }
    )
    environ.update(extra)
    return environ


def start_serve(environ: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`inbox-triage serve` in the background, stdout/stderr to a log file."""
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "inbox_triage", "serve"],
        env=environ,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Block until something listens on the port (or the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def run_cli(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run one CLI command to completion."""
    return subprocess.run(
        [sys.executable, "-m", "inbox_triage", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def start_cli(environ: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """Any `inbox-triage` command in the background (e.g. `worker`), output to a log file."""
    with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "inbox_triage", *args],
            env=environ,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as systemd stops a service; SIGKILL if it does not exit within a minute."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
