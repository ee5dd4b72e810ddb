"""The long-running roles: `serve` (intake + processor) and `worker` (processor only).

Both stop cleanly on SIGTERM or SIGINT: the SMTP server stops accepting,
the message being processed finishes its transaction, then the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from inbox_triage.context import AppContext
from inbox_triage.errors import InboxTriageError
from inbox_triage.intake.smtp import IntakeController
from inbox_triage.pipeline import Processor

log = logging.getLogger(__name__)


def install_signal_handlers(stop: threading.Event) -> None:
    """SIGTERM and SIGINT set the stop event instead of killing mid-transaction."""

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("received signal %s, shutting down", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_processor(app: AppContext, stop: threading.Event) -> None:
    """Process due messages until stopped; idle at the configured interval."""
    processor = Processor(app)
    interval = app.settings.processor.poll_interval_seconds
    while not stop.is_set():
        try:
            handled = processor.run_pending(limit=app.settings.processor.batch_size)
        except Exception:  # database hiccup: keep the loop alive, try again shortly
            log.exception("processor loop error")
            handled = 0
        if handled == 0:
            stop.wait(interval)


def serve(app: AppContext, stop: threading.Event, with_smtp: bool = True) -> None:
    """Run intake and processor until `stop` is set."""
    controller = None
    if with_smtp and app.settings.smtp.enabled:
        controller = IntakeController(app)
        controller.start()
        log.info("SMTP intake listening on %s:%s", app.settings.smtp.host, app.settings.smtp.port)
    try:
        run_processor(app, stop)
    finally:
        if controller is not None:
            controller.stop()
        log.info("stopped")
