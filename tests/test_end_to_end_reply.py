"""End to end: a request over SMTP is drafted, approved from the CLI, and delivered.

Real parts only: `inbox-triage serve` as a subprocess with its SMTP intake,
the CLI for approval and sending, and an SMTP server on loopback standing in
for the company's relay.
"""

from __future__ import annotations

import json
import signal
import smtplib
import time
from pathlib import Path

from support.mail import build_message
from support.postgres import free_port
from support.process import cli_environment, run_cli, start_serve, wait_for_port
from support.smtp_sink import running_sink

CUSTOMERS = (
    "customer_id,name,email,phone,contact_name,contact_email,contact_phone,billing_address,"
    "postal_address,tax_number,username,domains\n"
    "CM-77001,Kovács János,janos.kovacs@example.hu,+36 30 765 4321,,,,"
    '"1051 Budapest, Nádor utca 8.",,,kovacsj,kovacs-asztalos.hu\n'
    "CM-77002,Kovács Jánosné,janosne.kovacs@example.hu,+36 20 111 2222,,,,"
    '"7621 Pécs, Király utca 3.",,,kovacsjne,\n'
)
AUTHENTICATED = (
    "mx.clmaster.eu; dkim=pass header.d=example.hu; spf=pass smtp.mailfrom=example.hu; "
    "dmarc=pass header.from=example.hu"
)


def _wait_for_draft(environ: dict[str, str], deadline: float) -> dict[str, object]:
    while time.monotonic() < deadline:
        result = run_cli(environ, "drafts", "list", "--json")
        if result.returncode == 0:
            drafts = json.loads(result.stdout)
            if drafts:
                return drafts[0]
        time.sleep(0.5)
    raise AssertionError("no draft appeared")


def test_access_request_is_answered_with_threading_and_the_customers_data(tmp_path: Path) -> None:
    """GIVEN a verified customer's access request over SMTP WHEN the draft is approved and the
    outbox sent from the CLI THEN the relay receives one reply to the on-file address, threaded
    to the request, whose attachment holds this customer's data and not the other Kovács's."""
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    smtp_port = free_port()
    with running_sink() as sink:
        environ = cli_environment(
            tmp_path / "data",
            f"sqlite:///{tmp_path / 'e2e.db'}",
            INBOX_TRIAGE_SMTP_PORT=str(smtp_port),
            INBOX_TRIAGE_WEB_PORT=str(free_port()),
            INBOX_TRIAGE_TRUSTED_AUTHSERV_IDS="mx.clmaster.eu",
            INBOX_TRIAGE_OUTGOING_HOST="127.0.0.1",
            INBOX_TRIAGE_OUTGOING_PORT=str(sink.port),
            INBOX_TRIAGE_OUTGOING_SECURITY="none",
        )
        imported = run_cli(environ, "customers", "import", str(tmp_path / "customers.csv"))
        assert imported.returncode == 0, imported.stderr
        server = start_serve(environ, tmp_path / "serve.log")
        try:
            wait_for_port(smtp_port, server)
            request = build_message(
                subject="Másolat az adataimról",
                body="Tisztelt Cloudmaster!\n\nKérem, küldjék meg a rólam tárolt összes személyes "
                "adat másolatát.\n\nKovács János\n",
                message_id="<access-1@example.hu>",
                headers={"Authentication-Results": AUTHENTICATED},
            )
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as client:
                client.sendmail("janos.kovacs@example.hu", ["info@clmaster.eu"], request)
            draft = _wait_for_draft(environ, time.monotonic() + 90)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        assert draft["recipient"] == "janos.kovacs@example.hu"
        approved = run_cli(environ, "drafts", "approve", str(draft["id"]), "--actor", "anna")
        assert approved.returncode == 0, approved.stderr
        sent = run_cli(environ, "outbox", "send")
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["sent"] == 1
        assert len(sink.messages) == 1
        received = sink.messages[0]
    assert received.rcpt_tos == ["janos.kovacs@example.hu"]
    reply = received.parsed()
    assert reply["In-Reply-To"] == "<access-1@example.hu>"
    assert "<access-1@example.hu>" in reply["References"]
    body = reply.get_body(preferencelist=("plain",))
    assert body is not None and "Kovács János" in body.get_content()
    attachments = {part.get_filename(): part.get_content() for part in reply.iter_attachments()}
    assert attachments, "an access reply carries the customer's data"
    exported = b"".join(
        value if isinstance(value, bytes) else value.encode() for value in attachments.values()
    ).decode("utf-8", "replace")
    assert "CM-77001" in exported and "+36307654321" in exported.replace(" ", "")
    assert "CM-77002" not in exported and "Pécs" not in exported
