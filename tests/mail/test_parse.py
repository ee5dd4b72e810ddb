"""parse_message on realistic Hungarian and English mail (.eml fixtures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from inbox_triage.mail.parse import parse_message
from inbox_triage.mail.parsed import Address, Attachment, ParsedMail

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
CET = timezone(timedelta(hours=1))


def load(name: str) -> ParsedMail:
    return parse_message((FIXTURES / name).read_bytes())


def message(headers: str, body: str = "Hello.\n") -> bytes:
    """A minimal valid message with extra header lines."""
    base = (
        "From: Sender <sender@example.hu>\nTo: info@clmaster.eu\n"
        "Date: Mon, 3 Mar 2025 10:00:00 +0100\nMessage-ID: <m@example.hu>\n"
    )
    return (base + headers + "Content-Type: text/plain; charset=utf-8\n\n" + body).encode()


def test_hungarian_8bit_utf8_request_is_fully_decoded() -> None:
    """GIVEN a Hungarian 8-bit UTF-8 erasure request with a "-- " signature
    WHEN it is parsed
    THEN headers, date, ids and the new text are decoded and the signature is separate.
    """
    parsed = load("hu_erasure_8bit_utf8.eml")

    assert parsed.subject == "Adataim törlése"
    assert parsed.from_address == Address("Kovács János", "kovacs.janos@example.hu")
    assert parsed.sender == "kovacs.janos@example.hu"
    assert parsed.to == (Address("Cloudmaster Ügyfélszolgálat", "info@clmaster.eu"),)
    assert parsed.date == datetime(2025, 3, 3, 10, 12, 33, tzinfo=CET)
    assert parsed.message_id == "<20250303101233.4F2A1@example.hu>"
    assert parsed.new_text.startswith("Tisztelt Cloudmaster Kft.!")
    assert "töröljék az összes rólam tárolt" in parsed.new_text
    assert parsed.new_text.endswith("Köszönöm előre is!")
    assert parsed.signature.splitlines()[1:] == ["Kovács János", "+36 30 123 4567"]
    assert parsed.quoted_text == ""
    assert parsed.received[0].startswith("from mail.example.hu (mail.example.hu [198.51.100.7])")
    assert parsed.defects == ()


def test_iso_8859_2_quoted_printable_gives_o_and_u_double_acute() -> None:
    """GIVEN a quoted-printable ISO-8859-2 message with ő/ű/Ő/Ű in body and headers
    WHEN it is parsed
    THEN those letters come out right, never as õ/û.
    """
    parsed = load("hu_access_qp_iso8859_2.eml")

    assert parsed.subject == "Tájékoztatás kérése a kezelt adataimról"
    assert parsed.from_address == Address("Őry Űrsula", "ursula.ory@freemail.example")
    assert "meddig őrzik őket" in parsed.body_text
    assert parsed.new_text.endswith("Üdvözlettel,\nŐry Űrsula")
    assert not {"õ", "û", "Õ", "Û"} & set(parsed.body_text)


def test_undeclared_windows_1250_is_detected() -> None:
    """GIVEN an 8-bit windows-1250 body without a charset parameter
    WHEN it is parsed
    THEN the text (typographic quotes and dashes included) is decoded and the omission reported.
    """
    parsed = load("hu_objection_win1250_undeclared.eml")

    assert "A „hírlevél” listáról szeretnék leiratkozni" in parsed.body_text
    assert "– a hozzájárulásom visszavonásával –" in parsed.body_text
    assert parsed.new_text.endswith("Szűcs Ödön")
    assert any("without a declared charset" in d for d in parsed.defects)


def test_latin1_label_on_hungarian_text_is_corrected() -> None:
    """GIVEN ISO-8859-2 bytes (body and encoded words) labelled ISO-8859-1
    WHEN it is parsed
    THEN ő/ű are restored instead of õ/û, and the correction is reported.
    """
    parsed = load("hu_rectification_latin1_mislabelled.eml")

    assert "új cím: Győr, Kőfaragó utca 12." in parsed.body_text
    assert parsed.from_address == Address("Bőr Ernő", "bor.erno@example.hu")
    assert "õ" not in parsed.body_text
    assert any("Central European" in d for d in parsed.defects)


def test_html_only_mail_becomes_readable_text() -> None:
    """GIVEN an HTML-only message with head, style, script, paragraphs, <br> and a list
    WHEN it is parsed
    THEN the text keeps its line structure, drops script/style, and html_only is set.
    """
    parsed = load("en_access_html_only.eml")

    assert parsed.html_only is True
    lines = parsed.body_text.splitlines()
    assert lines[0] == "Hello,"
    assert "Under Article 15 GDPR I request a copy of all personal data you hold about me." in lines
    assert "My customer number is CM-88121." in lines
    assert {"the purposes of processing", "the recipients", "the retention period"} <= set(lines)
    assert "secret-tracker" not in parsed.body_text
    assert "font-family" not in parsed.body_text
    assert parsed.from_address == Address("Jane Doe", "jane.doe@example.com")


def test_alternative_prefers_plain_and_splits_gmail_hungarian_quote() -> None:
    """GIVEN a Gmail multipart/alternative reply in Hungarian with a wrapped attribution
    WHEN it is parsed
    THEN the plain part is used, and new text, quote and threading ids are separated.
    """
    parsed = load("hu_gmail_reply_alternative.eml")

    assert parsed.html_only is False
    assert parsed.subject == "Re: Adatai helyesbítése"
    assert parsed.new_text == (
        "Sziasztok!\n\nKöszönöm a választ. Akkor kérem a teljes fiókom törlését is."
        "\n\nÜdv,\nNagy Péter"
    )
    assert parsed.quoted_text.startswith("2025. márc. 3., hétfő 10:12 időpontban")
    assert "> Az adatait helyesbítettük." in parsed.quoted_text
    assert parsed.in_reply_to == "<case-100@clmaster.eu>"
    assert parsed.references == ("<case-099@clmaster.eu>", "<case-100@clmaster.eu>")
    assert parsed.message_id == "<CAF=gmail-reply-hu@mail.gmail.example>"


def test_mixed_message_lists_attachments_with_decoded_names_and_sizes() -> None:
    """GIVEN multipart/mixed with a PDF (RFC 2231 name) and an image (RFC 2047 name)
    WHEN it is parsed
    THEN both attachments are listed with decoded names, types and decoded sizes.
    """
    parsed = load("en_mixed_pdf_attachment.eml")

    assert parsed.attachments == (
        Attachment("személyi igazolvány – John.pdf", "application/pdf", 77),
        Attachment("lakcímkártya.jpg", "image/jpeg", 1024),
    )
    assert "A copy of my ID card is attached" in parsed.new_text
    assert "This is a multi-part message" not in parsed.body_text
    assert parsed.cc == (
        Address("Legal Team", "legal@example.co.uk"),
        Address("", "backup@example.co.uk"),
    )
    assert parsed.reply_to == (Address("John Smith", "j.smith+gdpr@example.co.uk"),)
    assert parsed.date is not None
    assert parsed.date.astimezone(UTC) == datetime(2025, 3, 8, 17, 0, tzinfo=UTC)


def test_rfc2047_words_split_inside_a_character_are_joined() -> None:
    """GIVEN a subject whose base64 words split a UTF-8 character, and encoded display names
    WHEN it is parsed
    THEN the subject and names decode without replacement characters.
    """
    parsed = load("rfc2047_split_words.eml")

    assert parsed.subject == "Személyes adatok – törlési kérelem (ŐŰ)"
    assert parsed.from_address == Address("Tóth Árpád", "toth.arpad@example.hu")
    assert [a.name for a in parsed.to] == ["Infó, Cloudmaster", "Szabó Ilona"]
    assert "\ufffd" not in parsed.subject


@pytest.mark.parametrize("name", ["hu_auto_reply.eml", "en_out_of_office.eml"])
def test_auto_replies_are_flagged(name: str) -> None:
    """GIVEN an out-of-office reply (Auto-Submitted or X-Autoreply and a typical subject)
    WHEN it is parsed
    THEN is_auto_reply is set and is_bounce is not.
    """
    parsed = load(name)

    assert parsed.is_auto_reply is True
    assert parsed.is_bounce is False


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("Subject: Request\nPrecedence: bulk\n", True),
        ("Subject: Request\nPrecedence: junk\n", True),
        ("Subject: Request\nAuto-Submitted: auto-generated\n", True),
        ("Subject: Request\nX-Autorespond: yes\n", True),
        ("Subject: =?utf-8?Q?H=C3=A1zon_k=C3=ADv=C3=BCl:_adatok?=\n", True),
        ("Subject: Automatic reply: Data\n", True),
        ("Subject: Request\nAuto-Submitted: no\n", False),
        ("Subject: Question about your out of office policy\n", False),
    ],
)
def test_auto_reply_signals(headers: str, expected: bool) -> None:
    """GIVEN a message with one auto-reply signal (or a decoy)
    WHEN it is parsed
    THEN is_auto_reply follows the signal.
    """
    assert parse_message(message(headers)).is_auto_reply is expected


def test_delivery_status_report_is_a_bounce() -> None:
    """GIVEN a multipart/report; report-type=delivery-status from MAILER-DAEMON
    WHEN it is parsed
    THEN is_bounce is set and the human-readable part is the body.
    """
    parsed = load("dsn_bounce.eml")

    assert parsed.is_bounce is True
    assert "could not\nbe delivered to one or more recipients" in parsed.body_text
    assert "Reporting-MTA" not in parsed.body_text
    assert parsed.from_address == Address("Mail Delivery System", "mailer-daemon@mx.clmaster.eu")


def test_postmaster_failure_notice_in_hungarian_is_a_bounce() -> None:
    """GIVEN a plain "Kézbesítési hiba" notice from postmaster
    WHEN it is parsed
    THEN is_bounce is set; an ordinary message from a person is not a bounce.
    """
    assert load("hu_postmaster_bounce.eml").is_bounce is True
    assert load("hu_erasure_8bit_utf8.eml").is_bounce is False


def test_outlook_english_reply_separates_history_and_contact_block() -> None:
    """GIVEN an Outlook top-posted reply with a From/Sent/To/Subject block and a contact block
    WHEN it is parsed
    THEN the request stays new, the history is quoted, and the contact lines are the signature.
    """
    parsed = load("en_outlook_reply.eml")

    assert parsed.new_text == (
        "Hi,\n\nI confirm the request. Please also stop sending me marketing emails."
        "\n\nBest regards,\nEmma Wilson"
    )
    assert parsed.quoted_text.splitlines()[1] == "From: Cloudmaster Support <info@clmaster.eu>"
    assert "please confirm that you sent the request below." in parsed.quoted_text
    assert parsed.signature == "Head of Procurement\nContoso Ltd.\n+44 20 7946 0958"


def test_outlook_hungarian_reply_in_windows_1250_qp() -> None:
    """GIVEN a Hungarian Outlook reply (Feladó/Elküldve) in windows-1250 quoted-printable
    WHEN it is parsed
    THEN subject, new text, history and signature are decoded and separated.
    """
    parsed = load("hu_outlook_reply_win1250.eml")

    assert parsed.subject == "VÁ: Hírlevél"
    assert "hírlevél-feliratkozásomat töröljék" in parsed.new_text
    assert parsed.new_text.endswith("Üdvözlettel,\nFehér Gyöngyi")
    assert parsed.quoted_text.startswith("Feladó: Cloudmaster Ügyfélszolgálat")
    assert "hírlevelünk megújult" in parsed.quoted_text
    assert parsed.signature.endswith("Tel.: +36 1 234 5678")


def test_gmail_english_flowed_reply() -> None:
    """GIVEN a format=flowed Gmail reply with a wrapped "On ... wrote:" and > quotes
    WHEN it is parsed
    THEN soft line breaks are joined and the quote (with its "--") is not a signature.
    """
    parsed = load("en_gmail_reply.eml")

    assert parsed.new_text == (
        "Yes, I made the request. Please go ahead and erase my account and all order history."
        "\n\nThanks,\nAlex"
    )
    assert parsed.quoted_text.startswith("On Fri, 14 Mar 2025 at 09:00, Cloudmaster Support")
    assert "> please confirm that you sent the erasure request." in parsed.quoted_text
    assert parsed.signature == ""


def test_iphone_reply_with_older_gmail_hungarian_attribution() -> None:
    """GIVEN a reply with "Küldve iPhone-ról" and "X ezt írta (időpont: ...)"
    WHEN it is parsed
    THEN the phone line is the signature and the attribution starts the quote.
    """
    parsed = load("hu_iphone_reply.eml")

    assert parsed.new_text == "Rendben, kérem az adataimat CSV formátumban."
    assert parsed.signature == "Küldve iPhone-ról"
    assert parsed.quoted_text.startswith(
        "Cloudmaster Ügyfélszolgálat <info@clmaster.eu> ezt írta (időpont: 2025. márc. 14."
    )


def test_trace_headers_are_kept_in_order_topmost_first() -> None:
    """GIVEN two Received and two Authentication-Results headers, folded
    WHEN it is parsed
    THEN their raw values are kept unfolded, topmost first.
    """
    parsed = load("trace_headers.eml")

    assert len(parsed.authentication_results) == 2
    assert parsed.authentication_results[0].startswith("mx.clmaster.eu;")
    assert "dmarc=pass (p=REJECT) header.from=example.hu" in parsed.authentication_results[0]
    assert parsed.authentication_results[1] == "mail.example.hu; auth=pass smtp.auth=kovacs"
    assert [r.split()[1] for r in parsed.received] == ["mail.example.hu", "[192.0.2.10]"]
    assert not any("\n" in value for value in parsed.received + parsed.authentication_results)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.eml")), ids=lambda p: p.name)
def test_every_section_comes_from_the_body(path: Path) -> None:
    """GIVEN any fixture
    WHEN it is parsed
    THEN every line of new text, quote and signature is a line of body_text, and it serialises.
    """
    parsed = parse_message(path.read_bytes())

    body_lines = {line.strip() for line in parsed.body_text.splitlines()}
    for section in (parsed.new_text, parsed.quoted_text, parsed.signature):
        assert {line.strip() for line in section.splitlines()} <= body_lines
    assert parsed.new_text
    assert json.loads(json.dumps(parsed.to_json()))["subject"] == parsed.subject
