"""The Jinja2 environments of the reply templates (templates/hu/, templates/en/).

StrictUndefined turns a missing fact into an error instead of an empty gap in
a letter. Each reply is written once, as plain text; the HTML part is that
text laid out by one autoescaped layout, so the two never disagree and
nothing a requester wrote can become markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import jinja2

from inbox_triage.context import AppContext
from inbox_triage.resources import resource_path

TEMPLATE_DIR = "drafts"
LAYOUT = f"{TEMPLATE_DIR}/layout.html"
_HU_MONTHS = ("január", "február", "március", "április", "május", "június", "július",
              "augusztus", "szeptember", "október", "november", "december")  # fmt: skip
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip
_HU_A_DAYS = frozenset({2, 3, 6, 8, 13, 16, 18, 20, 23, 26, 28, 30})  # másodikán, harmadikán...
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Rendered:
    """One rendered letter: subject, plain-text body and its HTML twin."""

    subject: str
    text: str
    html: str


def _as_date(value: date | str) -> date:
    """Dates may arrive as ISO strings (from JSON summaries)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def lcfirst(text: str) -> str:
    """'Szervernaplók' inside a sentence: only the first letter lowered, brands kept."""
    return text[:1].lower() + text[1:]


def long_date_hu(day: date | str) -> str:
    """2026. március 2."""
    day = _as_date(day)
    return f"{day.year}. {_HU_MONTHS[day.month - 1]} {day.day}."


def _hu_suffix_vowel(day: date) -> str:
    return "á" if day.day in _HU_A_DAYS else "é"


def on_day_hu(day: date | str) -> str:
    """2026. március 2-án, 2026. április 1-jén: the date with the right case ending."""
    day = _as_date(day)
    ending = "jén" if day.day == 1 else f"{_hu_suffix_vowel(day)}n"
    return f"{day.year}. {_HU_MONTHS[day.month - 1]} {day.day}-{ending}"


def until_day_hu(day: date | str) -> str:
    """2026. április 1-jéig, 2026. április 2-áig."""
    day = _as_date(day)
    ending = "jéig" if day.day == 1 else f"{_hu_suffix_vowel(day)}ig"
    return f"{day.year}. {_HU_MONTHS[day.month - 1]} {day.day}-{ending}"


def long_date_en(day: date | str) -> str:
    """2 March 2026."""
    day = _as_date(day)
    return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


_FILTERS = {
    "hu": {"longdate": long_date_hu, "on_day": on_day_hu, "until_day": until_day_hu},
    "en": {"longdate": long_date_en, "on_day": long_date_en, "until_day": long_date_en},
}


def make_environment(language: str) -> jinja2.Environment:
    """The environment of one language's templates."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_path("templates", language))),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(_FILTERS[language], lcfirst=lcfirst)
    return environment


def environment_for(app: AppContext, language: str) -> jinja2.Environment:
    """One environment per language and context (templates are compiled once)."""
    return app.cached(f"drafting.environment.{language}", lambda: make_environment(language))


def render_letter(app: AppContext, language: str, name: str, values: dict[str, Any]) -> Rendered:
    """Render templates/<language>/drafts/<name>.txt; its `subject` variable is the subject."""
    environment = environment_for(app, language)
    module = environment.get_template(f"{TEMPLATE_DIR}/{name}.txt").make_module(values)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise jinja2.TemplateError(f"template {language}/{name} sets no subject")
    text = tidy_text(str(module))
    return Rendered(subject, text, text_to_html(app, language, subject, text))


def tidy_text(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n") + "\n"


def text_to_html(app: AppContext, language: str, subject: str, text: str) -> str:
    """The HTML part: paragraphs of the plain text, escaped by the layout."""
    paragraphs = [block.split("\n") for block in text.strip("\n").split("\n\n") if block.strip()]
    layout = environment_for(app, language).get_template(LAYOUT)
    return layout.render(subject=subject, paragraphs=paragraphs, language=language)
