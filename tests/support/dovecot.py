"""A throwaway Dovecot IMAP server on loopback, and a proxy that can cut its connections.

Started from the machine's `dovecot` binary (installed by
scripts/install-system-deps.sh) with a generated configuration in a temp dir:
a passwd-file of plain passwords, maildir storage, an IMAP (STARTTLS) and an
IMAPS listener on free ports, and a self-signed certificate made by `openssl`
(a dependency of Dovecot's own packaging, so present wherever Dovecot is).
Under CI=true a missing Dovecot is a failure, never a skip.
"""

from __future__ import annotations

import contextlib
import dataclasses
import grp
import os
import pwd
import queue
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from inbox_triage.context import AppContext
from inbox_triage.intake.imap import PollSummary, run_poller
from support.ci import missing
from support.mail import build_message
from support.postgres import free_port

PASSWORD = "s3cret-imap-pw"
USERS = 200

_CONFIG = """\
base_dir = {base}/run
state_dir = {base}/state
instance_name = inbox-triage-test-{name}
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {base}/passwd
  default_fields = uid={uid} gid={gid} home={base}/home/%u
}}
mail_location = maildir:~/Maildir
{capability}
# no chroot: a non-root Dovecot cannot, and the test needs none; no penalty
# delays for a test's deliberate bad logins
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def imap_mail(**fields: Any) -> bytes:
    """A test message with CRLF line ends, byte for byte what IMAP stores and returns."""
    return build_message(**fields).replace(b"\n", b"\r\n")


def configure_imap(app: AppContext, server: DovecotServer, user: str, **imap: Any) -> None:
    """Point the app's IMAP settings at this server and mailbox (IMAPS, CA trusted)."""
    values: dict[str, Any] = {
        "enabled": True, "host": "127.0.0.1", "port": server.imaps_port, "user": user,
        "password": PASSWORD, "security": "ssl", "ca_file": str(server.ca_file),
        "timeout_seconds": 10,
    }  # fmt: skip
    values.update(imap)
    settings = dataclasses.replace(app.settings.imap, **values)
    app.settings = dataclasses.replace(app.settings, imap=settings)


def server_flags(server: DovecotServer, user: str, folder: str = "INBOX") -> list[set[str]]:
    """Each message's permanent flags in UID order, read without changing them."""
    client = server.connect(user)
    try:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        found = client.fetch(uids, ["FLAGS"]) if uids else {}
        flags = ({f.decode() for f in found[uid][b"FLAGS"]} for uid in sorted(found))
        return [names - {"\\Recent"} for names in flags]  # \Recent is per session
    finally:
        client.logout()


@contextlib.contextmanager
def running_poller(app: AppContext) -> Iterator[queue.Queue[PollSummary]]:
    """`run_poller` in a thread; yields a queue that receives each poll's summary."""
    stop = threading.Event()
    polls: queue.Queue[PollSummary] = queue.Queue()
    thread = threading.Thread(target=run_poller, args=(app, stop, polls.put), daemon=True)
    thread.start()
    try:
        yield polls
    finally:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the poller did not stop within 15 s"


def find_dovecot() -> str | None:
    """The dovecot binary (it lives in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None,
    )


def require_dovecot() -> str:
    """The binary, or skip (fail under CI=true) with the reason."""
    binary = find_dovecot()
    if binary is None:
        message = "Dovecot is not installed (scripts/install-system-deps.sh installs dovecot-imapd)"
        missing(message)
    return binary


@dataclass
class DovecotServer:
    """A running Dovecot: its ports, CA file, users, and how to stop or restart it."""

    binary: str
    base: Path
    imap_port: int
    imaps_port: int
    mail_uid: int
    mail_gid: int
    process: subprocess.Popen[bytes] | None = None
    used: int = 0

    @property
    def ca_file(self) -> Path:
        return self.base / "cert.pem"

    def add_user(self) -> str:
        """A mailbox owner no test has used yet (its home is created on first login).

        The users are written once at start: Dovecot re-reads a changed passwd-file
        at most once a second, too slow for a user per test.
        """
        if self.used >= USERS:
            raise RuntimeError(f"all {USERS} test users of this Dovecot are taken")
        self.used += 1
        return _user_name(self.used)

    def connect(self, user: str) -> IMAPClient:
        """A verified IMAPS client of the test itself (delivery and inspection)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = IMAPClient("127.0.0.1", self.imaps_port, ssl_context=context, timeout=30)
        client.normalise_times = False
        client.login(user, PASSWORD)
        return client

    def append(
        self,
        user: str,
        raw: bytes,
        when: datetime,
        folder: str = "INBOX",
        flags: Sequence[str] = (),
    ) -> int:
        """Deliver a message by IMAP APPEND with a chosen INTERNALDATE; returns its UID."""
        client = self.connect(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags), msg_time=when)
        finally:
            client.logout()
        return int(response.split(b"]")[0].split()[-1])  # [APPENDUID <validity> <uid>]

    def maildir(self, user: str) -> Path:
        return self.base / "home" / user / "Maildir"

    def start(self) -> None:
        with (self.base / "stderr.log").open("ab") as errors:
            self.process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.base / "dovecot.conf")],
                stdout=subprocess.DEVNULL,
                stderr=errors,
            )
        _wait_for_greeting(self.imap_port, self.process, self.base)

    def stop(self) -> None:
        """Stop the master and wait; its children exit with it and drop every session."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        _wait_until_closed(self.imap_port)

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Stop and remove the temp dir (mail, logs, certificate)."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def log(self) -> str:
        path = self.base / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_dovecot(capabilities: str | None = None) -> DovecotServer:
    """Generate a certificate and configuration in a fresh temp dir and start Dovecot.

    `capabilities` replaces what Dovecot advertises after login (to play a server
    without IDLE or MOVE).
    """
    binary = require_dovecot()
    base = Path(tempfile.mkdtemp(prefix="inbox-triage-dovecot-"))
    base.chmod(0o755)  # the mail user must reach its home below it
    if os.geteuid() == 0:
        internal, login, mail = "dovecot", "dovenull", pwd.getpwnam("nobody")
    else:
        mail = pwd.getpwuid(os.geteuid())
        internal = login = mail.pw_name
    _make_certificate(base)
    (base / "home").mkdir()
    if os.geteuid() == 0:
        os.chown(base / "home", mail.pw_uid, mail.pw_gid)
    server = DovecotServer(binary, base, free_port(), free_port(), mail.pw_uid, mail.pw_gid)
    names = (_user_name(number) for number in range(1, USERS + 1))
    (base / "passwd").write_text("".join(f"{name}:{{PLAIN}}{PASSWORD}::::::\n" for name in names))
    config = _CONFIG.format(
        base=base,
        name=base.name,
        internal_user=internal,
        internal_group=grp.getgrgid(mail.pw_gid).gr_name if os.geteuid() else "dovecot",
        login_user=login,
        uid=mail.pw_uid,
        gid=mail.pw_gid,
        imap_port=server.imap_port,
        imaps_port=server.imaps_port,
        capability=f"imap_capability = {capabilities}" if capabilities else "",
    )
    (base / "dovecot.conf").write_text(config)
    server.start()
    return server


def _user_name(number: int) -> str:
    return f"info-{number:03d}@clmaster.eu"


def _make_certificate(base: Path) -> None:
    """A self-signed certificate for 127.0.0.1 and localhost; it is also the test's CA file."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(base / "key.pem"), "-out", str(base / "cert.pem"),
         "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def _wait_for_greeting(port: int, process: subprocess.Popen[bytes], base: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = (base / "stderr.log").read_text(errors="replace")
            raise RuntimeError(f"dovecot exited with {process.returncode}: {errors[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"dovecot did not greet on port {port}")


def _wait_until_closed(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return
        time.sleep(0.05)


class CuttingProxy:
    """A TCP relay in front of Dovecot that drops the connection when the client sends `trigger`.

    It cuts once, before forwarding the command, so the server never sees it:
    exactly what a network failure mid-poll looks like to the client.
    """

    def __init__(self, target_port: int, trigger: bytes) -> None:
        self.target_port = target_port
        self.trigger = trigger
        self.cut = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()
        for sock in self._sockets:
            _close(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
            upstream.settimeout(None)  # an IDLE connection may stay quiet for long
            self._sockets += [client, upstream]
            pair = (client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, pair, True),
                             daemon=True).start()  # fmt: skip
            threading.Thread(target=self._pump, args=(upstream, client, pair, False),
                             daemon=True).start()  # fmt: skip

    def _pump(
        self, source: socket.socket, sink: socket.socket, pair: tuple[socket.socket, ...],
        watch: bool,
    ) -> None:  # fmt: skip
        try:
            while data := source.recv(65536):
                if watch and not self.cut.is_set() and self.trigger in data:
                    self.cut.set()
                    break
                sink.sendall(data)
        except OSError:
            pass
        for sock in pair:
            _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
