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
from inbox_triage.errors import InboxTriageError, StorageFullError
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
        except StorageFullError as error:  # reads work, writes fail: retrying at once only spins
            pause = app.settings.processor.retry_delay_seconds
            log.warning("processing paused for %s s: %s", pause, error)
            stop.wait(pause)
            continue
        except Exception:  # database hiccup: keep the loop alive, try again shortly
            log.exception("processor loop error")
            handled = 0
        if handled == 0:
            stop.wait(interval)


def run_outbox(app: AppContext, stop: threading.Event, interval: float = 10.0) -> None:
    """Send approved mail shortly after approval; the outbox itself never sends twice."""
    from inbox_triage.mail.outbox import send_due

    while not stop.is_set():
        try:
            send_due(app)
        except Exception:  # relay or database trouble: the rows stay queued, retried later
            log.exception("outbox round failed")
        stop.wait(interval)


def serve(app: AppContext, stop: threading.Event, with_intake: bool = True) -> None:
    """Run intake (SMTP, IMAP when enabled), web UI, scheduler and processor until stopped."""
    controller = None
    threads: list[threading.Thread] = []
    if with_intake and app.settings.smtp.enabled:
        controller = start_smtp(app)
    if with_intake and app.settings.imap.enabled:
        from inbox_triage.intake.imap import run_poller

        threads.append(_thread("imap-poller", run_poller, app, stop))
    if with_intake:
        from inbox_triage.scheduler import run_scheduler
        from inbox_triage.web.app import run_web

        threads.append(_thread("scheduler", run_scheduler, app, stop))
        if app.settings.outgoing.host:
            threads.append(_thread("outbox", run_outbox, app, stop))

        threads.append(run_web(app, stop))
        log.info("web UI on http://%s:%s/", app.settings.web.host, app.settings.web.port)
    try:
        run_processor(app, stop)
    finally:
        stop.set()
        if controller is not None:
            controller.stop()
        for thread in threads:
            thread.join(timeout=30)
        log.info("stopped")


def start_smtp(app: AppContext) -> IntakeController:
    """Start the SMTP intake, or fail with one clear line when the port is taken."""
    controller = IntakeController(app)
    try:
        controller.start()
    except (OSError, RuntimeError) as error:
        address = f"{app.settings.smtp.host}:{app.settings.smtp.port}"
        raise InboxTriageError(f"cannot listen for SMTP on {address}: {error}") from None
    log.info("SMTP intake listening on %s:%s", app.settings.smtp.host, app.settings.smtp.port)
    return controller


def _thread(name: str, target: Callable[..., None], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread
