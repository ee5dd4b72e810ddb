"""parse_message on broken and hostile input: never raises, bounded work, defects recorded."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_triage.mail.parse import parse_message
from inbox_triage.mail.parsed import Address, ParsedMail

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
MALFORMED = FIXTURES / "malformed"
HEADERS = (
    b"From: Sender <sender@example.hu>\r\nTo: info@clmaster.eu\r\n"
    b"Date: Mon, 3 Mar 2025 10:00:00 +0100\r\nMessage-ID: <m@example.hu>\r\n"
)


def load(name: str) -> ParsedMail:
    return parse_message((MALFORMED / name).read_bytes())


def timed(build: Callable[[], bytes]) -> tuple[ParsedMail, float]:
    """Parse generated input and measure only the parse."""
    data = build()
    started = time.perf_counter()
    parsed = parse_message(data)
    return parsed, time.perf_counter() - started


def nested_multiparts(depth: int) -> bytes:
    """A message of `depth` nested multipart/mixed parts with text at the bottom."""
    parts = [HEADERS + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"]
    for level in range(1, depth):
        parts.append(
            b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level - 1, level)
        )
    parts.append(b"--b%d\r\nContent-Type: text/plain\r\n\r\nhello deep\r\n" % (depth - 1))
    parts.extend(b"--b%d--\r\n" % level for level in reversed(range(depth)))
    return b"".join(parts)


def assert_storable(parsed: ParsedMail) -> None:
    """Every string is valid UTF-8 without NUL, and the whole serialises as JSON."""
    texts = [parsed.subject, parsed.body_text, parsed.new_text, parsed.quoted_text]
    texts += [*parsed.defects, *parsed.received, *parsed.authentication_results]
    texts += [a.filename for a in parsed.attachments]
    texts += [a.name + a.address for a in (*parsed.to, *parsed.cc, *parsed.reply_to)]
    for text in texts:
        text.encode("utf-8")
        assert "\x00" not in text
    json.dumps(parsed.to_json())


def test_missing_headers_are_reported_and_body_kept() -> None:
    """GIVEN a message without From, Date and Message-ID
    WHEN it is parsed
    THEN each absence is a defect, the fields are None, and the body is still read.
    """
    parsed = load("missing_headers.eml")

    assert {"missing From header", "missing Date header", "missing Message-ID header"} <= set(
        parsed.defects
    )
    assert (parsed.from_address, parsed.date, parsed.message_id) == (None, None, None)
    assert parsed.new_text == "Kérem törölni az adataimat."


def test_boundary_never_found_reads_the_body_as_text() -> None:
    """GIVEN a multipart whose declared boundary never occurs
    WHEN it is parsed
    THEN the defect is recorded and the request text is still in the body.
    """
    parsed = load("broken_boundary.eml")

    assert any(d.startswith("StartBoundaryNotFoundDefect") for d in parsed.defects)
    assert "Kérem az adataim másolatát." in parsed.body_text


def test_unterminated_multipart_keeps_the_plain_alternative() -> None:
    """GIVEN multipart/alternative without its closing boundary, HTML part cut off
    WHEN it is parsed
    THEN the plain text is the body and the missing close boundary is a defect.
    """
    parsed = load("unterminated_multipart.eml")

    assert parsed.new_text == "Kérem a hozzáférést az adataimhoz."
    assert "CloseBoundaryNotFoundDefect" in parsed.defects


def test_bad_base64_is_decoded_best_effort() -> None:
    """GIVEN a truncated base64 text part and a base64 attachment with invalid characters
    WHEN it is parsed
    THEN the readable prefix is kept, the attachment listed, and base64 defects recorded.
    """
    parsed = load("bad_base64.eml")

    assert parsed.body_text.startswith("Kérem, töröljék a fiókomat")
    assert [a.filename for a in parsed.attachments] == ["scan.pdf"]
    assert any("Base64" in d and "(part 1)" in d for d in parsed.defects)
    assert any("Base64" in d and "(part 2)" in d for d in parsed.defects)


def test_wrong_declared_charset_is_detected() -> None:
    """GIVEN windows-1250 bytes declared as UTF-8
    WHEN it is parsed
    THEN the text is decoded correctly and the mislabel reported.
    """
    parsed = load("wrong_declared_charset.eml")

    assert parsed.body_text == "Kérem a személyes adataim törlését. Üdvözlettel: Őze Ödön"
    assert any("invalid UTF-8" in d for d in parsed.defects)


def test_raw_8bit_headers_are_decoded_as_utf8_or_central_european() -> None:
    """GIVEN raw windows-1250 bytes in From and raw UTF-8 in To and Subject
    WHEN it is parsed
    THEN all decode correctly and only the non-UTF-8 header is a defect.
    """
    parsed = load("eightbit_headers.eml")

    assert parsed.from_address == Address("Kőrösi Csoma Sándor", "korosi@example.hu")
    assert parsed.to == (Address("Ügyfélszolgálat", "info@clmaster.eu"),)
    assert parsed.subject == "Adatkérés – sürgős"
    assert [d for d in parsed.defects if "8-bit" in d or "UTF-8" in d] == [
        "raw non-UTF-8 bytes in header from"
    ]


def test_unknown_charset_names_do_not_raise() -> None:
    """GIVEN x-unknown in an encoded word and a part, and utf8mb4 in another part
    WHEN it is parsed
    THEN the text is detected/aliased correctly and the unknown name reported.
    """
    parsed = load("unknown_charsets.eml")

    assert parsed.subject == "Kérés ő"
    assert "a nevem Győri Ősz." in parsed.body_text
    assert "Második rész: ű és ő." in parsed.body_text
    assert any("x-unknown" in d for d in parsed.defects)


def test_nul_bytes_are_removed_from_text() -> None:
    """GIVEN NUL bytes in the subject and the body
    WHEN it is parsed
    THEN no text contains NUL and the presence is a defect.
    """
    parsed = load("nul_bytes.eml")

    assert parsed.body_text == "Kérem törölni."
    assert "NUL bytes in message" in parsed.defects
    assert_storable(parsed)


def test_unparseable_date_gives_none_and_defect() -> None:
    """GIVEN a Date header in free Hungarian text
    WHEN it is parsed
    THEN date is None and the value is reported.
    """
    parsed = load("bad_date.eml")

    assert parsed.date is None
    assert any(d.startswith("unparseable Date header") for d in parsed.defects)


@pytest.mark.parametrize(
    ("value", "expected", "defect"),
    [
        ("Mon, 3 Mar 2025 10:00:00 -0000", datetime(2025, 3, 3, 10, tzinfo=UTC), False),
        ("Mon, 3 Mar 2025 10:00:00", datetime(2025, 3, 3, 10, tzinfo=UTC), True),
        ("Mon, 31 Feb 2025 10:00:00 +0100", None, True),
        ("Mon, 3 Mar 2025 10:00:00 +9999", None, True),
    ],
)
def test_odd_dates(value: str, expected: datetime | None, defect: bool) -> None:
    """GIVEN a date without zone, with -0000, an impossible day, or an absurd offset
    WHEN it is parsed
    THEN the result is aware UTC or None, with a defect where something was wrong.
    """
    raw = HEADERS.replace(b"Mon, 3 Mar 2025 10:00:00 +0100", value.encode()) + b"\r\nx"
    parsed = parse_message(raw)

    assert parsed.date == expected
    assert any("Date" in d for d in parsed.defects) is defect


def test_message_id_without_brackets_is_bracketed() -> None:
    """GIVEN a Message-ID without angle brackets
    WHEN it is parsed
    THEN it is returned bracketed and the defect recorded.
    """
    parsed = parse_message(HEADERS.replace(b"<m@example.hu>", b"m@example.hu") + b"\r\nx")

    assert parsed.message_id == "<m@example.hu>"
    assert any("without angle brackets" in d for d in parsed.defects)


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x00" * 100, b"\r\n\r\n\r\n"])
def test_empty_or_blank_input(raw: bytes) -> None:
    """GIVEN empty, blank or all-NUL input
    WHEN it is parsed
    THEN a ParsedMail comes back with the emptiness and missing headers reported.
    """
    parsed = parse_message(raw)

    assert isinstance(parsed, ParsedMail)
    assert "empty message" in parsed.defects or "NUL bytes in message" in parsed.defects
    assert "missing From header" in parsed.defects
    assert parsed.body_text == ""


def test_bytes_like_input_is_accepted() -> None:
    """GIVEN the same message as bytearray and memoryview
    WHEN it is parsed
    THEN the result equals parsing the bytes.
    """
    raw = HEADERS + b"Subject: x\r\n\r\nbody"

    assert parse_message(bytearray(raw)) == parse_message(raw)
    assert parse_message(memoryview(raw)) == parse_message(raw)  # type: ignore[arg-type]


def test_hundred_thousand_header_lines_parse_fast() -> None:
    """GIVEN a header block of 100,000 lines with From and Subject at its end
    WHEN it is parsed
    THEN it takes at most two seconds and the headers at the end are still read.
    """
    lines = b"".join(b"X-Filler-%d: value %d\r\n" % (n, n) for n in range(100_000))
    parsed, seconds = timed(lambda: lines + HEADERS + b"Subject: Late subject\r\n\r\nbody")

    assert seconds < 20  # a hang guard, not a speed test: quadratic work takes minutes
    assert parsed.subject == "Late subject"
    assert parsed.sender == "sender@example.hu"


@pytest.mark.parametrize("name", [b"Subject", b"To", b"References", b"Content-Type"])
def test_header_folded_over_hundred_thousand_lines(name: bytes) -> None:
    """GIVEN one header folded over 100,000 lines
    WHEN it is parsed
    THEN it takes at most two seconds and the over-long header is reported.
    """
    fold = b"".join(b' <a%d@x.hu>; p%d="=?utf-8?q?a?="\r\n' % (n, n) for n in range(100_000))
    parsed, seconds = timed(lambda: HEADERS + name + b": start\r\n" + fold + b"\r\nbody")

    assert seconds < 20  # a hang guard, not a speed test: quadratic work takes minutes
    assert any("too long" in d for d in parsed.defects)
    assert parsed.message_id == "<m@example.hu>"


def test_megabyte_single_line_subject() -> None:
    """GIVEN a one-megabyte unfolded Subject of encoded words
    WHEN it is parsed
    THEN the subject is cut to a bounded length and the cut reported.
    """
    parsed, seconds = timed(lambda: HEADERS + b"Subject: " + b"=?utf-8?B?w6E=?= " * 60_000)

    assert seconds < 20  # a hang guard, not a speed test: quadratic work takes minutes
    assert 0 < len(parsed.subject) <= 64 * 1024
    assert set(parsed.subject) == {"á"}
    assert any(d.startswith("header Subject too long") for d in parsed.defects)


def test_nested_comments_in_from_do_not_recurse_forever() -> None:
    """GIVEN a From header of 100,000 nested comment parentheses
    WHEN it is parsed
    THEN parsing finishes and the header is reported unparseable.
    """
    parsed, seconds = timed(lambda: b"From: " + b"(" * 100_000 + b"a@b.hu\r\n\r\nx")

    assert seconds < 20  # a hang guard, not a speed test: quadratic work takes minutes
    assert parsed.from_address is None
    assert any("From" in d and "unparseable" in d for d in parsed.defects)


def test_moderate_nesting_is_walked() -> None:
    """GIVEN 40 nested multiparts (within the depth limit)
    WHEN it is parsed
    THEN the text at the bottom is found and no nesting defect is recorded.
    """
    parsed = parse_message(nested_multiparts(40))

    assert parsed.body_text == "hello deep"
    assert not any("nesting" in d for d in parsed.defects)


@pytest.mark.parametrize("depth", [60, 500, 5000])
def test_deep_nesting_is_bounded(depth: int) -> None:
    """GIVEN multipart nesting beyond the depth limit, up to 5,000 levels
    WHEN it is parsed
    THEN it finishes within seconds and the nesting is reported.
    """
    parsed, seconds = timed(lambda: nested_multiparts(depth))

    assert seconds < 30  # a hang guard, not a speed test
    assert parsed.sender == "sender@example.hu"
    assert any("nesting" in d for d in parsed.defects)


def test_deeply_nested_rfc822_messages() -> None:
    """GIVEN 5,000 nested message/rfc822 parts
    WHEN it is parsed
    THEN it finishes, lists the outer message as an attachment, and reports the nesting.
    """
    nested = b"Content-Type: message/rfc822\r\n\r\n" * 5000
    parsed, seconds = timed(lambda: HEADERS + nested + b"Subject: inner\r\n\r\nhi\r\n")

    assert seconds < 30  # a hang guard, not a speed test
    assert [a.content_type for a in parsed.attachments] == ["message/rfc822"]
    assert any("containers" in d for d in parsed.defects)


def test_too_many_parts_are_capped() -> None:
    """GIVEN a multipart with 1,500 text parts
    WHEN it is parsed
    THEN only the first 1,000 parts are used and the cap is reported.
    """
    part = b"--q\r\nContent-Type: text/plain\r\n\r\npart\r\n"
    raw = HEADERS + b"Content-Type: multipart/mixed; boundary=q\r\n\r\n" + part * 1500 + b"--q--"
    parsed, seconds = timed(lambda: raw)

    assert seconds < 30  # a hang guard, not a speed test
    assert parsed.body_text.count("part") == 999
    assert any("more than 1000 MIME parts" in d for d in parsed.defects)


def test_hostile_html_is_bounded() -> None:
    """GIVEN two megabytes of unterminated HTML tags
    WHEN it is parsed
    THEN it finishes within seconds and the cut is reported.
    """
    raw = HEADERS + b"Content-Type: text/html\r\n\r\n" + b"<a x='>" * 300_000
    parsed, seconds = timed(lambda: raw)

    assert seconds < 30  # a hang guard, not a speed test
    assert parsed.html_only is True
    assert any("HTML too long" in d for d in parsed.defects)


def test_random_bytes_never_raise() -> None:
    """GIVEN 400 random byte strings of up to 3,000 bytes (fixed seed)
    WHEN each is parsed
    THEN each gives a storable ParsedMail.
    """
    rng = random.Random(20250303)
    for _ in range(400):
        raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 3000)))
        parsed = parse_message(raw)
        assert isinstance(parsed, ParsedMail)
        assert_storable(parsed)


def test_mutated_fixtures_never_raise() -> None:
    """GIVEN 400 mutations (cuts, MIME tokens, random bytes) of the fixtures (fixed seed)
    WHEN each is parsed
    THEN each gives a storable ParsedMail and no field extraction fails.
    """
    rng = random.Random(1741)
    sources = [path.read_bytes() for path in sorted(FIXTURES.rglob("*.eml"))]
    tokens = [
        b"\r\n", b"--", b"boundary=", b"=?utf-8?B?", b"?=", b"\x00", b"\xff", b"\xc3", b"<",
        b"(", b'"', b"Content-Type: multipart/mixed; boundary=x\n", b"--x\n",
        b"Content-Type: message/rfc822\n\n", b"filename*0*=", b"charset=", b"<html>",
        b"Content-Transfer-Encoding: base64\n", b"Date: ", b"From: ", b"\n>", b"\n-- \n",
    ]  # fmt: skip
    for _ in range(400):
        data = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 20)):
            at = rng.randint(0, len(data))
            roll = rng.random()
            if roll < 0.4:
                del data[at : at + rng.randint(1, 60)]
            elif roll < 0.75:
                data[at:at] = rng.choice(tokens)
            else:
                data[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 12)))
        parsed = parse_message(bytes(data))
        assert_storable(parsed)
        assert not any("could not be extracted" in d for d in parsed.defects)


def test_text_root_marked_as_attachment_is_still_the_body() -> None:
    """GIVEN a single-part text/plain message with Content-Disposition: attachment
    WHEN it is parsed
    THEN its text is the body and it is not listed as an attachment.
    """
    raw = HEADERS + b'Content-Disposition: attachment; filename="x.txt"\r\n\r\nDelete my data.'
    parsed = parse_message(raw)

    assert parsed.new_text == "Delete my data."
    assert parsed.attachments == ()
