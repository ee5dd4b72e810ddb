"""Login rate limiting: failed attempts per client address and per account, per minute.

Counting by address stops one client guessing many accounts; counting by
account stops many clients guessing one password. The counts live in the web
process's memory (the UI runs in one process); a restart forgets them, which
costs an attacker a restart they cannot cause.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class LoginLimiter:
    """A sliding one-minute window of failed logins per key."""

    def __init__(
        self, attempts_per_minute: int, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = max(1, attempts_per_minute)
        self._now = monotonic
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed for these keys (0: allowed now)."""
        with self._lock:
            now = self._now()
            waits = [self._wait(key, now) for key in keys]
        return max(waits, default=0)

    def failed(self, *keys: str) -> None:
        """Record one failed attempt under each key."""
        with self._lock:
            now = self._now()
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > 10_000:
                self._forget_old(now)

    def succeeded(self, account_key: str) -> None:
        """A correct password clears the account's count (not the address's)."""
        with self._lock:
            self._failures.pop(account_key, None)

    def _wait(self, key: str, now: float) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        while times and now - times[0] >= WINDOW_SECONDS:
            times.popleft()
        if len(times) < self.limit:
            return 0
        return max(1, int(WINDOW_SECONDS - (now - times[0])) + 1)

    def _forget_old(self, now: float) -> None:
        for key in list(self._failures):
            times = self._failures[key]
            if not times or now - times[-1] >= WINDOW_SECONDS:
                del self._failures[key]
