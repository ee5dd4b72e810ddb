"""A throwaway PostgreSQL server on loopback for the test session.

Started from the machine's PostgreSQL binaries (installed by `make test` /
.ci/run); under CI=true a missing server is a failure, never a skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresServer:
    """A running server: its URL base and how to stop it."""

    port: int
    data_dir: Path
    bin_dir: Path
    user: str | None

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        _run(
            self,
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"],
            check=False,
        )


def find_bin_dir() -> Path | None:
    """The directory holding initdb/pg_ctl, or None when PostgreSQL is not installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(server: PostgresServer, command: list[str], check: bool = True) -> None:
    if server.user:
        command = ["runuser", "-u", server.user, "--", *command]
    subprocess.run(command, check=check, capture_output=True, timeout=120)


def start_postgres(base: Path) -> PostgresServer:
    """initdb + pg_ctl start in `base`; as root the server runs as the postgres user."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries not found (install the postgresql package)")
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        pwd.getpwnam(user)
    data_dir = base / "pgdata"
    data_dir.mkdir(parents=True)
    if user:
        shutil.chown(base, user)
        shutil.chown(data_dir, user)
    server = PostgresServer(free_port(), data_dir, bin_dir, user)
    _run(
        server,
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
    )
    options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {base} -c fsync=off"
    _run(
        server,
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data_dir),
            "-o",
            options,
            "-w",
            "-l",
            str(base / "postgres.log"),
            "start",
        ],
    )
    _wait(server.port)
    return server


def _wait(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not start on port {port}")
