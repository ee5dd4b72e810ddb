"""The digest and reminders as text and HTML, from templates/<language>/digest/.

The wording lives in each language's `digest/_phrases.txt`, shared by the
plain-text and the HTML template, so the two parts never say different
things. The text part is wrapped to at most 100 characters a line (URLs are
never broken) so that it reads well in a terminal.
"""

from __future__ import annotations

import textwrap
from typing import Any

from inbox_triage.context import AppContext
from inbox_triage.drafting.environment import Rendered, environment_for, tidy_text

TEMPLATE_DIR = "digest"
MAX_LINE = 100


def render(app: AppContext, language: str, name: str, values: dict[str, Any]) -> Rendered:
    """digest/<name>.txt (which sets `subject`) and digest/<name>.html in one language."""
    environment = environment_for(app, language)
    module = environment.get_template(f"{TEMPLATE_DIR}/{name}.txt").make_module(values)
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise ValueError(f"template {language}/{TEMPLATE_DIR}/{name}.txt sets no subject")
    text = wrap_text(tidy_text(str(module)))
    page = environment.get_template(f"{TEMPLATE_DIR}/{name}.html")
    html = page.render(values | {"subject": subject, "language": language})
    return Rendered(subject, text, html)


def wrap_text(text: str, width: int = MAX_LINE) -> str:
    """Long lines wrapped; list items ("- ") continue under their first word."""
    lines: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        hanging = indent + ("  " if line.lstrip(" ").startswith("- ") else "")
        lines.extend(
            textwrap.wrap(
                line,
                width=width,
                subsequent_indent=hanging,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)
