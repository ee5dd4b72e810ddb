"""Hypothesis strategies for hostile raw mail: structured enough to reach deep into the
parser (multiparts, encodings, charsets, encoded words, address lists, trace headers),
hostile enough to break it (NUL, invalid UTF-8, CR/LF smuggling, lying labels, cut input).
"""

from __future__ import annotations

import base64
import quopri

from hypothesis import strategies as st

CHARSETS = (
    "utf-8", "UTF8", "iso-8859-1", "iso-8859-2", "windows-1250", "us-ascii", "utf-16",
    "utf-7", "koi8-r", "shift_jis", "x-unknown", "", "\"utf-8", "utf-8\x00", "idna",
    "unicode-escape", "rot13", "base64", "zlib", "cp1006",
)  # fmt: skip
HEADER_NAMES = (
    "From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To",
    "References", "Received", "Authentication-Results", "Auto-Submitted", "Precedence",
    "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version",
    "X-Autoreply", "Return-Path", "Sender",
)  # fmt: skip
SPECIALS = ["\r\n", "\r", "\n", "\x00", "\t", "\ufffd", "\udcff", ":", ";", "@", "<", ">",
            "\"", "(", ")", ",", "\\", "=?", "?=", "\u202e", "Bcc: evil@example.com"]  # fmt: skip
WORDS = ["Kérem", "töröljék", "adataimat", "személyes", "hozzáférés", "erase", "my", "data",
         "GDPR-2026-0001", "janos.kovacs@example.hu", "Re:", "Fwd:", "árvíztűrő", "ŐŰ"]  # fmt: skip

_text = st.lists(st.one_of(st.sampled_from(WORDS + SPECIALS), st.text(max_size=12)), max_size=12)


def _encode(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset or "utf-8", "surrogateescape")
    except (LookupError, UnicodeError, TypeError, ValueError):
        return text.encode("utf-8", "surrogatepass")


@st.composite
def hostile_text(draw: st.DrawFn) -> bytes:
    """Words, specials and arbitrary text, joined and encoded in some charset."""
    text = " ".join(draw(_text))
    return _encode(text, draw(st.sampled_from(CHARSETS)))


@st.composite
def encoded_word(draw: st.DrawFn) -> bytes:
    """An RFC 2047 encoded word, valid or broken."""
    charset = draw(st.sampled_from(CHARSETS)).replace("?", "")
    data = draw(hostile_text())
    if draw(st.booleans()):
        payload = base64.b64encode(data)
        payload = payload[: draw(st.integers(0, len(payload)))]
        kind = b"B"
    else:
        payload = quopri.encodestring(data, header=True).replace(b"?", b"=3F")
        kind = b"Q"
    end = draw(st.sampled_from([b"?=", b"", b"?"]))
    return b"=?" + charset.encode("utf-8", "replace") + b"?" + kind + b"?" + payload + end


@st.composite
def header_value(draw: st.DrawFn) -> bytes:
    """A header value: plain, encoded words, addresses, ids, dates, params, or raw bytes."""
    pieces = draw(
        st.lists(
            st.one_of(
                hostile_text(),
                encoded_word(),
                st.binary(max_size=40),
                st.sampled_from([
                    b"<a@b.example>", b"Name <x@y.hu>", b"\"quoted, name\" <q@x.hu>",
                    b"group: a@b.hu, c@d.hu;", b"Mon, 2 Mar 2026 09:00:00 +0100",
                    b"32 Foo 99999 99:99:99 +9999", b"mx.clmaster.eu; dkim=pass header.d=x.hu",
                    b"text/plain; charset=", b"multipart/mixed; boundary=", b"attachment; "
                    b"filename*=utf-8''%FF%0D%0A.txt", b"(((((", b"\"unterminated",
                    b"\r\n\t", b"\r\n \r\n ", b"\n", b"\r", b"\x00",
                ]),
            ),
            max_size=6,
        )
    )  # fmt: skip
    return b" ".join(pieces)


@st.composite
def header_block(draw: st.DrawFn, extra: list[tuple[str, bytes]] | None = None) -> bytes:
    """Header lines, some repeated or missing, with CRLF, LF or bare CR line ends."""
    names = st.one_of(st.sampled_from(HEADER_NAMES), st.from_regex(r"\A[!-9;-~]{1,20}\Z"))
    fields = draw(st.lists(st.tuples(names, header_value()), max_size=12))
    fields = [
        (n, v) for n, v in fields if n.lower() not in {"content-type", "content-transfer-encoding"}
    ]
    fields += extra or []
    end = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    return b"".join(
        name.encode("utf-8", "surrogateescape") + b": " + value + end for name, value in fields
    )


@st.composite
def leaf_part(draw: st.DrawFn) -> tuple[list[tuple[str, bytes]], bytes]:
    """A single part's MIME headers and body, encoded (or mis-encoded) some way."""
    content_type = draw(st.sampled_from([
        "text/plain", "text/html", "application/pdf", "message/rfc822", "text/rfc822-headers",
        "message/delivery-status", "image/png", "text/plain; format=flowed; delsp=yes",
    ]))  # fmt: skip
    charset = draw(st.sampled_from(CHARSETS))
    body = draw(st.one_of(hostile_text(), st.binary(max_size=300)))
    if content_type == "text/html":
        body = b"<html><body><p>" + body + b"<br><blockquote>" + body + b"</blockquote></body>"
    cte = draw(st.sampled_from(["", "7bit", "8bit", "base64", "quoted-printable", "x-uuencode",
                                "binary", "bogus"]))  # fmt: skip
    if cte == "base64":
        body = base64.encodebytes(body)
        body = body[: draw(st.integers(0, len(body)))]
    elif cte == "quoted-printable":
        body = quopri.encodestring(body) + draw(st.sampled_from([b"", b"=", b"=Z", b"=\r\n"]))
    headers = [
        ("Content-Type", f"{content_type}; charset={charset}".encode("utf-8", "surrogateescape"))
    ]
    if cte:
        headers.append(("Content-Transfer-Encoding", cte.encode()))
    if draw(st.booleans()):
        headers.append(("Content-Disposition", draw(header_value())))
    return headers, body


def _multipart(children: st.SearchStrategy) -> st.SearchStrategy:
    @st.composite
    def build(draw: st.DrawFn) -> tuple[list[tuple[str, bytes]], bytes]:
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "signed",
                                        "encrypted", "digest"]))  # fmt: skip
        boundary = draw(st.sampled_from([b"b1", b"b1", b"", b"\xff\xfe", b"a b", b"=_x?", b"--"]))
        boundary += str(draw(st.integers(0, 999))).encode()
        parts = draw(st.lists(children, max_size=4))
        body = b"preamble\r\n"
        for headers, content in parts:
            lines = b"".join(n.encode() + b": " + v + b"\r\n" for n, v in headers)
            body += b"--" + boundary + b"\r\n" + lines + b"\r\n" + content + b"\r\n"
        if draw(st.booleans()):
            body += b"--" + boundary + b"--\r\nepilogue"
        value = b"multipart/" + subtype.encode() + b'; boundary="' + boundary + b'"'
        if subtype == "report":
            value += b"; report-type=delivery-status"
        return [("Content-Type", value)], body

    return build()


mime_tree = st.recursive(leaf_part(), _multipart, max_leaves=8)


@st.composite
def raw_messages(draw: st.DrawFn) -> bytes:
    """A whole raw message, sometimes mutated afterwards (NUL, truncation, duplication)."""
    part_headers, body = draw(mime_tree)
    head = draw(header_block(extra=[(n, v) for n, v in part_headers]))
    raw = head + draw(st.sampled_from([b"\r\n", b"\n", b""])) + body
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(raw)))
        action = draw(st.sampled_from(["nul", "cut", "insert", "flip"]))
        if action == "nul":
            raw = raw[:position] + b"\x00" + raw[position:]
        elif action == "cut":
            raw = raw[:position]
        elif action == "insert":
            raw = raw[:position] + draw(st.binary(max_size=20)) + raw[position:]
        elif raw and position < len(raw):
            raw = raw[:position] + bytes([raw[position] ^ 0x80]) + raw[position + 1 :]
    return raw


any_bytes = st.binary(max_size=4000)
messages = st.one_of(raw_messages(), any_bytes)
