"""The evidence pack: one zip archive of a case for a supervisory authority.

It holds the received messages exactly as received (raw .eml with their
SHA-256), the case with its deadlines and which one bound, every decision
and its reason, and the audit trail together with its verification result.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from inbox_triage.cases.actions import get_case
from inbox_triage.cases.audit import verify_case
from inbox_triage.cases.calendar import WorkingCalendar
from inbox_triage.cases.views import show_case

DECISION_EVENTS = frozenset(
    {"extended", "rights_corrected", "state_changed", "refused", "identity_changed"}
)


def export_case(
    session: Session, reference: str, output: Path, today: date, calendar: WorkingCalendar
) -> Path:
    """Write the evidence pack of one case to `output` (a .zip file)."""
    case = get_case(session, reference)
    detail = show_case(session, reference, today, calendar)
    problem = verify_case(session, case)
    manifest: list[dict[str, Any]] = []
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for message in case.messages:
            name = f"messages/{message.id:06d}.eml"
            archive.writestr(name, message.raw)
            manifest.append(
                {
                    "file": name,
                    "sha256": hashlib.sha256(message.raw).hexdigest(),
                    "stored_sha256": message.sha256,
                    "received_at": message.received_at.isoformat(),
                }
            )
        _write_json(archive, "case.json", {k: v for k, v in detail.items() if k != "events"})
        _write_json(
            archive,
            "deadlines.json",
            detail["deadlines"]
            | {"receipt_at": detail["receipt_at"], "receipt_basis": detail["receipt_basis"]},
        )
        _write_json(
            archive, "decisions.json", [e for e in detail["events"] if e["kind"] in DECISION_EVENTS]
        )
        _write_json(archive, "audit.json", detail["events"])
        _write_json(
            archive,
            "audit-verification.json",
            {
                "intact": problem is None,
                "first_broken_event": problem.sequence if problem else None,
                "reason": problem.reason if problem else None,
                "chain_head": case.audit_head,
            },
        )
        _write_json(archive, "manifest.json", manifest)
        archive.writestr("README.txt", _readme(reference))
    return output


def _write_json(archive: zipfile.ZipFile, name: str, data: Any) -> None:
    archive.writestr(name, json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _readme(reference: str) -> str:
    return (
        f"Evidence pack of case {reference}\n\n"
        "messages/            the received messages, byte for byte as received (.eml)\n"
        "manifest.json        SHA-256 of each message, as stored at intake and as exported\n"
        "case.json            the case: requester, rights, identity, messages (parsed)\n"
        "deadlines.json       GDPR and policy deadlines, which one binds, receipt basis\n"
        "decisions.json       decisions with their reasons (state changes, extension, ...)\n"
        "audit.json           the complete audit trail (hash-chained)\n"
        "audit-verification.json  the result of re-verifying that chain at export time\n"
    )
