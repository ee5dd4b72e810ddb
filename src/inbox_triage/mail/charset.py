"""Turning bytes of unknown or untrusted charset into text.

Customers write from old Hungarian mail clients that send ISO-8859-2 or
windows-1250 text undeclared, or declared as ISO-8859-1 (which would turn
ő/ű into õ/û), so a declared charset is a hint to be checked, not a fact.
Nothing here raises on bad input: the worst case is replacement characters
plus a defect string explaining what happened.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

#: Names seen in real mail that Python does not know, mapped to a codec.
_ALIASES = {
    "utf8mb4": "utf-8",
    "utf-8mb4": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode20utf8": "utf-8",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "ks_c_5601-1987": "cp949",
    "gb2312": "gb18030",
    "x-gbk": "gbk",
    "x-sjis": "shift_jis",
    "x-mac-ce": "mac-latin2",
}
#: Codecs replaced by a superset that decodes what real senders mean.
_SUPERSETS = {"iso8859-1": "cp1252"}
#: Codecs that are text codecs to Python but never a real mail charset.
_REFUSED = {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"}
#: Codecs charset-normalizer may pick for any Western/Central European text;
#: the Hungarian heuristic below chooses among them more reliably.
_EUROPEAN_8BIT = frozenset(
    codecs.lookup(name).name
    for name in (
        "latin_1", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9", "iso8859_10",
        "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "cp1250", "cp1252",
        "cp1254", "cp1257", "cp850", "cp852", "mac_latin2", "mac_roman", "mac_iceland",
        "cp437", "cp858", "ascii",
    )
)  # fmt: skip
#: Bytes that are ő ű Ő Ű in ISO-8859-2/windows-1250 but õ û Õ Û in Latin-1.
_HUNGARIAN_BYTES = re.compile(rb"[\xf5\xfb\xd5\xdb]")
#: Bytes that are common Western letters in Latin-1 (à è ñ ù ì ò å æ ø ã, upper
#: case too) but unusual letters (ŕ č ń ů ě ň ĺ ć ř ă) in windows-1250.
_WESTERN_BYTES = re.compile(rb"[\xe0\xe8\xf1\xf9\xec\xf2\xe5\xe6\xf8\xe3\xc0\xc8\xd1\xd9\xcc\xd2]")
#: The C1 range: control codes in ISO-8859-x, typographic marks in windows-125x.
_C1_BYTES = re.compile(rb"[\x80-\x9f]")
_DETECT_SAMPLE = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Decoded:
    """Decoded text, the codec actually used, and a defect if anything was off."""

    text: str
    charset: str
    defect: str | None = None


def clean_text(text: str) -> str:
    """Text safe to store and serialise: no NUL or other control bytes, no lone surrogates."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def lookup_codec(name: str | None) -> str | None:
    """The Python codec name for a declared charset, or None when unusable."""
    if not name:
        return None
    cleaned = name.strip().strip("\"'").lower()
    cleaned = _ALIASES.get(cleaned, cleaned)
    try:
        info = codecs.lookup(cleaned)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None
    return _SUPERSETS.get(info.name, info.name)


def legacy_8bit_codec(data: bytes) -> str:
    """Pick windows-1250, ISO-8859-2 or windows-1252 for non-UTF-8 8-bit bytes.

    Hungarian is the expected language: ő/ű bytes vote Central European,
    Western-only letters vote windows-1252; C1-range bytes (typographic
    quotes in windows-1250) separate windows-1250 from ISO-8859-2.
    """
    hungarian, western = _votes(data)
    if western > hungarian:
        return "cp1252"
    if _C1_BYTES.search(data):
        return "cp1250"
    return "iso8859-2"


def _votes(data: bytes) -> tuple[int, int]:
    """Counts of bytes voting Hungarian (ő/ű) and Western (à/è/ñ...) readings."""
    return len(_HUNGARIAN_BYTES.findall(data)), len(_WESTERN_BYTES.findall(data))


def decode_8bit_header(data: bytes) -> str:
    """Decode raw 8-bit header bytes: UTF-8 when valid, else the legacy heuristic."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(legacy_8bit_codec(data), errors="replace")


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Decode a body: honour a usable declared charset, detect otherwise."""
    if data.isascii():
        return Decoded(data.decode("ascii"), "ascii")
    codec = lookup_codec(declared)
    label = (declared or "").strip()[:40]
    if codec is not None and codec != "ascii":
        return _decode_declared(data, codec, label)
    found = detect(data)
    if not declared:
        reason = "8-bit text without a declared charset"
    elif codec == "ascii":
        reason = f"8-bit bytes in text declared {label!r}"
    else:
        reason = f"unknown charset {label!r}"
    return Decoded(found.text, found.charset, found.defect or f"{reason}; detected {found.charset}")


def _decode_declared(data: bytes, codec: str, label: str) -> Decoded:
    """Decode with a known codec, correcting the usual Hungarian mislabels."""
    if codec == "utf-8":
        return _decode_utf8_or_detect(data, f"invalid UTF-8 for declared {label!r}")
    if codec in _EUROPEAN_8BIT and _is_utf8(data):
        # Non-ASCII bytes that form valid UTF-8 are practically never legacy 8-bit text.
        return Decoded(data.decode("utf-8"), "utf-8", f"declared charset {label!r} holds UTF-8")
    if codec in ("cp1252", "iso8859-15") and _looks_hungarian(data):
        central = legacy_8bit_codec(data)
        return Decoded(
            data.decode(central, errors="replace"),
            central,
            f"declared charset {label!r} holds Central European text; decoded as {central}",
        )
    if codec == "iso8859-2" and _C1_BYTES.search(data):
        codec = "cp1250"
    try:
        return Decoded(data.decode(codec), codec)
    except UnicodeDecodeError:
        pass
    except Exception:  # a broken codec must not break parsing
        return detect(data)
    if codec == "cp1252":
        return Decoded(data.decode("latin-1"), "latin-1")
    return Decoded(
        data.decode(codec, errors="replace"),
        codec,
        f"bytes not valid in declared charset {label!r} were replaced",
    )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _looks_hungarian(data: bytes) -> bool:
    """True when Latin-1 decoding would show more õ/û than other accented letters."""
    hungarian, western = _votes(data)
    return hungarian > western


def _decode_utf8_or_detect(data: bytes, defect: str) -> Decoded:
    """UTF-8 if (nearly) valid, since a stray bad byte is likelier than mislabelling."""
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    errors = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    multibyte = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    if multibyte >= errors:
        return Decoded(text, "utf-8", f"{defect}; {errors} bad byte sequence(s) replaced")
    found = detect(data)
    return Decoded(found.text, found.charset, f"{defect}; decoded as {found.charset}")


def detect(data: bytes) -> Decoded:
    """Detect the charset of undeclared bytes: UTF-8 first, then charset-normalizer."""
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    codec = _normalizer_guess(data[:_DETECT_SAMPLE])
    if codec is None or codec in _EUROPEAN_8BIT:
        codec = legacy_8bit_codec(data)
    try:
        return Decoded(data.decode(codec), codec)
    except Exception:  # fall back to the legacy heuristic below
        fallback = legacy_8bit_codec(data)
        return Decoded(
            data.decode(fallback, errors="replace"),
            fallback,
            f"charset could not be determined; decoded as {fallback} with replacements",
        )


def _normalizer_guess(sample: bytes) -> str | None:
    """charset-normalizer's best guess as a Python codec name, or None."""
    try:
        best = charset_normalizer.from_bytes(sample).best()
    except Exception:  # detection is advisory only
        return None
    if best is None:
        return None
    return lookup_codec(best.encoding)
