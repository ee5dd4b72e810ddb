"""Missing servers and tools: a skip on a developer's machine, a failure under CI=true.

CI installs everything the tests need, so there a missing piece is a broken
set-up that must not pass silently as skipped tests.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def missing(message: str) -> NoReturn:
    """Fail under CI=true, skip elsewhere, with `message` as the reason."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
