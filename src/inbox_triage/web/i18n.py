"""The UI's wording in Hungarian and English, kept as data in locales/*.toml.

Each catalogue is a TOML file of tables; a key is its dotted path
("status.new"). A key missing in one language falls back to English, then to
the key itself, so a gap shows up on screen instead of breaking the page.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("hu", "en")
FALLBACK = "en"
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def load_catalogue(language: str, directory: Path = LOCALES_DIR) -> dict[str, str]:
    """One language's messages as a flat dict of dotted keys."""
    with (directory / f"{language}.toml").open("rb") as handle:
        return _flatten(tomllib.load(handle))


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


class Translator:
    """Messages, dates and times in one language."""

    def __init__(
        self, language: str, messages: Mapping[str, str], fallback: Mapping[str, str], timezone: str
    ) -> None:
        self.language = language
        self._messages = messages
        self._fallback = fallback
        self._tz = ZoneInfo(timezone)

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """True when the catalogue names this key (for optional labels like event kinds)."""
        return key in self._messages or key in self._fallback

    def label(self, prefix: str, value: object) -> str:
        """The wording of a code ("status", "new"), the code itself when unnamed, – for None."""
        if value is None:
            return "–"
        key = f"{prefix}.{value}"
        return self(key) if self.has(key) else str(value)

    def days(self, left: int | None) -> str:
        """Working days left (or overdue) in words."""
        if left is None:
            return "–"
        if left < 0:
            return self("days.overdue", n=-left)
        return self("days.today") if left == 0 else self("days.left", n=left)

    def date(self, value: date | None) -> str:
        """A date as people in this language write it."""
        if value is None:
            return "–"
        if self.language == "hu":
            return f"{value.year}. {value.month:02d}. {value.day:02d}."
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"

    def datetime(self, value: datetime | None) -> str:
        """A moment in the installation's local time."""
        if value is None:
            return "–"
        local = value.astimezone(self._tz)
        return f"{self.date(local.date())} {local:%H:%M}"


class Catalogues:
    """Every language's catalogue, loaded once per application."""

    def __init__(self, timezone: str, default_language: str, directory: Path = LOCALES_DIR) -> None:
        self.messages = {language: load_catalogue(language, directory) for language in LANGUAGES}
        self.timezone = timezone
        self.default = default_language if default_language in LANGUAGES else "hu"

    def translator(self, language: str | None) -> Translator:
        """The translator of a language (the default one when unknown)."""
        chosen = language if language in self.messages else self.default
        return Translator(chosen, self.messages[chosen], self.messages[FALLBACK], self.timezone)

    def for_anonymous(self, request: Request) -> Translator:
        """Before login: the browser's preferred language among ours."""
        header = request.headers.get("accept-language", "")
        for part in header.split(","):
            tag = part.split(";")[0].strip().lower()[:2]
            if tag in self.messages:
                return self.translator(tag)
        return self.translator(self.default)
