"""Charset decoding: declared charsets checked, undeclared ones detected, Hungarian first."""

from __future__ import annotations

import pytest

from inbox_triage.mail.charset import (
    decode_8bit_header,
    decode_bytes,
    legacy_8bit_codec,
    lookup_codec,
)

TEXT = "Árvíztűrő tükörfúrógép: kérem törölni Őry Űrsula adatait."


@pytest.mark.parametrize("encoding", ["iso-8859-2", "windows-1250"])
@pytest.mark.parametrize("declared", [None, "iso-8859-1", "us-ascii", "x-unknown", "rot13"])
def test_central_european_bytes_decode_right_whatever_the_label(
    encoding: str, declared: str | None
) -> None:
    """GIVEN Hungarian text in ISO-8859-2 or windows-1250, undeclared or mislabelled
    WHEN it is decoded
    THEN ő/ű come out right and the label problem is reported.
    """
    decoded = decode_bytes(TEXT.encode(encoding), declared)

    assert decoded.text == TEXT
    assert decoded.defect


@pytest.mark.parametrize("declared", ["utf-8", "UTF8", "utf8mb4", None])
def test_utf8_is_preferred_when_it_decodes_cleanly(declared: str | None) -> None:
    """GIVEN UTF-8 bytes declared as utf-8 (or an alias) or undeclared
    WHEN they are decoded
    THEN the result is exact UTF-8 text.
    """
    decoded = decode_bytes(TEXT.encode(), declared)

    assert (decoded.text, decoded.charset) == (TEXT, "utf-8")


def test_one_bad_byte_keeps_utf8() -> None:
    """GIVEN UTF-8 text with a single stray invalid byte
    WHEN it is decoded as the declared utf-8
    THEN the text stays UTF-8 with one replacement character, reported.
    """
    decoded = decode_bytes(TEXT.encode() + b"\xff", "utf-8")

    assert decoded.text == TEXT + "\ufffd"
    assert decoded.defect is not None and "1 bad byte" in decoded.defect


def test_western_text_is_not_forced_into_central_european() -> None:
    """GIVEN French windows-1252 text, undeclared, and Portuguese Latin-1 text, declared
    WHEN they are decoded
    THEN accents stay Western.
    """
    french = "Très cordialement, Hélène à Paris"
    portuguese = "informações não"

    assert decode_bytes(french.encode("cp1252")).text == french
    assert decode_bytes(portuguese.encode("latin-1"), "iso-8859-1").text == portuguese


def test_windows_1250_declared_as_iso_8859_2_keeps_typographic_quotes() -> None:
    """GIVEN windows-1250 text with „quotes” and – dashes declared as ISO-8859-2
    WHEN it is decoded
    THEN the punctuation is decoded as windows-1250 instead of control codes.
    """
    text = "A „hírlevél” – törlés"

    assert decode_bytes(text.encode("cp1250"), "iso-8859-2").text == text


def test_codec_lookup_refuses_non_text_codecs() -> None:
    """GIVEN charset names that are Python codecs but not text encodings, or unknown
    WHEN they are looked up
    THEN none is usable, while real aliases resolve.
    """
    assert [lookup_codec(n) for n in ("rot13", "base64", "unicode_escape", "x-unknown")] == [
        None,
        None,
        None,
        None,
    ]
    assert lookup_codec("latin2") == "iso8859-2"
    assert lookup_codec('"Windows-1250"') == "cp1250"
    assert lookup_codec("iso-8859-1") == "cp1252"


def test_header_bytes_and_legacy_codec_choice() -> None:
    """GIVEN raw header bytes in UTF-8, windows-1250 and ISO-8859-2
    WHEN they are decoded
    THEN each gives the Hungarian name, choosing windows-1250 only for its C1 bytes.
    """
    name = "Kőrösi Csoma Sándor"

    assert decode_8bit_header(name.encode()) == name
    assert decode_8bit_header(name.encode("cp1250")) == name
    assert legacy_8bit_codec("„ő”".encode("cp1250")) == "cp1250"
    assert legacy_8bit_codec("ő".encode("iso-8859-2")) == "iso8859-2"
