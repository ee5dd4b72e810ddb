"""The command line: parse arguments, build the context, configure logging, dispatch.

The command names, flags and JSON shapes are a contract (see README); the
work itself lives in the domain packages.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from inbox_triage import __version__
from inbox_triage.commands.admin import (
    cmd_customers_export,
    cmd_customers_import,
    cmd_users_add,
    cmd_users_token,
)
from inbox_triage.commands.casework import (
    cmd_audit_verify,
    cmd_cases_action,
    cmd_cases_export,
    cmd_cases_list,
    cmd_cases_show,
    cmd_deadline,
    cmd_retention,
)
from inbox_triage.commands.mailwork import (
    cmd_classify,
    cmd_digest,
    cmd_drafts,
    cmd_messages_list,
    cmd_outbox_send,
    cmd_train,
)
from inbox_triage.commands.running import (
    cmd_db_upgrade,
    cmd_demo,
    cmd_imap_check,
    cmd_imap_poll,
    cmd_ingest,
    cmd_serve,
    cmd_worker,
)
from inbox_triage.config import Settings, load_settings
from inbox_triage.errors import InboxTriageError
from inbox_triage.logs import configure_logging
from inbox_triage.nlp.configs import CONFIGS, DEFAULT_ARCHITECTURE

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

    serve = commands.add_parser(
        "serve", help="run the intake (SMTP, IMAP), the web UI and the processor until stopped"
    )
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
        metavar="ACTION"
    )
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
        metavar="ACTION"
    )
    outbox.add_parser("send", help="send what is due through the relay, with retry").set_defaults(
        handler=cmd_outbox_send
    )

    digest = commands.add_parser("digest", help="the staff deadline digest e-mail")
    mode = digest.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="print the digest that would go out")
    mode.add_argument("--send", action="store_true", help="send it now through the outbox")
    digest.add_argument(
        "--to",
        action="append",
        metavar="ADDR",
        help="recipient instead of the staff list (repeatable)",
    )
    digest.set_defaults(handler=cmd_digest)

    users = commands.add_parser("users", help="staff accounts").add_subparsers(metavar="ACTION")
    users_add = users.add_parser(
        "add", help="add a staff user (password generated unless --prompt or --password-stdin)"
    )
    users_add.add_argument("email", metavar="EMAIL")
    users_add.add_argument("--role", required=True, choices=("staff", "admin"))
    users_add.add_argument("--language", choices=("hu", "en"), help="UI language")
    secret = users_add.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (scripts)",
    )
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

    train = commands.add_parser(
        "train",
        help="train the classifier and write models/EVAL.md",
        description="Train the hu and en pipelines from the labelled corpus (fixed seeds: the"
        " same corpus gives the same model files), tune thresholds on the dev split and write"
        " EVAL.md with the test-split figures next to a TF-IDF baseline. Takes several minutes.",
    )
    train.add_argument(
        "--corpus",
        type=Path,
        default=Path("data/corpus"),
        help="directory of *.jsonl corpus files (default: %(default)s)",
    )
    train.add_argument(
        "--output",
        type=Path,
        default=Path("models"),
        help="where the pipelines and EVAL.md are written (default: %(default)s)",
    )
    train.add_argument(
        "--quick", action="store_true", help="a short smoke-training run (tests, not for use)"
    )
    train.add_argument(
        "--report-only",
        action="store_true",
        help="do not train: score the models in --output on the test split of --corpus and"
        " rewrite EVAL.md (after adding test data; the train and dev splits must be unchanged)",
    )
    train.add_argument(
        "--architecture",
        choices=sorted(CONFIGS),
        default=DEFAULT_ARCHITECTURE,
        help="textcat model architecture, a config in nlp/configs/ (default: %(default)s,"
        " chosen on held-out writers with scripts/cross_writer.py; see README)",
    )
    train.set_defaults(handler=cmd_train)
    return parser
