"""Commands about cases: list, show, export, staff actions, audit, deadlines, retention."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from inbox_triage.commands.common import emit, local_today, open_context
from inbox_triage.config import Settings
from inbox_triage.errors import UsageError


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
        detail = show_case(session, args.reference, local_today(app), calendar_for(app), app)
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
