"""Server-rendered pages: the Jinja2 environment and the two ways a page answers.

Autoescaping is always on, so message text (even HTML someone mailed us) is
shown as text and never interpreted by the browser.
"""

from __future__ import annotations

from typing import Any

import jinja2
from fastapi import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from inbox_triage.resources import resource_path
from inbox_triage.web.csrf import FIELD, finish, session_of
from inbox_triage.web.deps import signed_in_user, web_state
from inbox_triage.web.i18n import Translator


def template_environment() -> jinja2.Environment:
    """The environment of templates/web/ (shipped next to the reply templates)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_path("templates", "web"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def translator_for(request: Request) -> Translator:
    """The signed-in user's language, or the browser's before login."""
    catalogues = web_state(request).catalogues
    user = signed_in_user(request)
    if user is not None:
        return catalogues.translator(user.language)
    return catalogues.for_anonymous(request)


def render(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    """Render a page; personal data is on most pages, so nothing is cached."""
    environment = web_state(request).templates
    html = environment.get_template(template).render(
        t=translator_for(request),
        user=signed_in_user(request),
        csrf_field=FIELD,
        csrf_token=session_of(request).csrf,
        path=request.url.path,
        **values,
    )
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    return finish(request, response)


def redirect(request: Request, url: str) -> Response:
    """After a successful form: see-other to the page to show next."""
    return finish(request, RedirectResponse(url, status_code=303))


def safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
