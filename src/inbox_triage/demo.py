"""Demo data written for this project, so a new installation's queue is not empty."""

from __future__ import annotations

from inbox_triage.context import AppContext
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor
from inbox_triage.resources import resource_path


def load_demo(app: AppContext) -> str:
    """Store and process the demo messages (idempotent: duplicates are skipped)."""
    directory = resource_path("data", "demo", "messages")
    stored = 0
    for file in sorted(directory.glob("*.eml")):
        if not store_raw(app, file.read_bytes(), "cli").duplicate:
            stored += 1
    processed = Processor(app).run_pending()
    return f"{stored} new demo message(s), {processed} processed"
