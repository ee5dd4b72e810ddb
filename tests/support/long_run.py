"""The `--long` switch: the fault and bad-input suites run their short variants by default
(as CI runs them) and their long variants under `pytest --long` (`make test-long`).

tests/conftest.py records the option here when pytest starts, before any test module is
imported, so a module can choose its sizes in module constants that decorators (hypothesis
settings, parametrize lists) read as well as the tests themselves.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")

_enabled = False


def set_long_run(enabled: bool) -> None:
    """Record the --long option (tests/conftest.py does, in pytest_configure)."""
    global _enabled
    _enabled = enabled


def pick(short: T, long: T) -> T:
    """A test's size for this run: `long` under --long, otherwise `short`."""
    return long if _enabled else short
