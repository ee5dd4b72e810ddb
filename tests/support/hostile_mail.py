"""Builders of pathological and hostile raw messages for the bad-input suites.

Each builder returns the exact bytes an attacker or a broken mail client could
send: huge bodies, absurd nesting, floods of header lines, NUL bytes, invalid
UTF-8, lying charset labels, forged Authentication-Results and header values
that try to smuggle in extra headers with CR/LF. The request text is a real
Hungarian erasure request, so a message that survives parsing intact should
still open a case.
"""

from __future__ import annotations

import base64
import uuid

MiB = 1024 * 1024
ERASURE_TEXT = "Kérem, hogy töröljék az összes személyes adatomat a nyilvántartásukból."
ACCESS_TEXT = "Kérem, küldjék el nekem a rólam tárolt összes személyes adatot."


def _id() -> bytes:
    return f"<{uuid.uuid4().hex}@example.hu>".encode()


def headers(
    sender: bytes = b"Kovacs Janos <janos.kovacs@example.hu>",
    subject: bytes = b"Adataim torlese",
    message_id: bytes | None = None,
    extra: bytes = b"",
) -> bytes:
    """A plausible top-level header block (without the blank separator line)."""
    return (
        b"From: " + sender + b"\r\n"
        b"To: info@clmaster.eu\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Date: Mon, 2 Mar 2026 09:00:00 +0100\r\n"
        b"Message-ID: " + (message_id or _id()) + b"\r\n"
        b"MIME-Version: 1.0\r\n" + extra
    )  # fmt: skip


def huge_text_body(
    size: int = 50 * MiB, sender: bytes = b"Nagy Anna <anna.nagy@example.hu>"
) -> bytes:
    """A text/plain message of `size` bytes: a request followed by megabytes of text."""
    line = (ERASURE_TEXT + " " + ERASURE_TEXT + "\r\n").encode()
    head = headers(sender=sender, subject=b"=?utf-8?Q?Adataim_t=C3=B6rl=C3=A9se?=") + (
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head + line * ((size - len(head)) // len(line) + 1)


def huge_attachment(size: int = 50 * MiB) -> bytes:
    """A short request with a base64 attachment that makes the message `size` bytes."""
    payload = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * (size * 3 // 8))
    payload = payload[: size - 2048].rsplit(b"\n", 1)[0] + b"\n"
    return (
        headers(sender=b"Szabo Peter <peter.szabo@example.hu>", subject=b"Adatkeres")
        + b"Content-Type: multipart/mixed; boundary=XYZ\r\n\r\n--XYZ\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + ACCESS_TEXT.encode() + b"\r\n"
        b"--XYZ\r\nContent-Type: image/png; name=scan.png\r\n"
        b"Content-Disposition: attachment; filename=scan.png\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + payload + b"--XYZ--\r\n"
    )  # fmt: skip


def huge_single_line(size: int = 50 * MiB) -> bytes:
    """A body that is one line of `size` bytes with no line break at all."""
    head = headers(sender=b"Toth Eva <eva.toth@example.hu>") + b"Content-Type: text/plain\r\n\r\n"
    word = b"adat" * 64
    return head + ERASURE_TEXT.encode() + b" " + word * ((size - len(head)) // len(word))


def nested_multiparts(depth: int = 1000) -> bytes:
    """`depth` multipart/mixed containers nested in each other, a text part at the bottom."""
    parts = [
        headers(sender=b"Kiss Bela <bela.kiss@example.hu>")
        + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    ]
    for level in range(1, depth):
        parts.append(
            b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level - 1, level)
        )
    parts.append(b"--b%d\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n" % (depth - 1))
    parts.extend(b"--b%d--\r\n" % level for level in reversed(range(depth)))
    return b"".join(parts)


def nested_messages(depth: int = 1000) -> bytes:
    """`depth` message/rfc822 parts each wrapping the next (a forward of a forward of ...)."""
    inner = b"Subject: innermost\r\nContent-Type: text/plain\r\n\r\ninnermost text\r\n"
    for _ in range(depth):
        inner = b"Subject: Fwd\r\nContent-Type: message/rfc822\r\n\r\n" + inner
    return headers(sender=b"Fekete Ida <ida.fekete@example.hu>") + inner


def many_header_lines(count: int = 100_000) -> bytes:
    """`count` header lines after the real ones: fillers, Received, Authentication-Results, To."""
    kinds = (
        b"X-Filler-%d: value %d\r\n",
        b"Received: from relay%d.example.net by mx; Mon, 2 Mar 2026 08:%02d:00 +0100\r\n",
        b"Authentication-Results: relay%d.example.net; dkim=pass header.d=example%d.hu\r\n",
        b"To: someone%d@example.hu, other%d@example.hu\r\n",
    )
    flood = b"".join(kinds[n % 4] % (n, n % 60) for n in range(count))
    return (
        headers(sender=b"Varga Zoltan <zoltan.varga@example.hu>", subject=b"Adataim torlese")
        + flood
        + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + ERASURE_TEXT.encode() + b"\r\n"
    )  # fmt: skip


def folded_header(lines: int = 100_000) -> bytes:
    """One Subject folded over `lines` continuation lines."""
    subject = b"Adataim torlese" + b"".join(b"\r\n folded-%d" % n for n in range(lines))
    return (
        headers(sender=b"Molnar Kata <kata.molnar@example.hu>", subject=subject)
        + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + ERASURE_TEXT.encode() + b"\r\n"
    )  # fmt: skip


def nul_bytes() -> bytes:
    """NUL bytes in every header (Message-ID included), in parameters, and in the body."""
    return (
        b"From: Kov\x00acs <janos\x00.kovacs@example.hu>\r\n"
        b"To: info@clmaster.eu\x00\r\n"
        b"Subject: Adataim\x00 torlese\r\n"
        b"Date: Mon, 2 Mar 2026 09:00:00\x00 +0100\r\n"
        b"Message-ID: <nul\x00" + uuid.uuid4().hex.encode() + b"@example.hu>\r\n"
        b"Received: from x\x00 by mx.clmaster.eu; Mon, 2 Mar 2026 09:00:00 +0100\r\n"
        b"Authentication-Results: mx.clmaster.eu\x00; dkim=pass\r\n"
        b"Content-Type: text/plain; charset=\"utf\x00-8\"; name=\"a\x00.txt\"\r\n\r\n"
        + "\x00".join(ERASURE_TEXT).encode() + b"\r\n\x00\x00\x00\r\n"
    )  # fmt: skip


def invalid_utf8_everywhere() -> bytes:
    """Invalid UTF-8 in addresses, subject, encoded words, ids, file names and the body."""
    bad = b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc\xed\xa0\x80\xef\xbf\xbe\xff\xfe"
    return (
        b"From: \xff\xfe\xc3 <j\xe9nos@exa\xffmple.hu>\r\n"
        b"To: \x80info@clmaster.eu\r\n"
        b"Subject: " + bad + b" =?utf-8?B?/w==?= =?utf-8?Q?=C3=28?=\r\n"
        b"Date: Mon, 2 Mar 2026 09:00:00 +0100\r\n"
        b"Message-ID: <\xed\xa0\x80" + uuid.uuid4().hex.encode() + b"@example.hu>\r\n"
        b"In-Reply-To: <\xf8\x88\x80\x80\x80@example.hu>\r\n"
        b"References: <\xc0\xaf@x> <\xe0\x80\xaf@y>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"8bit\"\r\n\r\n"
        b"--8bit\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + bad + b" K\xe9rem t\xf6r\xf6lj\xe9k az adataimat " + bad + b"\r\n"
        b"--8bit\r\nContent-Type: application/pdf; name*=utf-8''%FF%FE%C3%28.pdf\r\n"
        b'Content-Disposition: attachment; filename="\xff\xfe\xc3\x28.pdf"\r\n\r\n' + bad + b"\r\n"
        b"--8bit--\r\n"
    )  # fmt: skip


def mismatched_charsets() -> bytes:
    """Labels that lie: UTF-8 declared ISO-8859-2, Latin-2 declared UTF-8, unknown, UTF-16."""
    utf8 = ERASURE_TEXT.encode("utf-8")
    latin2 = ACCESS_TEXT.encode("iso-8859-2")
    return (
        headers(
            sender=b"=?iso-8859-2?Q?=C3=81rp=C3=A1d_Kov=C3=A1cs?= <arpad.kovacs@example.hu>",
            subject=b"=?iso-8859-1?Q?Adataim_t=C3=B6rl=C3=A9se?= =?x-unknown?Q?_k=E9r=E9s?=",
        )
        + b"Content-Type: multipart/mixed; boundary=CS\r\n\r\n"
        b"--CS\r\nContent-Type: text/plain; charset=iso-8859-2\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + utf8 + b"\r\n"
        b"--CS\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + latin2 + b"\r\n"
        b"--CS\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\n" + latin2 + b"\r\n"
        b"--CS\r\nContent-Type: text/plain; charset=utf-16\r\n\r\n" + latin2 + b"\r\n"
        b"--CS\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n<p>" + utf8 + b"</p>\r\n"
        b"--CS--\r\n"
    )  # fmt: skip


def authentication_results(values: list[bytes], sender: bytes, text: str = ACCESS_TEXT) -> bytes:
    """A request from `sender` carrying the given Authentication-Results values, top first."""
    trace = b"".join(b"Authentication-Results: " + value + b"\r\n" for value in values)
    return (
        trace
        + headers(sender=sender, subject=b"Adatkeres")
        + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + text.encode() + b"\r\n"
    )  # fmt: skip


def hostile_authentication_results() -> bytes:
    """Below our MTA's own (failing) verdict, values built to break a parser and to pass
    for a verdict: deep comments, broken quoting, NUL, 200 kB of methods, invalid UTF-8."""
    return authentication_results(
        [
            b"mx.clmaster.eu; dkim=none; spf=none; dmarc=none",
            b"mx.clmaster.eu; dmarc=pass (" + b"(" * 5000 + b" header.from=example.hu",
            b'mx.clmaster.eu\x00; dkim=pass header.d=example.hu "unterminated',
            b"; ; ;;= =; dkim=; =pass",
            b"mx.clmaster.eu; " + b"spf=pass smtp.mailfrom=example.hu; " * 6000,
            b"\xff\xfe; dkim=pass header.d=\xc3\x28.hu",
        ],
        sender=b"Kovacs Janos <janos.kovacs@example.hu>",
    )


def crlf_injection() -> bytes:
    """Header values that try to add headers or end the header block (bare CR, bare LF, encoded)."""
    reply_to = base64.b64encode(b"Evil\r\nBcc: victim@example.com\r\n")
    return (
        b"From: =?utf-8?Q?Janos=0D=0ABcc:_victim@example.com?= <janos.kovacs@example.hu>\r\n"
        b"To: info@clmaster.eu\r\n"
        b"Subject: =?utf-8?Q?Adataim_t=C3=B6rl=C3=A9se=0D=0ABcc:_evil@example.com"
        b"=0D=0A=0D=0Abody?=\r\n"
        b"Reply-To: =?utf-8?B?" + reply_to + b"?= <r@example.hu>\r\n"
        b"X-Bare-Cr: one\rBcc: cr@example.com\r\n"
        b"X-Bare-Lf: two\nBcc: lf@example.com\r\n"
        b"Date: Mon, 2 Mar 2026 09:00:00 +0100\r\n"
        b"Message-ID: <" + uuid.uuid4().hex.encode() + b"@example.hu>\r\n"
        b"In-Reply-To: =?utf-8?Q?<a@b>=0D=0AX-Evil:_1?=\r\n"
        b"Content-Type: text/plain; charset=utf-8; name*=utf-8''a%0D%0ABcc%3A%20x%40y.txt\r\n\r\n"
        + ERASURE_TEXT.encode() + b"\r\n.\r\n..\r\n"
    )  # fmt: skip


def over_long_sender() -> bytes:
    """A From whose display name is folded over 1,000 lines (5 kB) and whose address is 3 kB."""
    name = b"\r\n ".join([b"Nagy"] * 1000)
    return (
        headers(sender=name + b" <" + b"n" * 3000 + b"@example.hu>", subject=b"Adataim torlese")
        + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + ERASURE_TEXT.encode() + b"\r\n"
    )  # fmt: skip


def dense_html_parts(size: int = 50 * MiB, part_size: int = MiB) -> bytes:
    """A request followed by HTML parts of `part_size` dense markup, `size` bytes in all."""
    markup = b"<html><body>" + b"<div>x<br></div>" * (part_size // 16) + b"</body></html>"
    part = b"--H\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + markup + b"\r\n"
    head = (
        headers(sender=b"Lakatos Rita <rita.lakatos@example.hu>", subject=b"Adataim torlese")
        + b"Content-Type: multipart/mixed; boundary=H\r\n\r\n--H\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + ERASURE_TEXT.encode() + b"\r\n"
    )  # fmt: skip
    return head + part * (-(-(size - len(head)) // len(part))) + b"--H--\r\n"


def many_short_lines(size: int = 50 * MiB) -> bytes:
    """A format=flowed body of 13 million soft-broken one-letter lines (one endless paragraph)."""
    head = (
        headers(sender=b"Balogh Ede <ede.balogh@example.hu>", subject=b"Adataim torlese")
        + b"Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
        + ERASURE_TEXT.encode() + b"\r\n"
    )  # fmt: skip
    return head + b"x \r\n" * ((size - len(head)) // 4 + 1)
