"""Bad input, property-based: for any raw message (generated hostile MIME, or plain random
bytes) the parser never raises and returns storable values, and the whole processing ends
every message `processed` or `failed` with its stage and reason, on SQLite and PostgreSQL.

Hypothesis runs derandomized (a fixed sequence of examples) with a modest number of
examples, so CI is fast and every failure reproduces; --long runs twenty times as many.
"""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, example, given, settings
from support import mail_strategies as mails
from support.long_run import pick

from inbox_triage.context import AppContext
from inbox_triage.db.models import Message
from inbox_triage.intake.store import store_raw
from inbox_triage.mail.parse import parse_message
from inbox_triage.mail.parsed import ParsedMail
from inbox_triage.pipeline import Processor
from inbox_triage.processing.views import list_messages

PER_MESSAGE_SECONDS = 10.0
KINDS = {"request", "reply", "repeat", "other", "auto_reply", "bounce"}
PARSER_EXAMPLES = pick(short=400, long=8_000)
PROCESSING_EXAMPLES = pick(short=50, long=1_000)  # per database
FIXED = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # one app per test; examples add messages to it
    ],
)


def assert_storable(parsed: ParsedMail) -> None:
    """Every text is valid UTF-8 without NUL; one-line fields hold no line breaks."""
    data = parsed.to_json()
    encoded = json.dumps(data, ensure_ascii=False).encode("utf-8")  # raises on lone surrogates
    assert b"\\u0000" not in encoded and b"\x00" not in encoded
    one_line = [parsed.subject, parsed.message_id or "", parsed.in_reply_to or "",
                *parsed.references, *(a.filename for a in parsed.attachments)]  # fmt: skip
    for address in (parsed.from_address, *parsed.to, *parsed.cc, *parsed.reply_to):
        if address is not None:
            one_line += [address.name, address.address]
    for value in one_line:
        assert "\r" not in value and "\n" not in value, value[:200]


@settings(FIXED, max_examples=PARSER_EXAMPLES)
@given(raw=mails.messages)
@example(raw=b"")
@example(raw=b"\x00" * 100)
@example(raw=b"Content-Type: multipart/mixed; boundary=\xff\r\n\r\n--\xff\r\n\r\nx\r\n--\xff--")
@example(raw=b"From: =?utf-8?Q?a:_b@c.hu;?= <d@e.hu>\r\nSubject: =?x?B?====?=\r\n\r\n")
def test_parser_never_raises_and_returns_storable_values(raw: bytes) -> None:
    """GIVEN any raw message (hostile MIME or random bytes) WHEN parsed
    THEN no exception, every string storable and single-line, within a time bound."""
    started = time.perf_counter()
    parsed = parse_message(raw)
    assert time.perf_counter() - started < PER_MESSAGE_SECONDS
    assert isinstance(parsed, ParsedMail)
    assert_storable(parsed)
    if b"\x00" in raw:
        assert "NUL bytes in message" in parsed.defects


@settings(FIXED, max_examples=PROCESSING_EXAMPLES)
@given(raw=mails.messages)
@example(raw=b"")
@example(raw=b"Message-ID: <\x00>\r\nFrom: \x00 <a@b.hu>\r\n\r\n\x00")
def test_any_message_is_stored_and_processed_or_failed_with_reason(
    app: AppContext, raw: bytes
) -> None:
    """GIVEN any raw message WHEN stored and processed THEN it is stored exactly once and
    ends processed (with a known kind) or failed (with stage and error), never stuck."""
    stored = store_raw(app, raw, "smtp")
    again = store_raw(app, raw, "smtp")
    assert (again.id, again.duplicate) == (stored.id, True)
    started = time.perf_counter()
    outcome = Processor(app).process(stored.id)
    assert time.perf_counter() - started < PER_MESSAGE_SECONDS
    with app.sessions() as session:
        row = session.get(Message, stored.id)
        assert row is not None and row.raw == raw
        if stored.duplicate:  # an earlier example had the same bytes
            assert row.state in ("processed", "failed")
            return
        assert row.state == outcome
        if row.state == "failed":
            assert row.stage and row.error and row.error.startswith(f"{row.stage}: ")
        else:
            assert outcome == "processed" and row.kind in KINDS and row.error is None
            if row.kind in ("request", "reply", "repeat"):
                assert row.case_id is not None
            if row.kind == "other":
                assert row.case_id is None
        listed = {item["id"]: item for item in list_messages(session)}
        json.dumps(listed[row.id])
        assert listed[row.id]["state"] == row.state
