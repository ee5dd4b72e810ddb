"""Commands that run the product or bring mail in: serve, worker, demo, db, ingest, imap."""

from __future__ import annotations

import argparse
import sys
import threading

from inbox_triage.commands.common import emit, open_context
from inbox_triage.config import Settings
from inbox_triage.errors import UsageError


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.db.migrate import current_revision

    app = open_context(settings, migrate=True)
    print(f"database at revision {current_revision(app.engine)}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage import service

    app = open_context(settings, migrate=True)
    if args.demo:
        from inbox_triage.demo import load_demo

        print(f"demo loaded: {load_demo(app)}", file=sys.stderr)
    stop = threading.Event()
    service.install_signal_handlers(stop)
    service.serve(app, stop, with_intake=True)
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage import service

    app = open_context(settings, migrate=False)
    stop = threading.Event()
    service.install_signal_handlers(stop)
    if args.once:
        from inbox_triage.pipeline import Processor

        print(f"processed {Processor(app).run_pending()} message(s)")
        return 0
    service.serve(app, stop, with_intake=False)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.demo import load_demo

    app = open_context(settings, migrate=True)
    summary = load_demo(app)
    print(f"demo loaded: {summary}")
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.intake.ingest import collect, ingest
    from inbox_triage.pipeline import Processor

    items = collect(args.paths, args.mbox, args.maildir)
    app = open_context(settings, migrate=True)
    summary = ingest(app, items, show_progress=sys.stderr.isatty() and not args.json)
    result = summary.to_json()
    if not args.no_process:
        result["processed"] = Processor(app).run_pending()
    if args.json:
        emit(result)
    else:
        print(
            f"{summary.stored} stored, {summary.duplicates} duplicate(s), "
            f"{len(summary.errors)} error(s)"
        )
        for error in summary.errors:
            print(f"  {error['source']}: {error['error']}", file=sys.stderr)
    return 1 if summary.errors else 0


def cmd_imap_check(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.intake.imap import check_connection

    app = open_context(settings)
    emit(check_connection(app))
    return 0


def cmd_imap_poll(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.intake.imap import poll_once

    app = open_context(settings, migrate=True)
    if not args.once:
        raise UsageError("use `imap poll --once`; `serve` polls continuously when imap.enabled")
    summary = poll_once(app).as_dict()
    emit(summary)
    return 1 if summary.get("errors") else 0
