"""Fuzz target for the MIME parser and the whole processing of a raw message.

No atheris: a plain loop that, for a given number of seconds, takes the .eml
fixtures in tests/fixtures/mail (malformed ones included), mutates them (bit
flips, NUL/CR/LF/8-bit bytes, cut, duplicated or spliced chunks, injected
header lines, lying charset labels, wrapping in multiparts, repeated lines)
and feeds each result to the target:

- `parse`: `parse_message` must return a ParsedMail whose every string is
  valid UTF-8 without NUL and whose one-line fields hold no line breaks;
- `pipeline`: the message is stored (SQLite in a temp dir) and processed;
  it must end `processed`, or `failed` with its stage and error.

Any exception or broken invariant is reported with the iteration and its
seed, and the input is written to --crashes. Exit status 1 if anything was
found. The run is reproducible from --seed.

    python bench/fuzz_parse.py [--seconds 10] [--seed 1] [--target parse|pipeline] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from inbox_triage.mail.parse import parse_message  # noqa: E402
from inbox_triage.mail.parsed import ParsedMail  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "mail"
MAX_SIZE = 2 * 1024 * 1024
TOKENS = [
    b"\x00", b"\r", b"\n", b"\r\n", b"\r\n\r\n", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbf\xbd",
    b"=?utf-8?Q?", b"=?iso-8859-2?B?", b"?=", b"=0D=0A", b"--", b"boundary=", b"charset=",
    b"\"", b"(", b")", b"<", b">", b"@", b":", b";", b",", b"\\", b"=", b"\t", b"%0D%0A",
    b"Content-Type: multipart/mixed; boundary=x\r\n", b"Content-Transfer-Encoding: base64\r\n",
    b"Authentication-Results: mx.clmaster.eu; dmarc=pass\r\n", b"Bcc: evil@example.com\r\n",
]  # fmt: skip
HEADERS = [
    b"Content-Type: text/plain; charset=%s\r\n", b"Content-Type: multipart/%s; boundary=zz\r\n",
    b"Content-Transfer-Encoding: %s\r\n", b"From: %s <a@b.hu>\r\n", b"Subject: =?%s?Q?x?=\r\n",
    b"Authentication-Results: %s; dkim=pass\r\n", b"Received: from %s by mx; 1 Jan 2026\r\n",
    b"Content-Disposition: attachment; filename*=%s''%%FF.txt\r\n", b"Auto-Submitted: %s\r\n",
]  # fmt: skip
WORDS = [
    b"utf-8",
    b"iso-8859-2",
    b"utf-16",
    b"x-unknown",
    b"",
    b"mixed",
    b"report",
    b"base64",
    b"quoted-printable",
    b"\xff\xfe",
    b"a\r\nb",
    b"((((",
    b"\x00",
    b"idna",
    b"unicode-escape",
]


def load_corpus(directory: Path) -> list[bytes]:
    """Every .eml file below `directory`, sorted by path (the run is reproducible)."""
    files = sorted(directory.rglob("*.eml"))
    if not files:
        raise SystemExit(f"no .eml fixtures under {directory}")
    return [path.read_bytes() for path in files]


def mutate(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    """Apply 1-4 random mutations; the result is at most MAX_SIZE bytes."""
    for _ in range(rng.randint(1, 4)):
        data = MUTATORS[rng.randrange(len(MUTATORS))](data, corpus, rng)[:MAX_SIZE]
    return data


def _position(data: bytes, rng: random.Random) -> int:
    return rng.randint(0, len(data))


def _flip(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    if not data:
        return data
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        buffer[rng.randrange(len(buffer))] ^= 1 << rng.randrange(8)
    return bytes(buffer)


def _insert_token(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    at = _position(data, rng)
    return data[:at] + rng.choice(TOKENS) * rng.choice([1, 1, 2, 50]) + data[at:]


def _cut(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    start = _position(data, rng)
    return (
        data[:start] + data[start + rng.randint(1, 200) :] if rng.random() < 0.7 else data[:start]
    )


def _duplicate(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    start = _position(data, rng)
    chunk = data[start : start + rng.randint(1, 400)]
    return data[:start] + chunk * rng.randint(2, 20) + data[start:]


def _splice(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    other = rng.choice(corpus)
    return data[: _position(data, rng)] + other[_position(other, rng) :]


def _inject_header(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    line = rng.choice(HEADERS) % rng.choice(WORDS)
    end = data.find(b"\n\n") if rng.random() < 0.5 else 0
    at = max(end, 0)
    return data[:at] + (b"\n" if at else b"") + line + data[at:]


def _relabel(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    return data.replace(b"charset=", b"charset=" + rng.choice(WORDS) + b";x=", 1)


def _wrap(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    depth = rng.choice([1, 2, 10, 300])
    head = b"".join(b"Content-Type: multipart/mixed; boundary=w%d\r\n\r\n--w%d\r\n" % (n, n)
                    for n in range(depth))  # fmt: skip
    tail = b"".join(b"\r\n--w%d--\r\n" % n for n in reversed(range(depth)))
    return b"From: w@x.hu\r\n" + head + data + tail


def _repeat_line(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    index = rng.randrange(len(lines))
    lines[index:index] = [lines[index]] * rng.choice([10, 1000, 20000])
    return b"\n".join(lines)


def _line_ends(data: bytes, corpus: list[bytes], rng: random.Random) -> bytes:
    return data.replace(b"\r\n", rng.choice([b"\n", b"\r", b"\n\r", b"\r\r\n"]))


MUTATORS: list[Callable[[bytes, list[bytes], random.Random], bytes]] = [
    _flip, _insert_token, _cut, _duplicate, _splice, _inject_header, _relabel, _wrap,
    _repeat_line, _line_ends,
]  # fmt: skip


def check_parsed(parsed: ParsedMail) -> None:
    """The invariants of every ParsedMail: storable, and one-line fields on one line."""
    if not isinstance(parsed, ParsedMail):
        raise AssertionError(f"parse_message returned {type(parsed).__name__}")
    encoded = json.dumps(parsed.to_json(), ensure_ascii=False).encode("utf-8")
    if b"\\u0000" in encoded:
        raise AssertionError("NUL in a parsed field")
    one_line = [parsed.subject, parsed.message_id or "", parsed.in_reply_to or "",
                *parsed.references, *(a.filename for a in parsed.attachments),
                *(a.content_type for a in parsed.attachments)]  # fmt: skip
    for address in (parsed.from_address, *parsed.to, *parsed.cc, *parsed.reply_to):
        if address is not None:
            one_line += [address.name, address.address]
    for value in one_line:
        if "\r" in value or "\n" in value:
            raise AssertionError(f"line break in a one-line field: {value[:80]!r}")


def parse_target() -> Callable[[bytes], None]:
    return lambda raw: check_parsed(parse_message(raw))


def pipeline_target(workdir: Path) -> Callable[[bytes], None]:
    """Store and process each input in a fresh SQLite database."""
    from inbox_triage.config import load_settings
    from inbox_triage.context import AppContext
    from inbox_triage.db.migrate import upgrade
    from inbox_triage.db.models import Message
    from inbox_triage.intake.store import store_raw
    from inbox_triage.pipeline import Processor

    environ = {
        "INBOX_TRIAGE_DATA_DIR": str(workdir),
        "INBOX_TRIAGE_DATABASE_URL": f"sqlite:///{workdir}/fuzz.db",
    }
    settings = load_settings(environ=environ)
    app = AppContext.create(settings)
    upgrade(app.engine)
    logging.getLogger("inbox_triage").setLevel(logging.ERROR)  # failures are checked, not logged
    processor = Processor(app)

    def run(raw: bytes) -> None:
        stored = store_raw(app, raw, "cli")
        processor.process(stored.id)
        with app.sessions() as session:
            row = session.get(Message, stored.id)
            if row is None or row.state not in ("processed", "failed"):
                raise AssertionError(f"message left {row.state if row else 'missing'}")
            if row.state == "failed" and not (row.stage and row.error):
                raise AssertionError("failed without stage and error")
            if row.parsed is not None and "\\u0000" in json.dumps(row.parsed):
                raise AssertionError("NUL stored in parsed fields")

    return run


def case_input(corpus: list[bytes], case_seed: int) -> bytes:
    """The input of one iteration, rebuilt from its seed (see --replay)."""
    rng = random.Random(case_seed)
    return mutate(rng.choice(corpus), corpus, rng)


def fuzz(target: Callable[[bytes], None], corpus: list[bytes], seconds: float, seed: int,
         crashes: Path | None) -> dict[str, object]:  # fmt: skip
    """Run the loop; return the summary."""
    master = random.Random(seed)
    started = time.perf_counter()
    iterations, findings, slowest = 0, [], (0.0, 0)
    while time.perf_counter() - started < seconds:
        case_seed = master.getrandbits(64)
        raw = case_input(corpus, case_seed)
        began = time.perf_counter()
        try:
            target(raw)
        except Exception as error:  # a finding: record it and go on
            digest = hashlib.sha256(raw).hexdigest()[:16]
            findings.append({"iteration": iterations, "case_seed": case_seed, "sha256": digest,
                             "error": f"{type(error).__name__}: {error}"[:500],
                             "traceback": traceback.format_exc()[-2000:]})  # fmt: skip
            if crashes is not None:
                crashes.mkdir(parents=True, exist_ok=True)
                (crashes / f"crash-{digest}.eml").write_bytes(raw)
        took = time.perf_counter() - began
        if took > slowest[0]:
            slowest = (took, case_seed)
        iterations += 1
    elapsed = time.perf_counter() - started
    return {
        "iterations": iterations,
        "seconds": round(elapsed, 2),
        "iterations_per_second": round(iterations / elapsed, 1) if elapsed else 0.0,
        "slowest_seconds": round(slowest[0], 3),
        "slowest_case_seed": slowest[1],
        "exceptions": len(findings),
        "findings": findings[:20],
        "seed": seed,
        "corpus": len(corpus),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target", choices=["parse", "pipeline"], default="parse")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--crashes", type=Path, help="directory for inputs that broke the target")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--replay",
        type=int,
        metavar="CASE_SEED",
        help="write the input of one reported case seed to stdout and exit",
    )
    args = parser.parse_args(argv)
    corpus = load_corpus(args.corpus)
    if args.replay is not None:
        sys.stdout.buffer.write(case_input(corpus, args.replay))
        return 0
    with tempfile.TemporaryDirectory(prefix="inbox-triage-fuzz-") as workdir:
        target = parse_target() if args.target == "parse" else pipeline_target(Path(workdir))
        summary = fuzz(target, corpus, args.seconds, args.seed, args.crashes)
    summary["target"] = args.target
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{args.target}: {summary['iterations']} iterations in {summary['seconds']} s "
              f"({summary['iterations_per_second']}/s), slowest {summary['slowest_seconds']} s "
              f"(case seed {summary['slowest_case_seed']}), "
              f"{summary['exceptions']} exception(s)")  # fmt: skip
        for finding in summary["findings"]:  # type: ignore[union-attr]
            print(f"  iteration {finding['iteration']} (case seed {finding['case_seed']}): "
                  f"{finding['error']}")  # fmt: skip
    return 1 if summary["exceptions"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
