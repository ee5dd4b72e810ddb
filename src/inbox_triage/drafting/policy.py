"""The privacy policy's facts, read from data/policy.toml for the reply templates.

The templates quote these facts (controller, processing, retention, rights,
authority, court); nothing of the policy is written in Python. A value given
as `{ hu = "...", en = "..." }` is resolved to the reply's language once, so
templates only ever see plain strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inbox_triage.cases.schedule import policy_path
from inbox_triage.config import read_toml_file
from inbox_triage.context import AppContext
from inbox_triage.errors import ConfigError

LANGUAGES = ("hu", "en")
REQUIRED = {
    "controller": ("name", "address", "tax_number", "email", "website"),
    "authority": ("abbreviation", "name", "address", "email", "phone"),
    "court": ("text",),
    "processors": ("note",),
    "erasure": ("deleted", "kept"),
}
PROCESSING_KEYS = ("id", "audience", "basis", "name", "data", "purpose", "legal_basis", "retention")


def load_policy_document(path: Path) -> dict[str, Any]:
    """The whole policy file, checked for the facts the templates need."""
    document = read_toml_file(path, "policy file")
    check_policy(document, path)
    return document


def check_policy(document: Mapping[str, Any], path: Path) -> None:
    """Fail at start-up, naming the key, rather than in the middle of a reply."""
    for table, keys in REQUIRED.items():
        section = document.get(table)
        if not isinstance(section, Mapping):
            raise ConfigError(f"{table}: missing table in policy file {path}")
        for key in keys:
            if key not in section:
                raise ConfigError(f"{table}.{key}: missing in policy file {path}")
    for name in ("processing", "rights", "analytics"):
        if not isinstance(document.get(name), list) or not document[name]:
            raise ConfigError(f"{name}: expected a non-empty array of tables in {path}")
    for index, item in enumerate(document["processing"]):
        for key in PROCESSING_KEYS:
            if key not in item:
                raise ConfigError(f"processing[{index}].{key}: missing in policy file {path}")
    _check_languages(document, "", path)


def _check_languages(value: Any, where: str, path: Path) -> None:
    """Every bilingual value has both languages, so no reply ends up half translated."""
    if isinstance(value, Mapping):
        if _is_bilingual(value) and set(value) != set(LANGUAGES):
            raise ConfigError(f"{where}: needs both hu and en wording in policy file {path}")
        for key, item in value.items():
            _check_languages(item, f"{where}.{key}" if where else key, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_languages(item, f"{where}[{index}]", path)


def _is_bilingual(value: Mapping[str, Any]) -> bool:
    return bool(value) and set(value) <= set(LANGUAGES)


def localized(value: Any, language: str) -> Any:
    """The document with every {hu, en} pair replaced by the wording in `language`."""
    if isinstance(value, Mapping):
        if _is_bilingual(value):
            return localized(value[language], language)
        return {key: localized(item, language) for key, item in value.items()}
    if isinstance(value, list):
        return [localized(item, language) for item in value]
    return value


def policy_facts(app: AppContext, language: str) -> dict[str, Any]:
    """The facts in one language, read once per context."""
    if language not in LANGUAGES:
        raise ValueError(f"no policy wording for language {language!r}")
    document = app.cached(
        "drafting.policy", lambda: load_policy_document(policy_path(app.settings))
    )
    return app.cached(f"drafting.policy.{language}", lambda: localized(document, language))
