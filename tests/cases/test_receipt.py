"""Which instant counts as receipt, per intake source."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from inbox_triage.cases.deadlines import local_receipt_date
from inbox_triage.cases.receipt import (
    Receipt,
    determine_receipt,
    received_by_host,
    received_date,
)

IMPORTED = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DELIVERED = datetime(2027, 2, 2, 8, 0, tzinfo=UTC)
TRUSTED = ["mx1.clmaster.eu"]

# Topmost first, as message.get_all("Received") returns them.
INTERNAL_HOP = (
    "from mx1.clmaster.eu (mx1.clmaster.eu [10.0.0.5]) by mail.clmaster.eu (Dovecot)"
    " with LMTP id 4AB; Mon, 01 Feb 2027 00:31:02 +0100"
)
MX_HOP = (
    "from sender.example (sender.example [203.0.113.9])\r\n\tby MX1.clmaster.eu. (Postfix)"
    " with ESMTPS id 99F3\r\n\tfor <info@clmaster.eu>; Sun, 31 Jan 2027 23:30:00 +0000 (UTC)"
)
FORGED_BELOW = "from x by mx1.clmaster.eu; Fri, 01 Jan 2027 00:00:00 +0000"
SENDER_HOP = "from laptop by smtp.sender.example; Sun, 31 Jan 2027 23:29:50 +0000"


def cli(headers: list[str], trusted: list[str] = TRUSTED, delivered: datetime | None = None):
    return determine_receipt("cli", IMPORTED, headers, trusted, delivered)


@pytest.mark.parametrize(
    ("source", "basis"), [("smtp", "smtp_accepted"), ("imap", "imap_internaldate")]
)
def test_live_sources_use_accepted_at(source: str, basis: str) -> None:
    """GIVEN live intake WHEN deciding THEN accepted_at is receipt, headers are ignored."""
    accepted = datetime(2027, 2, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    receipt = determine_receipt(source, accepted, [MX_HOP], TRUSTED, DELIVERED)
    assert receipt == Receipt(datetime(2027, 1, 31, 23, 30, tzinfo=UTC), basis)
    assert receipt.at.utcoffset() == timedelta(0)


def test_topmost_trusted_received_header_wins() -> None:
    """The internal hop is untrusted, the MX hop is trusted; the forged one below is ignored."""
    receipt = cli([INTERNAL_HOP, MX_HOP, FORGED_BELOW, SENDER_HOP], delivered=DELIVERED)
    assert receipt == Receipt(datetime(2027, 1, 31, 23, 30, tzinfo=UTC), "trusted_received_header")


def test_trusting_the_internal_hop_takes_it() -> None:
    receipt = cli([INTERNAL_HOP, MX_HOP], trusted=["MAIL.clmaster.eu", "mx1.clmaster.eu"])
    assert receipt.at == datetime(2027, 1, 31, 23, 31, 2, tzinfo=UTC)
    assert receipt.basis == "trusted_received_header"


def test_by_inside_a_comment_is_not_trusted() -> None:
    """A sender cannot smuggle a trusted "by" in a comment."""
    header = (
        "from evil (helo by mx1.clmaster.eu) by relay.evil.example; Sun, 3 Jan 2027 10:00 +0000"
    )
    assert received_by_host(header) == "relay.evil.example"
    assert cli([header], delivered=DELIVERED) == Receipt(DELIVERED, "maildir_delivery")


def test_unparsable_trusted_date_falls_through_to_the_next_trusted_header() -> None:
    broken = "from a by mx1.clmaster.eu with ESMTP; not a date"
    assert cli([broken, MX_HOP]).at == datetime(2027, 1, 31, 23, 30, tzinfo=UTC)


def test_header_without_date_is_skipped() -> None:
    assert cli(["by mx1.clmaster.eu with ESMTP"]) == Receipt(IMPORTED, "import_time")


def test_minus_zero_zone_is_taken_as_utc() -> None:
    header = "from a by mx1.clmaster.eu; Sun, 31 Jan 2027 23:30:00 -0000"
    assert received_date(header) == datetime(2027, 1, 31, 23, 30, tzinfo=UTC)


def test_maildir_delivery_when_no_trusted_header() -> None:
    """The delivery time (here given in CET) is returned in UTC."""
    delivered = datetime(2027, 2, 2, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    receipt = cli([SENDER_HOP], delivered=delivered)
    assert receipt == Receipt(DELIVERED, "maildir_delivery")
    assert receipt.at.tzinfo is UTC


def test_import_time_as_last_resort() -> None:
    """GIVEN no evidence at all WHEN importing THEN the import time is used (and shown so)."""
    assert cli([]) == Receipt(IMPORTED, "import_time")


def test_no_trusted_hosts_configured_means_no_header_is_used() -> None:
    assert cli([MX_HOP], trusted=[]) == Receipt(IMPORTED, "import_time")


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValueError, match="accepted_at"):
        determine_receipt("smtp", datetime(2027, 1, 1), [], [], None)
    with pytest.raises(ValueError, match="maildir_delivered_at"):
        determine_receipt("cli", IMPORTED, [], [], datetime(2027, 1, 1))


def test_unknown_source_is_rejected() -> None:
    with pytest.raises(ValueError, match="fax"):
        determine_receipt("fax", IMPORTED, [], [], None)


def test_receipt_from_header_gives_the_budapest_date() -> None:
    """23:30 UTC on 31 Jan stamped by our MX is received on 1 Feb in Budapest."""
    assert local_receipt_date(cli([MX_HOP]).at) == date(2027, 2, 1)


def test_receipt_is_frozen() -> None:
    receipt = cli([])
    with pytest.raises(AttributeError):
        receipt.basis = "smtp_accepted"  # type: ignore[misc]
