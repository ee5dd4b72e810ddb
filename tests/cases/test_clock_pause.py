"""The deadlines.pause_clock_during_verification policy setting, on real cases."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select
from support.mail import build_message
from support.settings import FixedClock

from inbox_triage.context import AppContext
from inbox_triage.customers.challenge import issue_challenge
from inbox_triage.customers.csv_io import COLUMNS, import_customers
from inbox_triage.db.models import Case
from inbox_triage.db.session import transaction
from inbox_triage.intake.store import store_raw
from inbox_triage.pipeline import Processor

ON_FILE = "toth.gabor@example.hu"
CUSTOMER = ("CM-31337", "Tóth Gábor", ON_FILE, "+36 30 222 3344", "", "", "",
            "1132 Budapest, Váci út 10.", "", "", "tothg", "")  # fmt: skip
REQUEST = "Tisztelt Cloudmaster Kft.!\n\nKérem, töröljék az összes személyes adatomat.\n"


def _case_with_code(app: AppContext, tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([COLUMNS, CUSTOMER])
    with transaction(app.sessions) as session:
        import_customers(session, path, now=app.clock())
    store_raw(app, build_message(sender=f"Tóth Gábor <{ON_FILE}>", body=REQUEST,
                                 message_id="<req@example.hu>"), "smtp")  # fmt: skip
    Processor(app).run_pending()
    with transaction(app.sessions) as session:
        case = session.scalars(select(Case)).one()
        code, _ = issue_challenge(session, app, case)
        return case.reference, code


@pytest.mark.parametrize(("pause", "expected_due"), [(False, "2026-04-01"), (True, "2026-04-07")])
def test_verification_pauses_the_clock_only_when_the_policy_says_so(
    app: AppContext, clock: FixedClock, tmp_path: Path, pause: bool, expected_due: str
) -> None:
    """GIVEN an unverified erasure request received Monday 2 March 2026 (policy date 1 April)
    WHEN the requester answers with the code 6 days later (within the 7-day expiry)
    THEN with the clock paused receipt counts from 8 March: 8 March + 30 days = 7 April, a
    Tuesday after Easter Monday; by default (not paused) the dates stay."""
    app.settings = dataclasses.replace(
        app.settings,
        deadlines=dataclasses.replace(app.settings.deadlines,
                                      pause_clock_during_verification=pause),
    )  # fmt: skip
    reference, code = _case_with_code(app, tmp_path)
    clock.advance(days=6)
    reply = build_message(
        subject="Re: Adataim törlése",
        body=f"A kód: {code}\n",
        sender=f"Tóth Gábor <{ON_FILE}>",
        in_reply_to="<req@example.hu>",
    )
    store_raw(app, reply, "smtp")
    Processor(app).run_pending()
    with app.sessions() as session:
        case = session.scalars(select(Case).where(Case.reference == reference)).one()
        assert case.identity == "verified"
        assert case.due is not None and case.due.isoformat() == expected_due
