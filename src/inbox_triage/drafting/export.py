"""The data export of one customer: what access and portability replies attach.

The export holds the customer's own record as imported (never another
customer's, never a password: the import drops those columns) and, for
access, a summary of the customer's privacy cases. Attachments are stored
on the draft as base64 so that the approved message is built from exactly
what staff saw.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inbox_triage.customers.csv_io import COLUMNS
from inbox_triage.db.models import Case, Customer
from inbox_triage.nlp.labels import RIGHTS

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"


def record_items(customer: Customer) -> list[dict[str, str]]:
    """The customer's non-empty fields in the import's order, extras last."""
    items = []
    for field in COLUMNS:
        value = getattr(customer, field)
        text = ", ".join(value) if isinstance(value, list) else str(value or "")
        if text.strip():
            items.append({"field": field, "value": text})
    for key, value in sorted((customer.extra or {}).items()):
        if str(value).strip():
            items.append({"field": key, "value": str(value)})
    return items


def record_dict(customer: Customer) -> dict[str, Any]:
    """The record as machine-readable values (domains stay a list)."""
    data: dict[str, Any] = {field: getattr(customer, field) for field in COLUMNS}
    data["domains"] = list(customer.domains or [])
    data.update({key: value for key, value in sorted((customer.extra or {}).items())})
    return data


def case_summaries(session: Session, customer: Customer) -> list[dict[str, Any]]:
    """The customer's privacy cases: reference, date opened, rights, state."""
    cases = session.scalars(
        select(Case).where(Case.customer_id == customer.customer_id).order_by(Case.opened_at)
    )
    return [
        {"reference": case.reference, "opened": case.receipt_at.date().isoformat(),
         "rights": [r for r in RIGHTS if r in set(case.rights)], "status": case.status}
        for case in cases
    ]  # fmt: skip


def export_json(customer: Customer, cases: list[dict[str, Any]] | None = None) -> bytes:
    """The record (and cases, for access) as UTF-8 JSON."""
    document: dict[str, Any] = {"controller_record": record_dict(customer)}
    if cases is not None:
        document["privacy_cases"] = cases
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def export_csv(customer: Customer) -> bytes:
    """The record as a one-row CSV with a header line (domains joined with ';')."""
    data = record_dict(customer)
    data["domains"] = ";".join(data["domains"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(data))
    writer.writerow([str(value) for value in data.values()])
    return out.getvalue().encode("utf-8")


def attachment(name: str, content_type: str, data: bytes) -> dict[str, Any]:
    """One attachment as stored on a draft."""
    return {"name": name, "content_type": content_type, "size": len(data),
            "data": base64.b64encode(data).decode("ascii")}  # fmt: skip


def attachment_bytes(item: dict[str, Any]) -> bytes:
    """The bytes of a stored attachment."""
    return base64.b64decode(item["data"])
