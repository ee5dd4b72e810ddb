"""SMTP intake against a real aiosmtpd server on loopback and a real smtplib client."""

from __future__ import annotations

import dataclasses
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import select, text
from support.mail import build_message
from support.postgres import free_port

from inbox_triage.context import AppContext
from inbox_triage.db.models import Message
from inbox_triage.intake.smtp import IntakeController


@pytest.fixture
def smtp_app(app: AppContext) -> Iterator[tuple[AppContext, int]]:
    port = free_port()
    smtp = dataclasses.replace(app.settings.smtp, port=port, max_message_bytes=200_000)
    app.settings = dataclasses.replace(app.settings, smtp=smtp)
    controller = IntakeController(app)
    controller.start()
    try:
        yield app, port
    finally:
        controller.stop()


def _send(port: int, raw: bytes, to: str = "info@clmaster.eu") -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        return client.sendmail("sender@example.hu", [to], raw)


def _normal(raw: bytes) -> bytes:
    """Line endings and the final newline as SMTP transport may change them."""
    return raw.replace(b"\r\n", b"\n").rstrip(b"\n")


def _rows(app: AppContext) -> list[Message]:
    with app.sessions() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def test_accepted_message_is_stored_before_250(smtp_app: tuple[AppContext, int]) -> None:
    """GIVEN the intake WHEN a client sends to info@ THEN 250 and the bytes are in the database."""
    app, port = smtp_app
    raw = build_message(message_id="<one@example.hu>")
    refused = _send(port, raw)
    assert refused == {}
    rows = _rows(app)
    assert len(rows) == 1
    assert rows[0].message_id == "<one@example.hu>"
    assert rows[0].source == "smtp" and rows[0].envelope_to == ["info@clmaster.eu"]
    assert _normal(rows[0].raw) == _normal(raw)


def test_recipient_is_matched_case_insensitively(smtp_app: tuple[AppContext, int]) -> None:
    """GIVEN the intake WHEN mail goes to INFO@CLMASTER.EU THEN it is accepted."""
    app, port = smtp_app
    assert _send(port, build_message(), to="INFO@Clmaster.EU") == {}
    assert len(_rows(app)) == 1


def test_unknown_recipient_gets_550_at_rcpt(smtp_app: tuple[AppContext, int]) -> None:
    """GIVEN the intake WHEN mail goes to another address THEN 550 5.1.1 and nothing stored."""
    app, port = smtp_app
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        _send(port, build_message(), to="sales@clmaster.eu")
    code, reply = refused.value.recipients["sales@clmaster.eu"]
    assert code == 550 and b"5.1.1" in reply
    assert _rows(app) == []


def test_oversize_message_gets_552(smtp_app: tuple[AppContext, int]) -> None:
    """GIVEN a 200 kB limit WHEN a 300 kB message arrives THEN 552 and nothing stored."""
    app, port = smtp_app
    raw = build_message(body="x" * 76 + "\n" * 4000 + "y" * 300_000)
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused)) as error:
        _send(port, raw)
    assert error.value.smtp_code == 552
    assert _rows(app) == []


def test_storage_failure_answers_451(smtp_app: tuple[AppContext, int]) -> None:
    """GIVEN a database that refuses writes WHEN mail arrives THEN 451 so the sender retries."""
    app, port = smtp_app
    with app.engine.begin() as connection:
        connection.execute(text("ALTER TABLE messages RENAME TO messages_unavailable"))
    with pytest.raises(smtplib.SMTPDataError) as error:
        _send(port, build_message())
    assert error.value.smtp_code == 451


@pytest.mark.parametrize(
    ("charset", "cte"),
    [
        ("utf-8", "8bit"),
        ("utf-8", "quoted-printable"),
        ("iso-8859-2", "quoted-printable"),
        ("utf-8", "base64"),
    ],
)
def test_bodies_in_any_transfer_encoding_are_stored_intact(
    smtp_app: tuple[AppContext, int], charset: str, cte: str
) -> None:
    """GIVEN Hungarian text in 8-bit, QP, ISO-8859-2 or base64 WHEN sent THEN stored intact."""
    app, port = smtp_app
    body = "Kérem, töröljék az adataimat. Őszintén: űrlapon nem megy.\n"
    raw = build_message(body=body, charset=charset, cte=cte)
    _send(port, raw)
    stored = _rows(app)[0].raw
    assert _normal(stored) == _normal(raw)


def test_multipart_with_attachment_and_encoded_subject(smtp_app: tuple[AppContext, int]) -> None:
    """GIVEN a multipart message with a PDF and an RFC 2047 subject WHEN sent THEN stored whole."""
    app, port = smtp_app
    message = EmailMessage()
    message["From"] = "Szabó Éva <eva@example.hu>"
    message["To"] = "info@clmaster.eu"
    message["Subject"] = "Hozzáférési kérelem – személyes adatok"
    message["Message-ID"] = "<multi@example.hu>"
    message.set_content("Csatolom a kérelmemet.")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="kérelem.pdf"
    )
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw
    _send(port, raw)
    rows = _rows(app)
    assert len(rows) == 1 and rows[0].size == len(rows[0].raw) >= len(raw) - 10
