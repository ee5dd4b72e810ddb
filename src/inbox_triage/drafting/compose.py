"""Rendering the letters of a case: the reply it asks for, and its safe replacements.

Composing never decides whether a letter may go: `guard.check_outgoing` does,
in one place. This module renders what the case wants (one reply covering all
its rights, in the requester's language) and, when the guard refuses, the
letters that replace it: a verification request, or a neutral acknowledgement
whose wording is the same whether or not the requester is a customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy.orm import Session

from inbox_triage.context import AppContext
from inbox_triage.customers.disclosure import VERIFICATION_REQUEST, check_disclosure
from inbox_triage.customers.records import (
    is_company_form,
    name_tokens,
    normalise_email,
    normalise_phone,
    on_file_addresses,
    tax_keys,
)
from inbox_triage.db.models import Case, Customer
from inbox_triage.drafting import export
from inbox_triage.drafting.environment import render_letter
from inbox_triage.drafting.policy import policy_facts
from inbox_triage.errors import UsageError, WorkflowError
from inbox_triage.nlp.extract import extract_emails, extract_phones, extract_tax_numbers
from inbox_triage.nlp.labels import RIGHTS

PERSONAL_RIGHTS = frozenset(RIGHTS) - {"information", "complaint"}
SPECIAL_KINDS = ("acknowledgement", "extension_notice", "refusal", "verification_request")
CODE_PLACEHOLDER = "[[EGYSZERI-KOD / ONE-TIME-CODE]]"
_EXPORT_NAME = {"hu": "szemelyes-adatok", "en": "personal-data"}


@dataclass(frozen=True)
class ComposedDraft:
    """A rendered letter, not yet stored or checked."""

    slot: str
    kind: str
    language: str
    rights: list[str]
    recipient: str
    subject: str
    body_text: str
    body_html: str
    contains_personal_data: bool
    attachments: list[dict[str, Any]] = field(default_factory=list)


def reply_language(case: Case) -> str:
    """Hungarian for Hungarian requests, English for everything else."""
    return "hu" if (case.language or "").lower() == "hu" else "en"


def requester(case: Case) -> str:
    """The requester's address, normalised ('' when the message had none)."""
    return normalise_email(case.requester_address) or ""


def primary_on_file(customer: Customer) -> str:
    """Where a verification or disclosure goes when the requester wrote from elsewhere."""
    return normalise_email(customer.email) or normalise_email(customer.contact_email) or ""


def compose_reply(
    session: Session, app: AppContext, case: Case, customer: Customer | None
) -> ComposedDraft:
    """The full answer to every right of the case, as if disclosure were allowed."""
    rights = [r for r in RIGHTS if r in set(case.rights)]
    recipient = _reply_recipient(case, customer)
    personal = any(r in PERSONAL_RIGHTS for r in rights)
    values = _base_values(app, case, customer, recipient, reply_language(case))
    values.update(rights=rights, show_processing=bool({"information", "access"} & set(rights)),
                  record=[], cases=[], changes=[], attachment_names=[])  # fmt: skip
    attachments: list[dict[str, Any]] = []
    if customer is not None and personal:
        values["record"] = export.record_items(customer)
        values["changes"] = requested_changes(case, customer, app)
        attachments = _exports(session, customer, rights, values["language"])
        if "access" in rights:
            values["cases"] = export.case_summaries(session, customer)
    values["attachment_names"] = [item["name"] for item in attachments]
    return _compose(app, "reply", "reply", values, recipient, rights, personal, attachments)


def compose_special(
    session: Session,
    app: AppContext,
    case: Case,
    customer: Customer | None,
    kind: str,
    reason: str = "",
) -> ComposedDraft:
    """An acknowledgement, extension notice, refusal or verification request."""
    if kind not in SPECIAL_KINDS:
        raise UsageError(f"unknown draft kind {kind!r}; expected one of {', '.join(SPECIAL_KINDS)}")
    if kind == "verification_request":
        target = requester(case) if customer is None else primary_on_file(customer)
        return compose_verification(app, case, target, slot="verification")
    recipient = _reply_recipient(case, customer)
    values = _base_values(app, case, customer, recipient, reply_language(case))
    values["reason"] = reason.strip()
    if kind == "extension_notice":
        _check_extension(app, case)
        values["reason"] = values["reason"] or _extension_reason(case)
    if kind in {"refusal", "extension_notice"} and not values["reason"]:
        raise UsageError(f"a {kind.replace('_', ' ')} needs the reasons for the requester")
    personal = kind == "refusal" and customer is not None
    return _compose(app, kind, kind, values, recipient, sorted(case.rights), personal, [])


def replacements(
    app: AppContext, case: Case, customer: Customer | None, required_reply: str | None
) -> list[ComposedDraft]:
    """What goes instead of a refused letter: a verification request or a neutral notice."""
    asker = requester(case)
    if required_reply == VERIFICATION_REQUEST and customer is not None:
        if asker in on_file_addresses(customer):
            return [compose_verification(app, case, asker, slot="reply")]
        on_file = primary_on_file(customer)
        return [
            compose_neutral(app, case, asker),
            compose_verification(app, case, on_file, slot="verification"),
        ]
    return [compose_neutral(app, case, asker)]


def compose_neutral(app: AppContext, case: Case, recipient: str) -> ComposedDraft:
    """An acknowledgement that neither confirms nor denies that the requester is a customer."""
    values = _base_values(app, case, None, recipient, reply_language(case))
    return _compose(app, "reply", "neutral_acknowledgement", values, recipient,
                    sorted(case.rights), False, [])  # fmt: skip


def compose_verification(app: AppContext, case: Case, recipient: str, slot: str) -> ComposedDraft:
    """A request to confirm the request with a one-time code (filled in before approval)."""
    values = _base_values(app, case, None, recipient, reply_language(case))
    values.update(code=CODE_PLACEHOLDER, to_requester=recipient == requester(case))
    return _compose(app, slot, "verification_request", values, recipient,
                    sorted(case.rights), False, [])  # fmt: skip


def _compose(app: AppContext, slot: str, kind: str, values: dict[str, Any], recipient: str,
             rights: list[str], personal: bool,
             attachments: list[dict[str, Any]]) -> ComposedDraft:  # fmt: skip
    language = values["language"]
    letter = render_letter(app, language, kind, values)
    return ComposedDraft(slot, kind, language, list(rights), recipient, letter.subject,
                         letter.text, letter.html, personal, attachments)  # fmt: skip


def _base_values(app: AppContext, case: Case, customer: Customer | None, recipient: str,
                 language: str) -> dict[str, Any]:  # fmt: skip
    facts = policy_facts(app, language)
    days = dict(facts.get("response_times", {}))
    values = _case_values(app, case)
    values["policy_days"] = min((days[r] for r in values["rights"] if r in days), default=None)
    return {
        "language": language,
        "policy": facts,
        "days": days,
        "case": values,
        "recipient_name": _recipient_name(case, customer, recipient),
    }


def _case_values(app: AppContext, case: Case) -> dict[str, Any]:
    zone = ZoneInfo(app.settings.deadlines.timezone)
    return {
        "reference": case.reference,
        "received": case.receipt_at.astimezone(zone).date(),
        "due": case.extended_due if case.extended and case.extended_due else case.due,
        "gdpr_due": case.gdpr_due,
        "extended": case.extended,
        "extended_due": case.extended_due,
        "rights": [r for r in RIGHTS if r in set(case.rights)],
    }


def _reply_recipient(case: Case, customer: Customer | None) -> str:
    """The requester; a requester verified by challenge from elsewhere gets it on file."""
    asker = requester(case)
    if customer is None or asker in on_file_addresses(customer):
        return asker
    on_file = primary_on_file(customer)
    return on_file if check_disclosure(on_file, customer, case.identity, True).allowed else asker


def _recipient_name(case: Case, customer: Customer | None, recipient: str) -> str | None:
    """Greet by name only someone we may disclose to; companies get the formal greeting."""
    if customer is None or not check_disclosure(recipient, customer, case.identity, True).allowed:
        return None
    if recipient == normalise_email(customer.contact_email) and customer.contact_name:
        return customer.contact_name
    if any(is_company_form(token) for token in name_tokens(customer.name)):
        return customer.contact_name or None
    return customer.name or None


def _exports(session: Session, customer: Customer, rights: list[str],
             language: str) -> list[dict[str, Any]]:  # fmt: skip
    stem = f"{_EXPORT_NAME[language]}-{re.sub(r'[^A-Za-z0-9_-]', '_', customer.customer_id)}"
    items = []
    if "access" in rights:
        data = export.export_json(customer, export.case_summaries(session, customer))
        items.append(export.attachment(f"{stem}.json", export.JSON_TYPE, data))
    elif "portability" in rights:
        items.append(export.attachment(f"{stem}.json", export.JSON_TYPE,
                                       export.export_json(customer)))  # fmt: skip
    if "portability" in rights:
        items.append(export.attachment(f"{stem}.csv", export.CSV_TYPE,
                                       export.export_csv(customer)))  # fmt: skip
    return items


def requested_changes(case: Case, customer: Customer, app: AppContext) -> list[dict[str, str]]:
    """New phone, e-mail or tax number the requester wrote, against what is on file."""
    text = "\n".join((m.parsed or {}).get("new_text", "") for m in case.messages)
    ours = {normalise_email(policy_facts(app, "en")["controller"]["email"])}
    changes = []
    phones = {normalise_phone(customer.phone), normalise_phone(customer.contact_phone)}
    new_phones = [p for p in extract_phones(text) if p not in phones]
    if new_phones:
        changes.append({"field": "phone", "old": customer.phone, "new": _readable(new_phones[-1])})
    on_file = on_file_addresses(customer) | ours
    new_emails = [a for a in extract_emails(text) if normalise_email(a) not in on_file]
    if new_emails:
        changes.append({"field": "email", "old": customer.email, "new": new_emails[-1]})
    known = set(tax_keys(customer.tax_number))
    new_taxes = [t for t in extract_tax_numbers(text) if not set(tax_keys(t)) & known]
    if new_taxes:
        changes.append({"field": "tax_number", "old": customer.tax_number, "new": new_taxes[-1]})
    return changes


def _readable(e164: str) -> str:
    """+36309998888 as people write it: +36 30 999 8888."""
    number = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _check_extension(app: AppContext, case: Case) -> None:
    """An extension notice is only valid within the first month (GDPR Art. 12(3))."""
    if not case.extended or case.extended_due is None or case.gdpr_due is None:
        raise WorkflowError(f"{case.reference} is not extended; extend the case first")
    if local_today(app) > case.gdpr_due:
        raise WorkflowError(
            f"the extension notice of {case.reference} had to go out by {case.gdpr_due}"
        )


def local_today(app: AppContext) -> date:
    """Today in the deadline engine's time zone."""
    return app.clock().astimezone(ZoneInfo(app.settings.deadlines.timezone)).date()


def _extension_reason(case: Case) -> str:
    for event in reversed(case.events):
        if event.kind == "extended" and event.details.get("reason"):
            return str(event.details["reason"])
    return ""
