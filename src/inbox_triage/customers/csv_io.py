"""CSV import and export of customer records, upserting by customer_id.

The import validates every row before writing anything, so a file with a bad
row changes nothing: the caller gets every bad line with its reason. Writes
are bulk statements on the tables (not one ORM object per row), because the
company's whole customer list is re-imported at once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from inbox_triage.customers.records import customer_keys, normalise_email, normalise_phone
from inbox_triage.db.models import Customer, CustomerKey, utcnow
from inbox_triage.errors import UsageError

COLUMNS = (
    "customer_id", "name", "email", "phone", "contact_name", "contact_email", "contact_phone",
    "billing_address", "postal_address", "tax_number", "username", "domains",
)  # fmt: skip
_EMAILS = ("email", "contact_email")
_PHONES = ("phone", "contact_phone")
_SECRET_COLUMN = re.compile(
    r"passw|passwd|passphrase|jelsz[oó]|pwd|secret|^pass$|^pw$|credential|api_?key|token", re.I
)
_CHUNK = 5000
_MAX_LENGTHS = {"customer_id": 64, "phone": 64, "contact_phone": 64, "tax_number": 64,
                "username": 255}  # fmt: skip


@dataclass(frozen=True)
class RowError:
    """One rejected line of the file and why (no field values: they are personal data)."""

    line: int
    reason: str


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    rows: int
    created: int
    updated: int
    extra_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = "utf-8"


class CustomerImportError(UsageError):
    """The file had bad rows; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(f"line {e.line}: {e.reason}" for e in self.errors[:100])
        more = f"\n... and {len(self.errors) - 100} more" if len(self.errors) > 100 else ""
        super().__init__(f"{len(self.errors)} bad row(s), nothing imported:\n{lines}{more}")


def import_customers(session: Session, path: Path, now: datetime | None = None) -> ImportSummary:
    """Validate the whole file, then upsert every row in the caller's transaction."""
    text, encoding = _read_text(Path(path))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header = _header(next(reader, None))
    extras = [c for c in header if c not in COLUMNS and c and not _SECRET_COLUMN.search(c)]
    ignored = [c for c in header if c not in COLUMNS and c not in extras]
    rows, errors = _validate(reader, header, extras)
    if errors:
        raise CustomerImportError(errors)
    created, updated = _write(session, rows, now or utcnow())
    return ImportSummary(len(rows), created, updated, extras, ignored, encoding)


def _read_text(path: Path) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1250", errors="replace"), "cp1250"  # Hungarian Excel's export


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _header(row: list[str] | None) -> list[str]:
    if not row:
        raise CustomerImportError([RowError(1, "the file is empty; a header line is required")])
    header = [name.strip().lower() for name in row]
    duplicates = sorted({n for n in header if header.count(n) > 1})
    if "customer_id" not in header or duplicates:
        reason = f"duplicate columns: {', '.join(duplicates)}" if duplicates else ""
        reason = reason or "the header has no customer_id column"
        raise CustomerImportError([RowError(1, reason)])
    return header


def _validate(
    reader: Iterable[list[str]], header: list[str], extras: list[str]
) -> tuple[list[dict[str, Any]], list[RowError]]:
    rows: list[dict[str, Any]] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, values in _numbered(reader):
        if not any(v.strip() for v in values):
            continue
        record, reasons = _record(values, header, extras)
        key = record.get("customer_id", "")
        if key and key in first_line:
            reasons.append(f"duplicate customer_id (first on line {first_line[key]})")
        first_line.setdefault(key, line)
        if reasons:
            errors.append(RowError(line, "; ".join(reasons)))
        else:
            rows.append(record)
    return rows, errors


def _numbered(reader: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Rows with the line each record starts on (a quoted field may span lines)."""
    previous = 1
    iterator = iter(reader)
    while True:
        try:
            values = next(iterator)
        except StopIteration:
            return
        except csv.Error as error:
            raise CustomerImportError([RowError(previous + 1, f"malformed CSV: {error}")]) from None
        yield previous + 1, values
        previous = getattr(reader, "line_num", previous + 1)


def _record(
    values: list[str], header: list[str], extras: list[str]
) -> tuple[dict[str, Any], list[str]]:
    reasons = []
    if len(values) != len(header):
        reasons.append(f"expected {len(header)} fields, found {len(values)}")
    cells = dict(zip(header, (v.strip() for v in values), strict=False))
    record: dict[str, Any] = {c: cells.get(c, "") for c in COLUMNS if c != "domains"}
    record["domains"] = [
        d.strip().lower() for d in cells.get("domains", "").split(";") if d.strip()
    ]
    record["extra"] = {c: cells[c] for c in extras if cells.get(c)}
    if not record["customer_id"]:
        reasons.append("customer_id is empty")
    for column in _EMAILS:
        if record[column]:
            address = normalise_email(record[column])
            if address is None:
                reasons.append(f"{column} is not a valid e-mail address")
            record[column] = address or ""
    for column in _PHONES:
        if record[column] and normalise_phone(record[column]) is None:
            reasons.append(f"{column} is not a valid phone number")
    for column, limit in _MAX_LENGTHS.items():
        if len(record[column]) > limit:
            reasons.append(f"{column} is longer than {limit} characters")
    return record, reasons


def _write(session: Session, rows: list[dict[str, Any]], now: datetime) -> tuple[int, int]:
    """Bulk upsert: insert new customers, update known ones, rebuild their keys."""
    table, keys = Customer.__table__, CustomerKey.__table__
    session.flush()
    existing = dict(session.execute(select(table.c.customer_id, table.c.id)).all())
    new = [{**row, "created_at": now, "updated_at": now} for row in rows
           if row["customer_id"] not in existing]  # fmt: skip
    known = [{f"b_{k}": v for k, v in row.items()} | {"b_id": existing[row["customer_id"]],
             "b_updated_at": now} for row in rows if row["customer_id"] in existing]  # fmt: skip
    for chunk in _chunks(new):
        session.execute(insert(table), chunk)
    if known:
        columns = {c: bindparam(f"b_{c}") for c in (*COLUMNS, "extra", "updated_at")}
        statement = update(table).where(table.c.id == bindparam("b_id")).values(columns)
        for chunk in _chunks(known):
            session.execute(statement, chunk)
        for chunk in _chunks([row["b_id"] for row in known]):
            session.execute(delete(keys).where(keys.c.customer_row_id.in_(chunk)))
    ids = dict(session.execute(select(table.c.customer_id, table.c.id)).all())
    key_rows = [
        {"customer_row_id": ids[row["customer_id"]], "kind": kind, "value": value}
        for row in rows
        for kind, value in sorted(customer_keys(row))
    ]
    for chunk in _chunks(key_rows, 50_000):
        session.execute(insert(keys), chunk)
    session.expire_all()
    return len(new), len(known)


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def export_customers(session: Session, out: TextIO) -> int:
    """Write every customer as CSV in the import's format (extras as extra columns)."""
    table = Customer.__table__
    extras = sorted({k for (extra,) in session.execute(select(table.c.extra)) for k in extra or {}})
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, *extras])
    count = 0
    result = session.execute(select(table).order_by(table.c.customer_id)).mappings()
    for row in result:
        domains = ";".join(row["domains"] or [])
        extra = row["extra"] or {}
        writer.writerow(
            [*(row[c] for c in COLUMNS[:-1]), domains, *(extra.get(c, "") for c in extras)]
        )
        count += 1
    return count
