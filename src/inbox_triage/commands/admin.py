"""Commands that manage customer records and staff accounts."""

from __future__ import annotations

import argparse
import sys

from inbox_triage.commands.common import open_context
from inbox_triage.config import Settings
from inbox_triage.errors import UsageError


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
