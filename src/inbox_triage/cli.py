"""The command line: parse arguments, build the context, configure logging, dispatch.

The command names, flags and JSON shapes are a contract (see README); the
work itself lives in the domain packages.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from inbox_triage import __version__
from inbox_triage.config import Settings, load_settings
from inbox_triage.context import AppContext
from inbox_triage.errors import InboxTriageError, UsageError
from inbox_triage.logs import configure_logging

Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `inbox-triage`; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        settings = load_settings(args.config)
        configure_logging(settings.logging, verbose=args.verbose)
        return int(args.handler(args, settings))
    except InboxTriageError as error:
        print(f"inbox-triage: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


def emit(data: Any) -> None:
    """Print one JSON document (UTF-8, stable key order)."""
    print(json.dumps(data, ensure_ascii=False, indent=2))


def open_context(settings: Settings, migrate: bool = False) -> AppContext:
    """The application context; `migrate` brings the schema up to date first."""
    from inbox_triage.db.migrate import current_revision, upgrade

    app = AppContext.create(settings)
    if migrate:
        upgrade(app.engine)
    elif current_revision(app.engine) is None:
        raise UsageError("the database is empty; run `inbox-triage db upgrade` first")
    return app


def local_today(app: AppContext) -> Any:
    return app.clock().astimezone(ZoneInfo(app.settings.deadlines.timezone)).date()


# --- command handlers -------------------------------------------------------


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


def cmd_messages_list(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.db.session import transaction
    from inbox_triage.processing.views import list_messages

    app = open_context(settings)
    with transaction(app.sessions) as session:
        rows = list_messages(session)
    if args.json:
        emit(rows)
    else:
        for row in rows:
            print(
                f"{row['id']:>6}  {row['state']:<9} {row['case'] or '-':<16} "
                f"{(row['subject'] or '')[:60]}"
            )
    return 0


def cmd_cases_list(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.cases.schedule import calendar_for
    from inbox_triage.cases.views import list_cases
    from inbox_triage.db.session import transaction

    app = open_context(settings)
    with transaction(app.sessions) as session:
        rows = list_cases(
            session,
            local_today(app),
            calendar_for(app),
            status=args.status,
            overdue=args.overdue,
            due_within=args.due_within,
        )
    if args.json:
        emit(rows)
    else:
        for row in rows:
            print(
                f"{row['reference']:<16} {row['status']:<22} due {row['due'] or '-':<10} "
                f"{','.join(row['rights'])}"
            )
    return 0


def cmd_cases_show(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.cases.schedule import calendar_for
    from inbox_triage.cases.views import show_case
    from inbox_triage.db.session import transaction

    app = open_context(settings)
    with transaction(app.sessions) as session:
        detail = show_case(session, args.reference, local_today(app), calendar_for(app))
    emit(detail)
    return 0


def cmd_cases_export(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.cases.export import export_case
    from inbox_triage.cases.schedule import calendar_for
    from inbox_triage.db.session import transaction

    app = open_context(settings)
    output = args.output or Path(f"{args.reference}.zip")
    with transaction(app.sessions) as session:
        export_case(session, args.reference, output, local_today(app), calendar_for(app))
    print(f"evidence pack written to {output}")
    return 0


def cmd_cases_action(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.cases import actions
    from inbox_triage.db.session import transaction

    app = open_context(settings)
    actor = args.actor
    with transaction(app.sessions) as session:
        case = actions.get_case(session, args.reference)
        if args.action == "extend":
            for warning in actions.extend(session, app, case, args.reason, actor):
                print(f"warning: {warning}", file=sys.stderr)
        elif args.action == "correct":
            actions.correct_rights(session, app, case, args.right or [], actor, args.reason)
        elif args.action == "close":
            actions.change_status(session, app, case, "closed", actor, args.reason)
        due = case.due.isoformat() if case.due else "-"
        print(f"{case.reference}: {case.status}, due {due} ({case.basis})")
    return 0


def cmd_customers_import(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.customers.csv_io import import_customers
    from inbox_triage.db.session import transaction

    if not args.file.is_file():
        raise UsageError(f"{args.file}: no such file")
    app = open_context(settings, migrate=True)
    with transaction(app.sessions) as session:
        summary = import_customers(session, args.file, now=app.clock())
    print(f"{summary.rows} row(s): {summary.created} created, {summary.updated} updated")
    if summary.ignored_columns:
        print(
            f"ignored columns (never stored): {', '.join(summary.ignored_columns)}", file=sys.stderr
        )
    return 0


def cmd_customers_export(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.customers.csv_io import export_customers
    from inbox_triage.db.session import transaction

    app = open_context(settings)
    with transaction(app.sessions) as session:
        if args.output:
            with args.output.open("w", encoding="utf-8", newline="") as handle:
                count = export_customers(session, handle)
            print(f"{count} customer(s) written to {args.output}", file=sys.stderr)
        else:
            export_customers(session, sys.stdout)
    return 0


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.cases.retention import minimise_expired
    from inbox_triage.db.session import transaction

    app = open_context(settings)
    with transaction(app.sessions) as session:
        summary = minimise_expired(session, app.clock(), args.days, dry_run=args.dry_run)
    verb = "would minimise" if args.dry_run else "minimised"
    print(f"{verb} {len(summary.cases)} case(s), {summary.messages} message(s)")
    for reference in summary.cases:
        print(f"  {reference}")
    return 0


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


def cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from inbox_triage.web.auth import add_user

    app = open_context(settings, migrate=True)
    password: str | None = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif args.prompt and sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat: ") != password:
            raise UsageError("the passwords do not match")
    used = add_user(app, args.email, args.role, password, language=args.language)
    print(f"user {args.email} added with role {args.role}")
    if password is None:
        print(f"generated password (shown once): {used}")
    return 0


def cmd_users_token(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.web.auth import create_api_token

    app = open_context(settings)
    print(create_api_token(app, args.email))
    return 0


def cmd_drafts(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.db.session import transaction
    from inbox_triage.drafting import store

    app = open_context(settings)
    with transaction(app.sessions) as session:
        if args.action == "list":
            result: Any = store.list_drafts(session, state=args.state)
        elif args.action == "show":
            result = store.show_draft(session, args.id)
        elif args.action == "approve":
            result = store.approve_draft(session, app, args.id, args.actor)
        elif args.action == "reject":
            store.reject_draft(session, app, args.id, args.actor, args.reason)
            result = store.show_draft(session, args.id)
        else:
            result = store.regenerate_drafts(session, app, args.reference, args.actor)
    if args.action in ("list", "show") and not args.json:
        _print_drafts(result if isinstance(result, list) else [result])
    else:
        emit(result)
    return 0


def _print_drafts(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        print(f"{row['id']:>5}  {row.get('case') or row.get('reference') or '-':<16} "
              f"{row.get('kind', ''):<24} {row.get('language', '')}  {row.get('state', '')}")
        if "body_text" in row:
            print()
            print(row["body_text"])


def cmd_outbox_send(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.mail.outbox import send_due

    app = open_context(settings)
    if not settings.outgoing.host:
        raise UsageError("no outgoing SMTP relay configured (outgoing.host)")
    summary = send_due(app)
    emit(summary)
    return 1 if summary.get("failed") else 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.cases.audit import verify_chains
    from inbox_triage.db.session import transaction

    app = open_context(settings)
    with transaction(app.sessions) as session:
        problems = verify_chains(session)
    for problem in problems:
        print(f"{problem.reference}: event {problem.sequence}: {problem.reason}")
    if not problems:
        print("audit log intact")
    return 1 if problems else 0


def cmd_deadline(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.cases.calendar import WorkingCalendar
    from inbox_triage.cases.deadlines import compute_deadlines, load_response_policy
    from inbox_triage.cases.schedule import policy_path

    try:
        received = datetime.fromisoformat(args.received)
    except ValueError:
        raise UsageError(f"--received: not an ISO date-time: {args.received!r}") from None
    if received.tzinfo is None:
        raise UsageError("--received: give a time zone offset, e.g. 2027-01-31T10:00:00+01:00")
    result = compute_deadlines(
        received,
        args.right,
        WorkingCalendar.from_settings(settings.deadlines),
        load_response_policy(policy_path(settings)),
        extended=args.extended,
        tz=settings.deadlines.timezone,
    )
    if args.json:
        emit(result.to_json())
    else:
        print(
            f"received {result.received_local}; due {result.due} ({result.basis}); "
            f"GDPR {result.gdpr_due}; policy {result.policy_due or '-'}; "
            f"extended {result.extended_due}"
        )
    return 0


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.nlp.batch import classify_paths

    return classify_paths(args.path, jsonl=args.jsonl, out=sys.stdout)


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.nlp.train import train_all

    train_all(
        corpus_dir=args.corpus,
        output_dir=args.output,
        quick=args.quick,
        architecture=args.architecture,
    )
    return 0


# --- argument parser ----------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inbox-triage",
        description="Turn the privacy mail reaching a company mailbox into tracked GDPR cases.",
        epilog="Configuration: a TOML file named by --config or INBOX_TRIAGE_CONFIG, "
        "overridden by INBOX_TRIAGE_* environment variables (see README).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--config", type=Path, help="TOML configuration file")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run SMTP intake and the processor until stopped")
    serve.add_argument("--demo", action="store_true", help="load the demo data first")
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run the processor only (scale-out role)")
    worker.add_argument("--once", action="store_true", help="process what is due, then exit")
    worker.set_defaults(handler=cmd_worker)

    demo = commands.add_parser("demo", help="load demo messages so the queue is not empty")
    demo.set_defaults(handler=cmd_demo)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(metavar="ACTION")
    db.add_parser("upgrade", help="apply database migrations").set_defaults(handler=cmd_db_upgrade)

    ingest = commands.add_parser("ingest", help="import .eml files, an mbox or a Maildir")
    ingest.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help=".eml files or directories of them"
    )
    ingest.add_argument("--mbox", type=Path, metavar="FILE", help="an mbox file")
    ingest.add_argument("--maildir", type=Path, metavar="DIR", help="a Maildir folder")
    ingest.add_argument("--json", action="store_true", help="print a JSON summary")
    ingest.add_argument(
        "--no-process", action="store_true", help="only store; leave processing to serve/worker"
    )
    ingest.set_defaults(handler=cmd_ingest)

    messages = commands.add_parser("messages", help="stored messages").add_subparsers(
        metavar="ACTION"
    )
    listing = messages.add_parser("list", help="every stored message with its state")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_messages_list)

    cases = commands.add_parser("cases", help="tracked cases").add_subparsers(metavar="ACTION")
    case_list = cases.add_parser("list", help="cases ordered by binding deadline")
    case_list.add_argument("--overdue", action="store_true", help="only open overdue cases")
    case_list.add_argument(
        "--due-within", type=int, metavar="DAYS", help="only open cases due within DAYS days"
    )
    case_list.add_argument("--status", metavar="S", help="only cases in this state")
    case_list.add_argument("--json", action="store_true")
    case_list.set_defaults(handler=cmd_cases_list)
    case_show = cases.add_parser("show", help="one case with its messages and events")
    case_show.add_argument("reference", metavar="REF")
    case_show.add_argument("--json", action="store_true", help="(the output is always JSON)")
    case_show.set_defaults(handler=cmd_cases_show)

    export = cases.add_parser("export", help="write the case's evidence pack (zip)")
    export.add_argument("reference", metavar="REF")
    export.add_argument("--output", type=Path, metavar="FILE", help="default: REF.zip")
    export.set_defaults(handler=cmd_cases_export)
    for action, text in (
        ("extend", "extend the deadline by up to two months"),
        ("correct", "correct the rights (recomputes the deadline)"),
        ("close", "close the case"),
    ):
        sub = cases.add_parser(action, help=text)
        sub.add_argument("reference", metavar="REF")
        sub.add_argument("--reason", required=True, help="recorded in the audit log")
        sub.add_argument("--actor", default="cli", help="who acts (audit log)")
        if action == "correct":
            sub.add_argument(
                "--right",
                action="append",
                metavar="R",
                help="a right (repeat; none: not a privacy request)",
            )
        sub.set_defaults(handler=cmd_cases_action, action=action)

    customers = commands.add_parser("customers", help="customer records").add_subparsers(
        metavar="ACTION"
    )
    customers_import = customers.add_parser(
        "import", help="upsert customers from CSV (one transaction; bad rows named)"
    )
    customers_import.add_argument("file", type=Path, metavar="FILE.csv")
    customers_import.set_defaults(handler=cmd_customers_import)
    customers_export = customers.add_parser("export", help="write every customer as CSV")
    customers_export.add_argument("--output", type=Path, metavar="FILE", help="default: stdout")
    customers_export.set_defaults(handler=cmd_customers_export)

    imap = commands.add_parser("imap", help="IMAP mailbox polling").add_subparsers(metavar="ACTION")
    imap.add_parser("check", help="connect, log in, select the folder, report").set_defaults(
        handler=cmd_imap_check
    )
    imap_poll = imap.add_parser("poll", help="fetch new messages from the mailbox")
    imap_poll.add_argument("--once", action="store_true", help="one poll, then exit")
    imap_poll.set_defaults(handler=cmd_imap_poll)

    drafts = commands.add_parser("drafts", help="reply drafts awaiting approval").add_subparsers(
        metavar="ACTION")
    drafts_list = drafts.add_parser("list", help="drafts with their case and state")
    drafts_list.add_argument("--state", choices=("draft", "approved", "rejected", "sent"))
    drafts_list.add_argument("--json", action="store_true")
    drafts_list.set_defaults(handler=cmd_drafts, action="list")
    drafts_show = drafts.add_parser("show", help="one draft with its text")
    drafts_show.add_argument("id", type=int, metavar="ID")
    drafts_show.add_argument("--json", action="store_true")
    drafts_show.set_defaults(handler=cmd_drafts, action="show")
    drafts_approve = drafts.add_parser("approve", help="approve a draft: it goes to the outbox")
    drafts_approve.add_argument("id", type=int, metavar="ID")
    drafts_approve.add_argument("--actor", default="cli", help="who approves (audit log)")
    drafts_approve.set_defaults(handler=cmd_drafts, action="approve", json=True)
    drafts_reject = drafts.add_parser("reject", help="reject a draft with a reason")
    drafts_reject.add_argument("id", type=int, metavar="ID")
    drafts_reject.add_argument("--reason", required=True)
    drafts_reject.add_argument("--actor", default="cli", help="who rejects (audit log)")
    drafts_reject.set_defaults(handler=cmd_drafts, action="reject", json=True)
    drafts_regenerate = drafts.add_parser("regenerate", help="draft a case's reply again")
    drafts_regenerate.add_argument("reference", metavar="REF")
    drafts_regenerate.add_argument("--actor", default="cli", help="who asks (audit log)")
    drafts_regenerate.set_defaults(handler=cmd_drafts, action="regenerate", json=True)

    outbox = commands.add_parser("outbox", help="approved mail waiting to be sent").add_subparsers(
        metavar="ACTION")
    outbox.add_parser("send", help="send what is due through the relay, with retry").set_defaults(
        handler=cmd_outbox_send)

    users = commands.add_parser("users", help="staff accounts").add_subparsers(metavar="ACTION")
    users_add = users.add_parser(
        "add", help="add a staff user (password generated unless --prompt or --password-stdin)")
    users_add.add_argument("email", metavar="EMAIL")
    users_add.add_argument("--role", required=True, choices=("staff", "admin"))
    users_add.add_argument("--language", choices=("hu", "en"), help="UI language")
    secret = users_add.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin (scripts)")
    secret.add_argument("--prompt", action="store_true", help="ask for the password")
    users_add.set_defaults(handler=cmd_users_add)
    users_token = users.add_parser("token", help="create an API token for scripts (shown once)")
    users_token.add_argument("email", metavar="EMAIL")
    users_token.set_defaults(handler=cmd_users_token)

    retention = commands.add_parser(
        "retention", help="minimise closed cases past the retention period"
    )
    retention.add_argument(
        "--days",
        type=int,
        default=5 * 365 + 1,
        help="retention in days after closing (default: five years)",
    )
    retention.add_argument("--dry-run", action="store_true", help="only list what would change")
    retention.set_defaults(handler=cmd_retention)

    audit = commands.add_parser("audit", help="audit log").add_subparsers(metavar="ACTION")
    audit.add_parser("verify", help="check every case's hash chain").set_defaults(
        handler=cmd_audit_verify
    )

    deadline = commands.add_parser("deadline", help="compute a request's deadlines")
    deadline.add_argument(
        "--received",
        required=True,
        metavar="ISO",
        help="receipt time with offset, e.g. 2027-01-31T10:00:00+01:00",
    )
    deadline.add_argument(
        "--right", required=True, action="append", metavar="R", help="a right (repeat for several)"
    )
    deadline.add_argument("--extended", action="store_true", help="the case was extended")
    deadline.add_argument("--json", action="store_true")
    deadline.set_defaults(handler=cmd_deadline)

    classify = commands.add_parser("classify", help="classify .eml files without storing them")
    classify.add_argument("path", type=Path, metavar="FILE.eml|DIR")
    output = classify.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON object (a file)")
    output.add_argument("--jsonl", action="store_true", help="one line per file (a directory)")
    classify.set_defaults(handler=cmd_classify)

    train = commands.add_parser("train", help="train the classifier and write models/EVAL.md")
    train.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    train.add_argument("--output", type=Path, default=Path("models"))
    train.add_argument("--quick", action="store_true", help="a short smoke-training run")
    train.add_argument(
        "--architecture",
        choices=("ensemble", "bow"),
        default="ensemble",
        help="textcat model architecture (see models/EVAL.md)",
    )
    train.set_defaults(handler=cmd_train)
    return parser
