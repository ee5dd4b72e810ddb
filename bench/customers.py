"""Customer records at scale: CSV import of 100,000 rows and matching against them.

Generates a realistic customer file (Hungarian names, companies with tax numbers
and domains), imports it into a SQLite database through the product's importer
(one transaction), re-imports it as an upsert, then times `match_message` on
messages that identify a customer by address, phone, customer ID, username, tax
number or domain. Targets: import under 60 s, median match under 20 ms.

    python bench/customers.py [--rows 100000] [--record]
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from results import append_row  # noqa: E402

from inbox_triage.customers.csv_io import COLUMNS, import_customers  # noqa: E402
from inbox_triage.customers.matching import match_message  # noqa: E402
from inbox_triage.db.migrate import upgrade  # noqa: E402
from inbox_triage.db.session import make_engine, make_session_factory, transaction  # noqa: E402
from inbox_triage.mail.parsed import Address, ParsedMail  # noqa: E402

FIRST = (
    "János",
    "Péter",
    "László",
    "István",
    "Gábor",
    "Zoltán",
    "Anna",
    "Éva",
    "Katalin",
    "Zsófia",
    "Judit",
    "Márta",
    "Ádám",
    "Dávid",
    "Béla",
    "Ferenc",
    "Krisztina",
    "Erzsébet",
    "Ilona",
    "Tamás",
)
LAST = (
    "Kovács",
    "Nagy",
    "Tóth",
    "Szabó",
    "Horváth",
    "Varga",
    "Kiss",
    "Molnár",
    "Németh",
    "Farkas",
    "Balogh",
    "Papp",
    "Takács",
    "Juhász",
    "Lakatos",
    "Mészáros",
    "Oláh",
    "Simon",
    "Rácz",
    "Fekete",
)
BODY = ("Tisztelt Cloudmaster Kft.!\n\nKérem, küldjék meg a rólam tárolt személyes adatokat. "
        "{extra}\n\nKöszönettel:\n{name}\n")  # fmt: skip


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def customer_row(number: int, rng: random.Random) -> list[str]:
    """One generated customer: every fifth is a company with tax number and domain."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = number % 5 == 0
    name = f"{last} és Társa Kft. {number}" if company else f"{last} {first}"
    email = f"{_fold(first)}.{_fold(last)}{number}@" + (
        f"ceg{number}.hu" if company else "gmail.com"
    )
    phone = f"+36 {rng.choice([20, 30, 70])} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    tax = f"{rng.randint(10000000, 99999999)}-{rng.randint(1, 5)}-{rng.randint(2, 44):02d}"
    return [f"CM-{100000 + number}", name, email, phone, "", "", "",
            f"{1000 + number % 9000} Budapest, Fő utca {number % 200}.", "",
            tax if company else "", f"user{number}",
            f"ceg{number}.hu" if company else ""]  # fmt: skip


def message_for(row: list[str], kind: int, number: int) -> ParsedMail:
    """A request naming the customer in one of five ways."""
    sender, extra = f"someone{number}@yahoo.com", ""
    if kind == 0:
        sender = row[2]
    elif kind == 1:
        extra = f"Telefonszámom {row[3]}."
    elif kind == 2:
        extra = f"Ügyfélszámom {row[0]}, felhasználónevem: {row[10]}."
    elif kind == 3 and row[9]:
        extra = f"Adószámunk {row[9]}."
    else:
        extra = f"A {row[11] or row[2].split('@')[1]} domain ügyében írok."
    return ParsedMail(subject="Adatkérés", from_address=Address(row[1], sender),
                      new_text=BODY.format(extra=extra, name=row[1]))  # fmt: skip


def run(rows: int) -> dict[str, float]:
    rng = random.Random(7)
    directory = Path(tempfile.mkdtemp())
    path = directory / "customers.csv"
    samples: list[list[str]] = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for number in range(rows):
            row = customer_row(number, rng)
            writer.writerow(row)
            if number % max(1, rows // 300) == 0:
                samples.append(row)
    engine = make_engine(f"sqlite:///{directory / 'bench.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    with transaction(sessions) as session:
        import_customers(session, path)
    imported = time.perf_counter() - started
    started = time.perf_counter()
    with transaction(sessions) as session:
        import_customers(session, path)
    reimported = time.perf_counter() - started
    messages = [message_for(row, k % 5, k) for k, row in enumerate(samples)]
    timings, hits = [], 0
    with sessions() as session:
        for message in messages[:20]:
            match_message(session, message)
        for row, message in zip(samples, messages, strict=True):
            started = time.perf_counter()
            result = match_message(session, message)
            timings.append(time.perf_counter() - started)
            hits += row[0] in result.customer_ids
    timings.sort()
    return {"rows": rows, "import_s": imported, "reimport_s": reimported,
            "match_median_ms": statistics.median(timings) * 1000,
            "match_p95_ms": timings[int(len(timings) * 0.95)] * 1000,
            "found_share": hits / len(messages)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    result = run(args.rows)
    print("\n".join(f"{key}: {value:.3f}" for key, value in result.items()))
    if args.record:
        append_row(
            f"customers: import {args.rows} rows (SQLite, one transaction), "
            "then match 300 messages",
            f"import {result['import_s']:.1f} s (upsert again {result['reimport_s']:.1f} s); "
            f"match median {result['match_median_ms']:.1f} ms, "
            f"p95 {result['match_p95_ms']:.1f} ms",
            "-",
            "targets import < 60 s, median < 20 ms; right customer found in "
            f"{result['found_share']:.0%}",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
