"""parse_message on the real-world messages CPython ships for its own email tests."""

from __future__ import annotations

from pathlib import Path

from support.ci import missing

from inbox_triage.mail.parse import parse_message
from inbox_triage.mail.parsed import ParsedMail


def corpus_dir() -> Path:
    """The interpreter's test/test_email/data folder; fails under CI=true when absent."""
    try:
        import test  # the interpreter's own regression-test package
    except ImportError:
        test = None
    folder = Path(test.__file__).parent / "test_email" / "data" if test else None
    if folder is None or not folder.is_dir() or not any(folder.glob("msg_*.txt")):
        message = (
            "CPython's `test` package (test/test_email/data/msg_*.txt) is not installed "
            "in this interpreter; install the full Python build (e.g. libpython3-testsuite)"
        )
        missing(message)
    return folder


def test_every_cpython_email_test_message_parses() -> None:
    """GIVEN every msg_*.txt of CPython's email test data (malformed ones included)
    WHEN each is parsed
    THEN none raises, each gives a ParsedMail, and no field extraction fails.
    """
    paths = sorted(corpus_dir().glob("msg_*.txt"))
    assert len(paths) >= 40

    for path in paths:
        parsed = parse_message(path.read_bytes())
        assert isinstance(parsed, ParsedMail), path.name
        assert not any("could not be extracted" in d for d in parsed.defects), path.name


def test_known_corpus_messages_come_out_right() -> None:
    """GIVEN three well-understood corpus messages (simple, bounce, multipart with image)
    WHEN they are parsed
    THEN their sender, bounce flag and attachment match what the files contain.
    """
    folder = corpus_dir()

    simple = parse_message((folder / "msg_01.txt").read_bytes())
    bounce = parse_message((folder / "msg_25.txt").read_bytes())
    with_image = parse_message((folder / "msg_07.txt").read_bytes())

    assert (simple.subject, simple.sender) == ("This is a test message", "bbb@ddd.com")
    assert bounce.is_bounce is True
    assert [a.filename for a in with_image.attachments] == ["dingusfish.gif"]
