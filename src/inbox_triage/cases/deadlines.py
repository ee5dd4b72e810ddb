"""Response deadlines of a data subject request: pure date arithmetic, no database.

Two deadlines apply and the earliest binds:

* GDPR Art. 12(3): one month from receipt, counted as Regulation (EEC, Euratom)
  No 1182/71 Art. 3 says: the same date in the next month, or that month's last
  day when it has no such date; a period ending on a Saturday, Sunday or public
  holiday ends at the end of the next working day. It can be extended by two
  further months (the earlier of receipt + 3 months and the unshifted
  one-month date + 2 months, then shifted the same way).
* The company's published commitments (privacy policy, "30 napon belül",
  "15 napon belül"), read from the policy file: receipt local date + N days,
  the day of receipt not counted. Where that day is not a working day the
  policy's `nonworking_day` says what happens: "previous" (default; the reply
  is never later than published), "next" (as 1182/71 would do) or "keep".

Receipt is a Europe/Budapest local date. On a tie the policy date is shown as
binding, since it is the commitment the requester has read.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from inbox_triage.cases.calendar import WorkingCalendar
from inbox_triage.config import read_toml_file
from inbox_triage.errors import ConfigError, UsageError
from inbox_triage.nlp.labels import RIGHTS

NONWORKING_DAY_MODES = ("previous", "next", "keep")
DEFAULT_TIMEZONE = "Europe/Budapest"
EXTENSION_WARNING = (
    "extended beyond the company's published response time of the privacy policy "
    "(policy date {policy_due}); the requester must be told the reasons within the first month"
)


def add_months(d: date, n: int) -> date:
    """Same day n months later, or that month's last day (Reg. 1182/71 Art. 3(2)(c))."""
    months = d.year * 12 + (d.month - 1) + n
    year, month = divmod(months, 12)
    last_day = _gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last_day))


def local_receipt_date(received: datetime, tz: str = DEFAULT_TIMEZONE) -> date:
    """The Budapest calendar date of an aware receipt instant; naive input is refused."""
    if received.tzinfo is None or received.utcoffset() is None:
        raise ValueError("receipt time must be timezone-aware, got a naive datetime")
    return received.astimezone(ZoneInfo(tz)).date()


@dataclass(frozen=True)
class ResponsePolicy:
    """The company's own response times (right -> days) and its non-working-day rule."""

    response_times: Mapping[str, int] = field(default_factory=dict, hash=False)
    nonworking_day: str = "previous"

    def __post_init__(self) -> None:
        object.__setattr__(self, "response_times", MappingProxyType(dict(self.response_times)))
        for right, days in self.response_times.items():
            _check_response_time(right, days)
        if self.nonworking_day not in NONWORKING_DAY_MODES:
            raise ConfigError(
                f"deadlines.nonworking_day: expected one of {', '.join(NONWORKING_DAY_MODES)}, "
                f"got {self.nonworking_day!r}"
            )


def _check_response_time(right: str, days: Any) -> None:
    if right not in RIGHTS:
        raise ConfigError(f"response_times.{right}: unknown right (known: {', '.join(RIGHTS)})")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigError(
            f"response_times.{right}: expected a positive number of days, got {days!r}"
        )


def load_response_policy(path: str | Path) -> ResponsePolicy:
    """Read `[response_times]` and `[deadlines] nonworking_day` from the policy TOML."""
    path = Path(path)
    document = read_toml_file(path, "policy file")
    times = _table(document, "response_times")
    settings = _table(document, "deadlines")
    unknown = sorted(set(settings) - {"nonworking_day"})
    if unknown:
        raise ConfigError(f"deadlines.{unknown[0]}: unknown key in policy file {path}")
    mode = settings.get("nonworking_day", "previous")
    if not isinstance(mode, str):
        raise ConfigError(f"deadlines.nonworking_day: expected a string, got {mode!r}")
    return ResponsePolicy(response_times=times, nonworking_day=mode)


def _table(document: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{key}: must be a table in the policy file")
    return dict(value)


@dataclass(frozen=True)
class DeadlineResult:
    """All applicable deadlines of a request, and which one binds."""

    received_local: date
    gdpr_due: date
    policy_due: date | None
    due: date
    basis: str
    extended_due: date
    extended: bool = False
    warnings: tuple[str, ...] = ()
    per_right: dict[str, dict[str, date | None]] = field(default_factory=dict, hash=False)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values, dates as ISO strings (per_right is left out)."""
        return {
            "received_local": self.received_local.isoformat(),
            "gdpr_due": self.gdpr_due.isoformat(),
            "policy_due": _iso(self.policy_due),
            "due": self.due.isoformat(),
            "basis": self.basis,
            "extended_due": self.extended_due.isoformat(),
            "extended": self.extended,
            "warnings": list(self.warnings),
        }


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def gdpr_dates(received_local: date, calendar: WorkingCalendar) -> tuple[date, date]:
    """The one-month date and the extended date, both shifted to a working day."""
    month_end = add_months(received_local, 1)
    extended = min(add_months(received_local, 3), add_months(month_end, 2))
    return (
        calendar.next_working_day_on_or_after(month_end),
        calendar.next_working_day_on_or_after(extended),
    )


def policy_date(received_local: date, days: int, calendar: WorkingCalendar, mode: str) -> date:
    """Receipt date + days (receipt day not counted), moved per the policy's mode."""
    due = received_local + timedelta(days=days)
    if mode == "previous":
        return calendar.previous_working_day_on_or_before(due)
    if mode == "next":
        return calendar.next_working_day_on_or_after(due)
    return due


def compute_deadlines(
    received: datetime,
    rights: Iterable[str] | None,
    calendar: WorkingCalendar,
    policy: ResponsePolicy,
    extended: bool = False,
    tz: str = DEFAULT_TIMEZONE,
) -> DeadlineResult:
    """Every applicable deadline of a request for a set of rights; the earliest binds."""
    wanted = _check_rights(rights)
    received_local = local_receipt_date(received, tz)
    gdpr_due, extended_due = gdpr_dates(received_local, calendar)
    per_right: dict[str, dict[str, date | None]] = {}
    for right in wanted:
        days = policy.response_times.get(right)
        due = None
        if days is not None:
            due = policy_date(received_local, days, calendar, policy.nonworking_day)
        per_right[right] = {"gdpr_due": gdpr_due, "policy_due": due}
    policy_dates = [e["policy_due"] for e in per_right.values() if e["policy_due"] is not None]
    policy_due = min(policy_dates, default=None)
    due, basis = gdpr_due, "gdpr"
    if policy_due is not None and policy_due <= gdpr_due:
        due, basis = policy_due, "policy"
    warnings: tuple[str, ...] = ()
    if extended:
        due, basis = extended_due, "gdpr"
        if policy_due is not None:
            warnings = (EXTENSION_WARNING.format(policy_due=policy_due.isoformat()),)
    return DeadlineResult(
        received_local=received_local,
        gdpr_due=gdpr_due,
        policy_due=policy_due,
        due=due,
        basis=basis,
        extended_due=extended_due,
        extended=extended,
        warnings=warnings,
        per_right=per_right,
    )


def _check_rights(rights: Iterable[str] | None) -> tuple[str, ...]:
    """Known rights in a stable order; an unknown one is a UsageError naming it.

    None (nothing recognised yet) is the empty set: any request gets the GDPR month.
    """
    if rights is None:
        return ()
    if isinstance(rights, str):
        rights = (rights,)
    wanted = set()
    for right in rights:
        if right not in RIGHTS:
            raise UsageError(f"unknown right {right!r} (known: {', '.join(RIGHTS)})")
        wanted.add(right)
    return tuple(right for right in RIGHTS if right in wanted)
