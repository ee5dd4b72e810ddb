"""Where shipped artefacts (models, templates, policy, demo data) live.

Installed from a wheel they sit under `inbox_triage/_resources/`; in a checkout
they sit at the repository root. Both are found the same way, so nothing else
in the product needs to know how it was installed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from inbox_triage.errors import InboxTriageError

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_root() -> Path:
    """The directory holding models/, templates/ and data/."""
    installed = _PACKAGE_DIR / "_resources"
    if installed.is_dir():
        return installed
    checkout = _PACKAGE_DIR.parent.parent
    if (checkout / "templates").is_dir() or (checkout / "data").is_dir():
        return checkout
    raise InboxTriageError("cannot find the shipped models/ and templates/ (broken install?)")


def resource_path(*parts: str) -> Path:
    """A path inside the shipped resources, e.g. resource_path("data", "policy.toml")."""
    return resource_root().joinpath(*parts)
