"""Shared fixtures: a migrated SQLite file, a customer list, and a ParsedMail builder."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from inbox_triage.customers.csv_io import COLUMNS, import_customers
from inbox_triage.db.migrate import upgrade
from inbox_triage.db.session import make_engine, make_session_factory
from inbox_triage.mail.parsed import Address, ParsedMail

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TRUSTED = ["mx1.clmaster.eu"]

# customer_id, name, email, phone, contact_name, contact_email, contact_phone,
# billing_address, postal_address, tax_number, username, domains
CUSTOMERS: list[tuple[str, ...]] = [
    ("CM-10001", "Kovács János", "kovacs.janos@gmail.com", "+36 30 123 4567", "", "", "",
     "1111 Budapest, Fő u. 1.", "", "8123456786", "kjanos", ""),
    ("CM-10002", "Kovács Jánosné", "kovacsne@freemail.hu", "06 20 222 3344", "", "", "",
     "", "", "", "", ""),
    ("CM-10003", "Példa Kft.", "info@pelda.hu", "+36 1 555 0000", "Nagy Péter",
     "nagy.peter@pelda.hu", "", "1051 Budapest, Példa tér 2.", "", "12345678-2-41", "peldakft",
     "pelda.hu;pelda.eu"),
    ("CM-10004", "Nagy Péter", "nagyp@citromail.hu", "+36 70 555 1212", "", "", "",
     "", "", "", "", ""),
    ("CM-10005", "Szabó Éva", "szabo.eva@upcmail.hu", "+36 1 234 5678", "", "", "",
     "", "", "8456789011", "", ""),
    ("CM-10006", "Alfa Beta Trade Zrt.", "office@alfabeta.hu", "", "", "", "",
     "", "", "23456789-2-13", "", "alfabeta.hu"),
    ("CM-10007", "Tóth Gábor", "toth.gabor@outlook.com", "", "", "", "", "", "", "", "tgabor", ""),
    ("CM-10008", "Horváth Anna", "anna.horvath@gmail.com", "06-30-987-6543", "", "", "",
     "", "", "", "", ""),
    ("CM-10009", "Kiss és Társa Bt.", "kiss.istvan@kissbt.hu", "", "Kiss István", "", "",
     "", "", "", "", "kissbt.hu"),
    ("CM-10010", "Molnár Zsófia", "zsofi@molnar.hu", "", "", "", "", "", "", "", "",
     "molnar.hu"),
    ("CM-10011", "Varga Péter", "varga.peter@gmail.com", "", "", "", "", "", "", "", "", ""),
    ("CM-10012", "Varga Péter", "vpeter@freemail.hu", "", "", "", "", "", "", "", "", ""),
    ("CM-10013", "Papp Ltd", "hello@papp.co.uk", "", "", "", "", "", "", "", "",
     "papp.co.uk"),
    ("CM-10014", "Lakatos Béla", "lakatos.bela@t-online.hu", "+36 30 765 4321", "", "", "",
     "", "", "8234567896", "", ""),
    ("CM-10015", "Farkas Judit", "judit@farkasdesign.hu", "", "", "", "", "", "", "",
     "judit.farkas", "farkasdesign.hu"),
    ("CM-10016", "Balogh Ferenc", "balogh@example.com", "", "Balogh Ferenc",
     "ferenc.balogh@work.example.org", "", "", "", "", "", ""),
    ("CM-10017", "Takács Márta", "takacs.marta@gmail.com", "", "", "", "", "", "", "", "", ""),
    ("CM-10018", "Németh László", "nemeth.laszlo@citromail.hu", "+36 20 333 4455", "", "", "",
     "", "", "", "", ""),
    ("CM-10019", "Oláh Krisztina", "olah.k@freemail.hu", "", "", "", "", "", "", "", "", ""),
    ("CM-10020", "Simon Dávid", "david.simon@proton.me", "", "", "", "", "", "", "", "dsimon",
     ""),
]  # fmt: skip


@pytest.fixture
def sessions(tmp_path: Path):
    """A session factory on a real SQLite file migrated with upgrade()."""
    engine = make_engine(f"sqlite:///{tmp_path / 'customers.db'}")
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def session(sessions) -> Iterator[Session]:
    """One open session; the test commits what it needs."""
    with sessions() as session:
        yield session


def write_csv(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = COLUMNS) -> Path:
    """A customer CSV file with this header and rows."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def customers_db(session: Session, tmp_path: Path) -> Session:
    """A session on a database holding CUSTOMERS."""
    import_customers(session, write_csv(tmp_path / "customers.csv", CUSTOMERS), now=NOW)
    session.commit()
    return session


def mail(
    sender: str = "",
    text: str = "",
    subject: str = "Adatkérés",
    reply_to: Sequence[str] = (),
    auth: Sequence[str] = (),
    quoted: str = "",
    signature: str = "",
    in_reply_to: str | None = None,
) -> ParsedMail:
    """A ParsedMail as the parser would produce it; `sender` is 'Name <addr>' or 'addr'."""
    return ParsedMail(
        subject=subject,
        from_address=_address(sender) if sender else None,
        to=(Address("", "info@clmaster.eu"),),
        reply_to=tuple(_address(r) for r in reply_to),
        new_text=text,
        quoted_text=quoted,
        signature=signature,
        body_text="\n".join(p for p in (text, signature, quoted) if p),
        in_reply_to=in_reply_to,
        authentication_results=tuple(auth),
    )


def _address(value: str) -> Address:
    if "\n" in value or "\r" in value:  # parseaddr would drop it; keep it as the name
        name, _, address = value.rpartition("<")
        return Address(name.strip(), address.strip("> ").lower())
    name, address = parseaddr(value)
    return Address(name, address.lower())


def dmarc_pass(domain: str, authserv_id: str = "mx1.clmaster.eu") -> str:
    """A genuine-looking header from the company's MTA with DKIM, SPF and DMARC pass."""
    return (
        f"{authserv_id}; dkim=pass (2048-bit key) header.d={domain} header.s=s1;"
        f" spf=pass (sender IP is 203.0.113.9) smtp.mailfrom=bounce@{domain};"
        f" dmarc=pass (p=REJECT) header.from={domain}"
    )


@pytest.fixture(name="mail")
def mail_fixture():
    """The ParsedMail builder (importlib mode: tests take helpers as fixtures)."""
    return mail


@pytest.fixture(name="dmarc_pass")
def dmarc_pass_fixture():
    """The genuine Authentication-Results builder."""
    return dmarc_pass


@pytest.fixture(name="write_csv")
def write_csv_fixture():
    """The CSV writer."""
    return write_csv


@pytest.fixture(name="customer_rows")
def customer_rows_fixture() -> list[tuple[str, ...]]:
    """The rows of the shared customer list."""
    return list(CUSTOMERS)
