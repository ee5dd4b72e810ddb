"""Golden tests of the reply templates: whole letters compared with reviewed expected files.

Every case is drafted through the real pipeline (fixed clock, fixed customers,
a fresh database so the case reference is always the first of the year) and
the result is compared, byte for byte, with tests/drafting/golden/<lang>/<case>.txt
(headers + plain-text body) and <case>.html (the HTML part).

To (re)generate the expected files after a deliberate template change, run

    INBOX_TRIAGE_REGENERATE_GOLDEN=1 PYTHONPATH=src:tests \\
        .venv/bin/python -m pytest tests/drafting/test_golden.py

and review the diff of the golden files like any other change to the letters.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from sqlalchemy import select

from inbox_triage.cases.actions import extend
from inbox_triage.db.models import Case, Draft
from inbox_triage.drafting import compose, environment
from inbox_triage.drafting.environment import render_letter
from inbox_triage.drafting.store import create_draft, draft_for_case
from inbox_triage.nlp.labels import RIGHTS
from inbox_triage.resources import resource_path

GOLDEN_DIR = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("INBOX_TRIAGE_REGENERATE_GOLDEN") == "1"
LANGUAGES = ("hu", "en")
STAFF = "staff@clmaster.eu"
OWNER = "Kovács János <kovacs.janos@gmail.com>"
TEXT = {
    "hu": "Kérem, javítsák a telefonszámomat erre: +36 30 999 8888.",
    "en": "Please correct my phone number to +36 30 999 8888.",
}
REFUSAL_REASON = {
    "hu": "Ez a negyedik azonos törlési kérelme két héten belül. A törlést 2026. február "
    "20-án elvégeztük, és erről akkor írásban tájékoztattuk.",
    "en": "This is your fourth identical erasure request within two weeks. We carried out "
    "the erasure on 20 February 2026 and confirmed it to you in writing at the time.",
}
EXTENSION_REASON = {
    "hu": "Kérelme nagy mennyiségű archivált adatot érint, amelyet több rendszerből kell "
    "összegyűjtenünk.",
    "en": "Your request concerns a large volume of archived data that we have to collect "
    "from several systems.",
}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: templates do not care about the database."""
    return f"sqlite:///{tmp_path / 'golden.db'}"


# --- the cases ---------------------------------------------------------------------------------

Builder = Callable[[Any, Any, Any, str], Draft]


def _verified(helpers, app, session, rights, language) -> Case:
    parsed = helpers.mail(OWNER, TEXT[language], auth=[helpers.dmarc_pass("gmail.com")])
    return helpers.open_request(app, session, parsed, list(rights), language)


def _slot(session, case: Case, slot: str) -> Draft:
    drafts = session.scalars(select(Draft).where(Draft.case_id == case.id, Draft.slot == slot))
    [draft] = [d for d in drafts if d.state == "draft"]
    return draft


def reply_for(*rights: str) -> Builder:
    """A verified customer (Kovács János, from his on-file address) asking these rights."""

    def build(helpers, app, session, language: str) -> Draft:
        case = _verified(helpers, app, session, rights, language)
        return draft_for_case(session, app, case)

    return build


def information_for_anyone(helpers, app, session, language: str) -> Draft:
    """Someone unknown asks how data is processed: general facts, formal greeting."""
    parsed = helpers.mail("valaki@example.org", "Milyen adatokat kezelnek és meddig?")
    case = helpers.open_request(app, session, parsed, ["information"], language)
    return draft_for_case(session, app, case)


def unverified_on_file(helpers, app, session, language: str) -> Draft:
    """The on-file address without authentication: a verification request to the requester."""
    parsed = helpers.mail("kovacs.janos@gmail.com", TEXT[language])
    case = helpers.open_request(app, session, parsed, ["access"], language)
    return draft_for_case(session, app, case)


def _impersonation(helpers, app, session, language: str) -> Case:
    parsed = helpers.mail("kj.uj@freemail.hu", "Adóazonosító jelem 8123456786. Adataimat kérem.")
    case = helpers.open_request(app, session, parsed, ["access"], language)
    draft_for_case(session, app, case)
    return case


def unverified_neutral(helpers, app, session, language: str) -> Draft:
    """A stranger's address naming a customer: the neutral acknowledgement to the stranger."""
    return _slot(session, _impersonation(helpers, app, session, language), "reply")


def unverified_challenge_on_file(helpers, app, session, language: str) -> Draft:
    """... and the verification request to the customer's on-file address."""
    return _slot(session, _impersonation(helpers, app, session, language), "verification")


def special(kind: str, rights: tuple[str, ...], reasons: dict[str, str] | None = None) -> Builder:
    def build(helpers, app, session, language: str) -> Draft:
        case = _verified(helpers, app, session, rights, language)
        reason = reasons[language] if reasons else ""
        if kind == "extension_notice":
            extend(session, app, case, reason, STAFF)
            reason = ""
        result = create_draft(session, app, case.reference, kind, STAFF, reason=reason)
        return session.get(Draft, result["id"])

    return build


CASES: dict[str, Builder] = {
    **{f"right-{right.replace('_', '-')}": reply_for(right) for right in RIGHTS},
    "multi-access-erasure": reply_for("access", "erasure"),
    "information-unknown-sender": information_for_anyone,
    "unverified-verification-request": unverified_on_file,
    "unverified-neutral-acknowledgement": unverified_neutral,
    "unverified-verification-on-file": unverified_challenge_on_file,
    "refusal-erasure": special("refusal", ("erasure",), REFUSAL_REASON),
    "extension-notice": special("extension_notice", ("access",), EXTENSION_REASON),
    "acknowledgement": special("acknowledgement", ("erasure",)),
}


# --- comparing ---------------------------------------------------------------------------------


def as_text(draft: Draft) -> str:
    """Headers a reviewer needs (subject, recipient, attachments), a blank line, the body."""
    lines = [f"Subject: {draft.subject}", f"To: {draft.recipient}"]
    if draft.attachments:
        lines.append("Attachments: " + ", ".join(item["name"] for item in draft.attachments))
    return "\n".join(lines) + "\n\n" + draft.body_text


def compare(path: Path, actual: str) -> None:
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path} is missing; run with INBOX_TRIAGE_REGENERATE_GOLDEN=1 and review it")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(expected.splitlines(keepends=True),
                                    actual.splitlines(keepends=True),
                                    f"expected/{path.name}", f"actual/{path.name}")  # fmt: skip
        pytest.fail(f"{path} differs (INBOX_TRIAGE_REGENERATE_GOLDEN=1 to accept):\n"
                    + "".join(diff), pytrace=False)  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(CASES))
def test_letter_matches_golden_file(customers, session, helpers, name, language) -> None:
    """GIVEN a representative case WHEN drafted THEN subject, body and HTML are as reviewed."""
    draft = CASES[name](helpers, customers, session, language)
    assert draft is not None and draft.language == language
    assert "GDPR-2026-" in draft.subject  # fixed clock: the first case of 2026
    text = as_text(draft)
    assert "{{" not in text and "{%" not in text and "None" not in text
    assert "\n\n\n" not in text and not any(line != line.rstrip() for line in text.splitlines())
    compare(GOLDEN_DIR / language / f"{name}.txt", text)
    compare(GOLDEN_DIR / language / f"{name}.html", draft.body_html)


# --- coverage and strictness -------------------------------------------------------------------


def template_files(language: str) -> set[str]:
    """Every file under templates/<language>/drafts, as the loader names it."""
    root = resource_path("templates", language)
    return {p.relative_to(root).as_posix() for p in (root / "drafts").rglob("*") if p.is_file()}


class RecordingLoader(jinja2.BaseLoader):
    """Passes through to the real loader and notes every template it hands out."""

    def __init__(self, inner: jinja2.BaseLoader, seen: set[str]) -> None:
        self.inner, self.seen = inner, seen

    def get_source(self, env: jinja2.Environment, template: str) -> Any:
        self.seen.add(template)
        return self.inner.get_source(env, template)


def test_golden_cases_render_every_template_file(customers, session, helpers,
                                                 monkeypatch) -> None:  # fmt: skip
    """GIVEN all golden cases WHEN drafted THEN no template file under drafts/ goes unrendered."""
    seen: dict[str, set[str]] = {language: set() for language in LANGUAGES}
    original = environment.make_environment

    def recording(language: str) -> jinja2.Environment:
        env = original(language)
        env.loader = RecordingLoader(env.loader, seen[language])
        return env

    monkeypatch.setattr(environment, "make_environment", recording)
    for language in LANGUAGES:
        for build in CASES.values():
            build(helpers, customers, session, language)
    for language in LANGUAGES:
        files = template_files(language)
        assert "drafts/layout.html" in files and "drafts/rights/erasure.txt" in files
        assert files - seen[language] == set(), f"{language}: templates no golden case renders"


@pytest.mark.parametrize("language", LANGUAGES)
def test_templates_use_strict_undefined(language) -> None:
    assert environment.make_environment(language).undefined is jinja2.StrictUndefined


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("kind", "missing"),
    [("reply", "record"), ("reply", "policy"), ("refusal", "reason"),
     ("extension_notice", "case.extended_due"), ("acknowledgement", "case.reference"),
     ("verification_request", "code"), ("neutral_acknowledgement", "case.received"),
     ("reply", "days")],
)  # fmt: skip
def test_a_missing_variable_raises(customers, session, helpers, language, kind,
                                   missing) -> None:  # fmt: skip
    """GIVEN the values of a real case minus one WHEN rendered THEN StrictUndefined raises."""
    case = _verified(helpers, customers, session, ["access", "objection"], language)
    values = compose._base_values(customers, case, None, "kovacs.janos@gmail.com", language)
    values["case"]["extended_due"] = values["case"]["gdpr_due"]
    values.update(rights=list(values["case"]["rights"]), show_processing=True, record=[],
                  cases=[], changes=[], attachment_names=[], reason="x",
                  code=compose.CODE_PLACEHOLDER, to_requester=True)  # fmt: skip
    render_letter(customers, language, kind, values)  # complete: renders
    where, _, key = missing.rpartition(".")
    del (values[where] if where else values)[key]
    with pytest.raises(jinja2.UndefinedError):
        render_letter(customers, language, kind, values)
