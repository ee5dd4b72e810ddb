"""Commands about messages, drafts, the outbox and the classifier."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from inbox_triage.commands.common import emit, open_context
from inbox_triage.config import Settings
from inbox_triage.errors import UsageError


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
        print(
            f"{row['id']:>5}  {row.get('case') or row.get('reference') or '-':<16} "
            f"{row.get('kind', ''):<24} {row.get('language', '')}  {row.get('state', '')}"
        )
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


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.nlp.batch import classify_paths

    return classify_paths(args.path, jsonl=args.jsonl, out=sys.stdout)


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.nlp.train import report_models, train_all

    if args.report_only:
        report_models(args.corpus, args.output)
        return 0
    train_all(
        corpus_dir=args.corpus,
        output_dir=args.output,
        quick=args.quick,
        architecture=args.architecture,
    )
    return 0


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    from inbox_triage.digest.compose import digest_dry_run, digest_send

    app = open_context(settings)
    if args.send:
        emit(digest_send(app, args.to or None))
    else:
        print(digest_dry_run(app, args.to or None), end="")
    return 0
