"""Append one benchmark row to bench/RESULTS.md."""

from __future__ import annotations

import platform
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def append_row(benchmark: str, product: str, peer: str, note: str) -> None:
    """Append one row, adding today's date and the Python version.

    Every benchmark writes through here so that all rows share one table format:
    | date | benchmark | product | peer | ratio / note | Python |
    """
    line = (
        f"| {time.strftime('%Y-%m-%d')} | {benchmark} | {product} | {peer} | {note} | "
        f"{platform.python_version()} |\n"
    )
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(line)
