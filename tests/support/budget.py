"""Measuring the time and Python memory one piece of work takes (tracemalloc peak)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Cost:
    """Wall time and peak traced allocation of one measured call."""

    label: str
    seconds: float
    peak_bytes: int

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / (1024 * 1024)

    def __str__(self) -> str:
        return f"{self.label}: {self.seconds:.2f} s, peak {self.peak_mib:.0f} MiB (tracemalloc)"


def measure(label: str, action: Callable[[], T]) -> tuple[T, Cost]:
    """Run `action` under tracemalloc; print and return its cost."""
    started_tracing = not tracemalloc.is_tracing()
    if started_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    try:
        result = action()
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] - base
        if started_tracing:
            tracemalloc.stop()
    cost = Cost(label, seconds, peak)
    print(cost)
    return result, cost
