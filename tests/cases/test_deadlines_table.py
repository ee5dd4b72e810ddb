"""Dated deadline cases, each worked out by hand (weekdays checked with Python's calendar).

Columns: received instant, rights, then the expected received_local, gdpr_due,
policy_due, due, basis and extended_due. Options: the policy's nonworking_day
mode, the christmas_eve_is_holiday setting and whether the case is extended.
GDPR month = same date next month (or the month's last day), moved forward past
Saturdays, Sundays and statutory holidays. Extended = receipt + 3 months (it is
never later than the unshifted month date + 2 months), moved forward the same way.
Policy = receipt date + 30 (information, rectification, erasure, restriction)
or + 15 (objection) days, moved per the mode. "A" = access (no policy days).
"""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from inbox_triage.cases.calendar import WorkingCalendar
from inbox_triage.cases.deadlines import (
    ResponsePolicy,
    add_months,
    compute_deadlines,
    load_response_policy,
    local_receipt_date,
)
from inbox_triage.errors import ConfigError, UsageError

POLICY_DAYS = {
    "information": 30,
    "rectification": 30,
    "erasure": 30,
    "restriction": 30,
    "objection": 15,
}
A = ("access",)
CALENDARS = {True: WorkingCalendar(), False: WorkingCalendar(christmas_eve_is_holiday=False)}


def case(
    case_id: str,
    received: str,
    rights: tuple[str, ...],
    expected: tuple[str, str, str | None, str, str, str],
    mode: str = "previous",
    xmas: bool = True,
    extended: bool = False,
) -> object:
    return pytest.param(received, rights, expected, mode, xmas, extended, id=case_id)


CASES = [
    # --- month ends -------------------------------------------------------------------------
    # The issue's example: 28 Feb 2027 is a Sunday -> Mon 1 Mar; extension 28 Feb + 2 months
    # = Wed 28 Apr (earlier than 30 Apr).
    case("example", "2027-01-31T10:00:00+01:00", A,
         ("2027-01-31", "2027-03-01", None, "2027-03-01", "gdpr", "2027-04-28")),
    # Leap year: 31 Jan 2028 -> Tue 29 Feb 2028. Extension: 29 Apr is a Saturday, 30 Apr a
    # Sunday, Mon 1 May Labour Day -> Tue 2 May.
    case("leap-jan31", "2028-01-31T10:00:00+01:00", A,
         ("2028-01-31", "2028-02-29", None, "2028-02-29", "gdpr", "2028-05-02")),
    # Non-leap 2026: 31 Jan -> 28 Feb, a Saturday -> Mon 2 Mar; extension Tue 28 Apr.
    case("nonleap-jan31-sat", "2026-01-31T10:00:00+01:00", A,
         ("2026-01-31", "2026-03-02", None, "2026-03-02", "gdpr", "2026-04-28")),
    # Non-leap 2029: 31 Jan -> Wed 28 Feb; extension 28 Apr is a Saturday -> Mon 30 Apr.
    case("nonleap-jan31-wed", "2029-01-31T10:00:00+01:00", A,
         ("2029-01-31", "2029-02-28", None, "2029-02-28", "gdpr", "2029-04-30")),
    # 31 Mar -> 30 Apr (30-day month), a Friday; extension Wed 30 Jun.
    case("mar31-to-30day-month", "2027-03-31T10:00:00+02:00", A,
         ("2027-03-31", "2027-04-30", None, "2027-04-30", "gdpr", "2027-06-30")),
    # 30 Apr -> 30 May, a Sunday -> Mon 31 May; extension Fri 30 Jul.
    case("apr30-to-31day-month", "2027-04-30T10:00:00+02:00", A,
         ("2027-04-30", "2027-05-31", None, "2027-05-31", "gdpr", "2027-07-30")),
    # 31 Dec 2026 -> 31 Jan 2027, a Sunday -> Mon 1 Feb; extension Wed 31 Mar.
    case("dec31-year-end", "2026-12-31T10:00:00+01:00", A,
         ("2026-12-31", "2027-02-01", None, "2027-02-01", "gdpr", "2027-03-31")),
    # 31 May -> Wed 30 Jun; extension 30 Jun + 2 months = Mon 30 Aug (not 31 Aug).
    case("may31", "2027-05-31T10:00:00+02:00", A,
         ("2027-05-31", "2027-06-30", None, "2027-06-30", "gdpr", "2027-08-30")),
    # 31 Aug -> Wed 30 Sep; extension Mon 30 Nov.
    case("aug31", "2026-08-31T10:00:00+02:00", A,
         ("2026-08-31", "2026-09-30", None, "2026-09-30", "gdpr", "2026-11-30")),
    # 31 Oct -> Tue 30 Nov; extension 30 Jan 2028 is a Sunday -> Mon 31 Jan.
    case("oct31", "2027-10-31T10:00:00+01:00", A,
         ("2027-10-31", "2027-11-30", None, "2027-11-30", "gdpr", "2028-01-31")),
    # 30 Nov -> Wed 30 Dec; extension 28 Feb 2027 (no 30 Feb) is a Sunday -> Mon 1 Mar.
    case("nov30", "2026-11-30T10:00:00+01:00", A,
         ("2026-11-30", "2026-12-30", None, "2026-12-30", "gdpr", "2027-03-01")),
    # 30 Nov 2027 -> Thu 30 Dec; extension lands on leap day Tue 29 Feb 2028.
    case("nov30-leap-extension", "2027-11-30T10:00:00+01:00", A,
         ("2027-11-30", "2027-12-30", None, "2027-12-30", "gdpr", "2028-02-29")),
    # --- every statutory holiday ---------------------------------------------------------
    # 1 Jan 2029 is a Monday holiday -> Tue 2 Jan; extension Thu 1 Mar.
    case("new-year", "2028-12-01T10:00:00+01:00", A,
         ("2028-12-01", "2029-01-02", None, "2029-01-02", "gdpr", "2029-03-01")),
    # 15 Mar 2027 Monday -> Tue 16 Mar; extension 15 May Sat, 16 Sun, 17 Whit Monday -> 18 May.
    case("march-15", "2027-02-15T10:00:00+01:00", A,
         ("2027-02-15", "2027-03-16", None, "2027-03-16", "gdpr", "2027-05-18")),
    # Good Friday 26 Mar 2027, then Sat, Easter Sunday, Easter Monday 29 -> Tue 30 Mar.
    case("good-friday", "2027-02-26T10:00:00+01:00", A,
         ("2027-02-26", "2027-03-30", None, "2027-03-30", "gdpr", "2027-05-26")),
    # Easter Monday 17 Apr 2028 -> Tue 18 Apr; extension 17 Jun is a Saturday -> Mon 19 Jun.
    case("easter-monday", "2028-03-17T10:00:00+01:00", A,
         ("2028-03-17", "2028-04-18", None, "2028-04-18", "gdpr", "2028-06-19")),
    # 1 May 2026 is a Friday -> Mon 4 May; extension Wed 1 Jul.
    case("may-1", "2026-04-01T10:00:00+02:00", A,
         ("2026-04-01", "2026-05-04", None, "2026-05-04", "gdpr", "2026-07-01")),
    # Whit Monday 17 May 2027 -> Tue 18 May; extension 17 Jul is a Saturday -> Mon 19 Jul.
    case("whit-monday", "2027-04-17T10:00:00+02:00", A,
         ("2027-04-17", "2027-05-18", None, "2027-05-18", "gdpr", "2027-07-19")),
    # 20 Aug 2026 Thursday -> Fri 21 Aug, a bridge rest day that does NOT move it further.
    case("august-20-then-bridge-day", "2026-07-20T10:00:00+02:00", A,
         ("2026-07-20", "2026-08-21", None, "2026-08-21", "gdpr", "2026-10-20")),
    # 23 Oct 2026 Friday -> Mon 26 Oct; extension Wed 23 Dec.
    case("october-23", "2026-09-23T10:00:00+02:00", A,
         ("2026-09-23", "2026-10-26", None, "2026-10-26", "gdpr", "2026-12-23")),
    # 1 Nov 2027 Monday -> Tue 2 Nov; extension 1 Jan 2028 Saturday (holiday) -> Mon 3 Jan.
    case("november-1", "2027-10-01T10:00:00+02:00", A,
         ("2027-10-01", "2027-11-02", None, "2027-11-02", "gdpr", "2028-01-03")),
    # 24 Dec 2026 Thursday (new holiday, setting on), Fri 25, Sat 26, Sun 27 -> Mon 28 Dec.
    case("christmas-eve-2026-on", "2026-11-24T10:00:00+01:00", A,
         ("2026-11-24", "2026-12-28", None, "2026-12-28", "gdpr", "2027-02-24")),
    # Same with the setting off: 24 Dec 2026 is an ordinary Thursday.
    case("christmas-eve-2026-off", "2026-11-24T10:00:00+01:00", A,
         ("2026-11-24", "2026-12-24", None, "2026-12-24", "gdpr", "2027-02-24"), xmas=False),
    # 24 Dec 2027 Friday (setting on), then a weekend -> Mon 27 Dec; extension Thu 24 Feb.
    case("christmas-eve-2027-on", "2027-11-24T10:00:00+01:00", A,
         ("2027-11-24", "2027-12-27", None, "2027-12-27", "gdpr", "2028-02-24")),
    # Setting off: Fri 24 Dec 2027 stays.
    case("christmas-eve-2027-off", "2027-11-24T10:00:00+01:00", A,
         ("2027-11-24", "2027-12-24", None, "2027-12-24", "gdpr", "2028-02-24"), xmas=False),
    # 24 Dec 2025 Wednesday: only a bridge day before the 2026 law -> stays, setting on.
    case("christmas-eve-2025-bridge", "2025-11-24T10:00:00+01:00", A,
         ("2025-11-24", "2025-12-24", None, "2025-12-24", "gdpr", "2026-02-24")),
    # 25 Dec 2028 Monday, 26 Tuesday -> Wed 27 Dec; extension 25 Feb 2029 Sunday -> Mon 26.
    case("christmas-day", "2028-11-25T10:00:00+01:00", A,
         ("2028-11-25", "2028-12-27", None, "2028-12-27", "gdpr", "2029-02-26")),
    # 26 Dec 2029 Wednesday -> Thu 27 Dec; extension Tue 26 Feb 2030.
    case("second-day-of-christmas", "2029-11-26T10:00:00+01:00", A,
         ("2029-11-26", "2029-12-27", None, "2029-12-27", "gdpr", "2030-02-26")),
    # --- bridge rest days (pihenőnap) do not move a deadline ------------------------------
    # Fri 2 Jan 2026 (swapped for Sat 10 Jan) stays; extension Mon 2 Mar.
    case("bridge-2026-01-02", "2025-12-02T10:00:00+01:00", A,
         ("2025-12-02", "2026-01-02", None, "2026-01-02", "gdpr", "2026-03-02")),
    # Fri 21 Aug 2026 (swapped for Sat 8 Aug) stays; extension Wed 21 Oct.
    case("bridge-2026-08-21", "2026-07-21T10:00:00+02:00", A,
         ("2026-07-21", "2026-08-21", None, "2026-08-21", "gdpr", "2026-10-21")),
    # Fri 24 Oct 2025 stays; extension Wed 24 Dec 2025, a bridge day too, stays.
    case("bridge-2025-10-24", "2025-09-24T10:00:00+02:00", A,
         ("2025-09-24", "2025-10-24", None, "2025-10-24", "gdpr", "2025-12-24")),
    # Fri 2 May 2025 stays; extension Wed 2 Jul.
    case("bridge-2025-05-02", "2025-04-02T10:00:00+02:00", A,
         ("2025-04-02", "2025-05-02", None, "2025-05-02", "gdpr", "2025-07-02")),
    # Fri 27 Dec 2024 stays; extension Thu 27 Feb 2025.
    case("bridge-2024-12-27", "2024-11-27T10:00:00+01:00", A,
         ("2024-11-27", "2024-12-27", None, "2024-12-27", "gdpr", "2025-02-27")),
    # Mon 19 Aug 2024 stays; extension 19 Oct is a Saturday -> Mon 21 Oct.
    case("bridge-2024-08-19", "2024-07-19T10:00:00+02:00", A,
         ("2024-07-19", "2024-08-19", None, "2024-08-19", "gdpr", "2024-10-21")),
    # --- transferred working Saturdays are still Saturdays ---------------------------------
    # Sat 10 Jan 2026 (working day by decree) -> Mon 12 Jan; extension Tue 10 Mar.
    case("working-saturday-2026-01-10", "2025-12-10T10:00:00+01:00", A,
         ("2025-12-10", "2026-01-12", None, "2026-01-12", "gdpr", "2026-03-10")),
    # Sat 8 Aug 2026 (working day) -> Mon 10 Aug; extension Thu 8 Oct.
    case("working-saturday-2026-08-08", "2026-07-08T10:00:00+02:00", A,
         ("2026-07-08", "2026-08-10", None, "2026-08-10", "gdpr", "2026-10-08")),
    # Sat 13 Dec 2025 (working day) -> Mon 15 Dec; extension Fri 13 Feb 2026.
    case("working-saturday-2025-12-13", "2025-11-13T10:00:00+01:00", A,
         ("2025-11-13", "2025-12-15", None, "2025-12-15", "gdpr", "2026-02-13")),
    # --- receipt late in the evening, across UTC midnight ----------------------------------
    # 23:30 UTC on 31 Jan = 00:30 on 1 Feb in Budapest -> Mon 1 Mar; extension 1 May 2027
    # is a Saturday and Labour Day -> Mon 3 May.
    case("utc-evening-jan31", "2027-01-31T23:30:00Z", A,
         ("2027-02-01", "2027-03-01", None, "2027-03-01", "gdpr", "2027-05-03")),
    # 22:59 UTC = 23:59 in Budapest, still 31 Jan: same as the example.
    case("utc-evening-before-midnight", "2027-01-31T22:59:00Z", A,
         ("2027-01-31", "2027-03-01", None, "2027-03-01", "gdpr", "2027-04-28")),
    # Summer (UTC+2): 22:30 UTC on 30 Jun = 00:30 on 1 Jul; 1 Aug Sunday -> Mon 2 Aug;
    # extension Fri 1 Oct.
    case("utc-evening-summer", "2027-06-30T22:30:00Z", A,
         ("2027-07-01", "2027-08-02", None, "2027-08-02", "gdpr", "2027-10-01")),
    # 21:30 UTC = 23:30 local, still 30 Jun -> Fri 30 Jul; extension Thu 30 Sep.
    case("utc-evening-summer-same-day", "2027-06-30T21:30:00Z", A,
         ("2027-06-30", "2027-07-30", None, "2027-07-30", "gdpr", "2027-09-30")),
    # 23:59 at UTC-5 = 04:59 UTC = 05:59 on 11 Mar in Budapest; 11 Apr Sunday -> Mon 12 Apr.
    case("foreign-offset", "2027-03-10T23:59:00-05:00", A,
         ("2027-03-11", "2027-04-12", None, "2027-04-12", "gdpr", "2027-06-11")),
    # --- daylight-saving changes ------------------------------------------------------------
    # 23:30 UTC on 27 Mar 2027, before the 01:00 UTC switch: +1 -> 00:30 on Sun 28 Mar.
    case("dst-spring-before", "2027-03-27T23:30:00Z", A,
         ("2027-03-28", "2027-04-28", None, "2027-04-28", "gdpr", "2027-06-28")),
    # 22:30 UTC on 28 Mar 2027, after the switch: +2 -> 00:30 on 29 Mar (not 23:30 on 28).
    case("dst-spring-after", "2027-03-28T22:30:00Z", A,
         ("2027-03-29", "2027-04-29", None, "2027-04-29", "gdpr", "2027-06-29")),
    # 22:30 UTC on 30 Oct 2027, still summer time: +2 -> 00:30 on Sun 31 Oct -> Tue 30 Nov.
    case("dst-autumn-before", "2027-10-30T22:30:00Z", A,
         ("2027-10-31", "2027-11-30", None, "2027-11-30", "gdpr", "2028-01-31")),
    # 22:30 UTC on 31 Oct 2027, after the switch: +1 -> 23:30, still 31 Oct.
    case("dst-autumn-after", "2027-10-31T22:30:00Z", A,
         ("2027-10-31", "2027-11-30", None, "2027-11-30", "gdpr", "2028-01-31")),
    # 23:30 UTC on 31 Oct 2027: +1 -> 00:30 on 1 Nov -> Wed 1 Dec; extension Tue 1 Feb.
    case("dst-autumn-next-day", "2027-10-31T23:30:00Z", A,
         ("2027-11-01", "2027-12-01", None, "2027-12-01", "gdpr", "2028-02-01")),
    # 2026 spring switch (Sun 29 Mar): 23:30 UTC on 28 Mar, +1 -> 29 Mar -> Wed 29 Apr.
    case("dst-spring-2026", "2026-03-28T23:30:00Z", A,
         ("2026-03-29", "2026-04-29", None, "2026-04-29", "gdpr", "2026-06-29")),
    # 2026 autumn switch (Sun 25 Oct): 22:30 UTC on 24 Oct, +2 -> 25 Oct -> Wed 25 Nov.
    case("dst-autumn-2026", "2026-10-24T22:30:00Z", A,
         ("2026-10-25", "2026-11-25", None, "2026-11-25", "gdpr", "2027-01-25")),
    # --- policy day counts ---------------------------------------------------------------
    # Erasure: 4 Jan + 30 = Wed 3 Feb, a day before the GDPR month (Thu 4 Feb).
    case("erasure-30", "2027-01-04T10:00:00+01:00", ("erasure",),
         ("2027-01-04", "2027-02-04", "2027-02-03", "2027-02-03", "policy", "2027-04-05")),
    # Erasure: 7 Jan + 30 = Sat 6 Feb -> "previous" Fri 5 Feb; GDPR 7 Feb Sun -> Mon 8 Feb.
    case("erasure-30-saturday-previous", "2027-01-07T10:00:00+01:00", ("erasure",),
         ("2027-01-07", "2027-02-08", "2027-02-05", "2027-02-05", "policy", "2027-04-07")),
    # "next": Mon 8 Feb, the same day as GDPR -> tie, basis policy.
    case("erasure-30-saturday-next-tie", "2027-01-07T10:00:00+01:00", ("erasure",),
         ("2027-01-07", "2027-02-08", "2027-02-08", "2027-02-08", "policy", "2027-04-07"),
         mode="next"),
    # "keep": Sat 6 Feb as counted.
    case("erasure-30-saturday-keep", "2027-01-07T10:00:00+01:00", ("erasure",),
         ("2027-01-07", "2027-02-08", "2027-02-06", "2027-02-06", "policy", "2027-04-07"),
         mode="keep"),
    # Objection: 11 Mar + 15 = Good Friday 26 Mar -> "previous" Thu 25 Mar; GDPR 11 Apr
    # Sunday -> Mon 12 Apr; extension Fri 11 Jun.
    case("objection-15-good-friday-previous", "2027-03-11T10:00:00+01:00", ("objection",),
         ("2027-03-11", "2027-04-12", "2027-03-25", "2027-03-25", "policy", "2027-06-11")),
    # "next": past Good Friday, the weekend and Easter Monday -> Tue 30 Mar.
    case("objection-15-good-friday-next", "2027-03-11T10:00:00+01:00", ("objection",),
         ("2027-03-11", "2027-04-12", "2027-03-30", "2027-03-30", "policy", "2027-06-11"),
         mode="next"),
    # "keep": Fri 26 Mar as counted.
    case("objection-15-good-friday-keep", "2027-03-11T10:00:00+01:00", ("objection",),
         ("2027-03-11", "2027-04-12", "2027-03-26", "2027-03-26", "policy", "2027-06-11"),
         mode="keep"),
    # Objection: 6 Aug 2026 + 15 = Fri 21 Aug, a bridge day: a working day, stays.
    # GDPR 6 Sep Sunday -> Mon 7 Sep; extension Fri 6 Nov.
    case("objection-15-bridge-day", "2026-08-06T10:00:00+02:00", ("objection",),
         ("2026-08-06", "2026-09-07", "2026-08-21", "2026-08-21", "policy", "2026-11-06")),
    # Information: 24 Nov 2026 + 30 = Thu 24 Dec (holiday, setting on) -> Wed 23 Dec.
    case("information-30-christmas-eve-on", "2026-11-24T10:00:00+01:00", ("information",),
         ("2026-11-24", "2026-12-28", "2026-12-23", "2026-12-23", "policy", "2027-02-24")),
    # Setting off: 24 Dec is a working day and equals the GDPR date -> tie, policy.
    case("information-30-christmas-eve-off", "2026-11-24T10:00:00+01:00", ("information",),
         ("2026-11-24", "2026-12-24", "2026-12-24", "2026-12-24", "policy", "2027-02-24"),
         xmas=False),
    # Rectification in February: 1 Feb + 30 = Wed 3 Mar, later than GDPR Mon 1 Mar -> gdpr.
    case("rectification-30-february", "2027-02-01T10:00:00+01:00", ("rectification",),
         ("2027-02-01", "2027-03-01", "2027-03-03", "2027-03-01", "gdpr", "2027-05-03")),
    # Leap February: 1 Feb 2028 + 30 = Thu 2 Mar; GDPR Wed 1 Mar binds; extension 1 May
    # Labour Day (Monday) -> Tue 2 May.
    case("restriction-30-leap-february", "2028-02-01T10:00:00+01:00", ("restriction",),
         ("2028-02-01", "2028-03-01", "2028-03-02", "2028-03-01", "gdpr", "2028-05-02")),
    # 5 Apr + 30 = Wed 5 May = GDPR date (April has 30 days) -> tie, basis policy.
    case("information-30-tie", "2027-04-05T10:00:00+02:00", ("information",),
         ("2027-04-05", "2027-05-05", "2027-05-05", "2027-05-05", "policy", "2027-07-05")),
    # Objection: 17 Dec 2026 + 15 = Fri 1 Jan 2027 -> "previous" Thu 31 Dec 2026;
    # GDPR 17 Jan Sunday -> Mon 18 Jan; extension Wed 17 Mar.
    case("objection-15-new-year", "2026-12-17T10:00:00+01:00", ("objection",),
         ("2026-12-17", "2027-01-18", "2026-12-31", "2026-12-31", "policy", "2027-03-17")),
    # Erasure: 26 Feb + 30 = Easter Sunday 28 Mar -> back past Sat and Good Friday -> Thu 25.
    case("erasure-30-easter-previous", "2027-02-26T10:00:00+01:00", ("erasure",),
         ("2027-02-26", "2027-03-30", "2027-03-25", "2027-03-25", "policy", "2027-05-26")),
    # --- extension ---------------------------------------------------------------------------
    # The example, extended: due becomes Wed 28 Apr, no policy date so no warning.
    case("extended-example", "2027-01-31T10:00:00+01:00", A,
         ("2027-01-31", "2027-03-01", None, "2027-04-28", "gdpr", "2027-04-28"), extended=True),
    # Erasure extended: 4 Apr 2027 is a Sunday -> Mon 5 Apr; basis gdpr despite policy.
    case("extended-erasure", "2027-01-04T10:00:00+01:00", ("erasure",),
         ("2027-01-04", "2027-02-04", "2027-02-03", "2027-04-05", "gdpr", "2027-04-05"),
         extended=True),
    # Received on a holiday (Sat 23 Oct 2027): month Tue 23 Nov; extension 23 Jan 2028 Sunday
    # -> Mon 24 Jan.
    case("extended-received-on-holiday", "2027-10-23T10:00:00+02:00", A,
         ("2027-10-23", "2027-11-23", None, "2028-01-24", "gdpr", "2028-01-24"), extended=True),
    # Unshifted month date Sat 24 Oct 2026 (shown as Mon 26 Oct); + 2 months = 24 Dec,
    # a holiday with the setting on -> Mon 28 Dec.
    case("extended-christmas-eve-on", "2026-09-24T10:00:00+02:00", A,
         ("2026-09-24", "2026-10-26", None, "2026-12-28", "gdpr", "2026-12-28"), extended=True),
    # Same with the setting off: Thu 24 Dec.
    case("extended-christmas-eve-off", "2026-09-24T10:00:00+02:00", A,
         ("2026-09-24", "2026-10-26", None, "2026-12-24", "gdpr", "2026-12-24"),
         xmas=False, extended=True),
    # 31 Dec 2027 -> Mon 31 Jan 2028; extension Fri 31 Mar 2028.
    case("extended-dec31", "2027-12-31T10:00:00+01:00", A,
         ("2027-12-31", "2028-01-31", None, "2028-03-31", "gdpr", "2028-03-31"), extended=True),
    # Extension counts from the unshifted 28 Feb 2026 (not Mon 2 Mar): Tue 28 Apr.
    case("extended-from-unshifted", "2026-01-31T10:00:00+01:00", A,
         ("2026-01-31", "2026-03-02", None, "2026-04-28", "gdpr", "2026-04-28"), extended=True),
    # Erasure + objection extended: Mon 5 Apr binds, the policy's 19 Jan is passed (warning).
    case("extended-multi-right", "2027-01-04T10:00:00+01:00", ("erasure", "objection"),
         ("2027-01-04", "2027-02-04", "2027-01-19", "2027-04-05", "gdpr", "2027-04-05"),
         extended=True),
    # --- sets of rights ----------------------------------------------------------------------
    # Access + objection: 4 Jan + 15 = Tue 19 Jan binds.
    case("access-objection", "2027-01-04T10:00:00+01:00", ("access", "objection"),
         ("2027-01-04", "2027-02-04", "2027-01-19", "2027-01-19", "policy", "2027-04-05")),
    # Erasure (3 Feb) + objection (19 Jan): the earlier, 19 Jan.
    case("erasure-objection", "2027-01-04T10:00:00+01:00", ("erasure", "objection"),
         ("2027-01-04", "2027-02-04", "2027-01-19", "2027-01-19", "policy", "2027-04-05")),
    # Portability + complaint have no policy days: GDPR Thu 4 Feb.
    case("no-policy-rights", "2027-01-04T10:00:00+01:00", ("portability", "complaint"),
         ("2027-01-04", "2027-02-04", None, "2027-02-04", "gdpr", "2027-04-05")),
    # No right recognised yet: any request still gets the GDPR month.
    case("empty-rights", "2027-01-04T10:00:00+01:00", (),
         ("2027-01-04", "2027-02-04", None, "2027-02-04", "gdpr", "2027-04-05")),
    # Information + rectification in February: both 3 Mar, GDPR 1 Mar binds.
    case("february-two-30s", "2027-02-01T10:00:00+01:00", ("information", "rectification"),
         ("2027-02-01", "2027-03-01", "2027-03-03", "2027-03-01", "gdpr", "2027-05-03")),
    # Every right: the objection's 19 Jan is the earliest.
    case("all-rights", "2027-01-04T10:00:00+01:00",
         ("information", "access", "rectification", "erasure", "restriction", "portability",
          "objection", "automated_decision", "consent_withdrawal", "complaint"),
         ("2027-01-04", "2027-02-04", "2027-01-19", "2027-01-19", "policy", "2027-04-05")),
    # Objection with others, mode "next": Tue 30 Mar (after Easter) still before Mon 12 Apr.
    case("objection-set-next", "2027-03-11T10:00:00+01:00",
         ("objection", "consent_withdrawal", "automated_decision"),
         ("2027-03-11", "2027-04-12", "2027-03-30", "2027-03-30", "policy", "2027-06-11"),
         mode="next"),
]  # fmt: skip


@pytest.mark.parametrize(("received", "rights", "expected", "mode", "xmas", "extended"), CASES)
def test_dated_case(
    received: str,
    rights: tuple[str, ...],
    expected: tuple[str, str, str | None, str, str, str],
    mode: str,
    xmas: bool,
    extended: bool,
) -> None:
    """GIVEN a receipt instant and rights WHEN computed THEN every date is the hand-worked one."""
    policy = ResponsePolicy(response_times=POLICY_DAYS, nonworking_day=mode)
    result = compute_deadlines(
        datetime.fromisoformat(received), rights, CALENDARS[xmas], policy, extended=extended
    )
    out = result.to_json()
    got = tuple(
        out[k] for k in ("received_local", "gdpr_due", "policy_due", "due", "basis", "extended_due")
    )
    assert got == expected
    assert out["extended"] is extended
    assert bool(out["warnings"]) == (extended and expected[2] is not None)


def test_table_is_large_enough() -> None:
    """The issue asks for at least 45 dated cases."""
    assert len(CASES) >= 45


# --- the API around the table -------------------------------------------------------------

POLICY_FILE = Path(__file__).resolve().parents[2] / "data" / "policy.toml"


def test_issue_example_json_exactly() -> None:
    """GIVEN the issue's example WHEN serialised THEN exactly the documented JSON."""
    result = compute_deadlines(
        datetime.fromisoformat("2027-01-31T10:00:00+01:00"),
        {"access"},
        WorkingCalendar(),
        load_response_policy(POLICY_FILE),
    )
    assert result.to_json() == {
        "received_local": "2027-01-31",
        "gdpr_due": "2027-03-01",
        "policy_due": None,
        "due": "2027-03-01",
        "basis": "gdpr",
        "extended_due": "2027-04-28",
        "extended": False,
        "warnings": [],
    }


def test_shipped_policy_file() -> None:
    """The policy file holds the privacy policy's 30/15 days and the conservative mode."""
    policy = load_response_policy(POLICY_FILE)
    assert dict(policy.response_times) == POLICY_DAYS
    assert policy.nonworking_day == "previous"


def test_per_right_and_extension_warning() -> None:
    result = compute_deadlines(
        datetime.fromisoformat("2027-01-04T10:00:00+01:00"),
        ["objection", "access", "erasure"],
        WorkingCalendar(),
        ResponsePolicy(POLICY_DAYS),
        extended=True,
    )
    assert result.per_right == {
        "access": {"gdpr_due": date(2027, 2, 4), "policy_due": None},
        "erasure": {"gdpr_due": date(2027, 2, 4), "policy_due": date(2027, 2, 3)},
        "objection": {"gdpr_due": date(2027, 2, 4), "policy_due": date(2027, 1, 19)},
    }
    assert len(result.warnings) == 1
    assert "2027-01-19" in result.warnings[0]
    assert hash(result) == hash(result)
    with pytest.raises(FrozenInstanceError):
        result.due = date(2027, 1, 1)  # type: ignore[misc]


def test_unknown_right_is_named() -> None:
    with pytest.raises(UsageError, match="forgetting"):
        compute_deadlines(
            datetime(2027, 1, 4, 9, tzinfo=UTC),
            ["erasure", "forgetting"],
            WorkingCalendar(),
            ResponsePolicy(),
        )


def test_no_rights_yet_gets_the_gdpr_month() -> None:
    """GIVEN rights not yet recognised (None) WHEN computed THEN the GDPR month binds."""
    result = compute_deadlines(
        datetime(2027, 1, 4, 9, tzinfo=UTC), None, WorkingCalendar(), ResponsePolicy(POLICY_DAYS)
    )
    assert (result.due, result.basis, result.per_right) == (date(2027, 2, 4), "gdpr", {})


def test_naive_receipt_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_receipt_date(datetime(2027, 1, 31, 23, 30))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),
        (date(2027, 11, 15), 3, date(2028, 2, 15)),
        (date(2027, 3, 31), -1, date(2027, 2, 28)),
        (date(2027, 5, 31), 12, date(2028, 5, 31)),
        (date(2027, 8, 31), 0, date(2027, 8, 31)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("[response_times]\nforgetting = 30\n", "response_times.forgetting"),
        ('[response_times]\nerasure = "30"\n', "response_times.erasure"),
        ("[response_times]\nerasure = 0\n", "response_times.erasure"),
        ("[response_times]\nerasure = true\n", "response_times.erasure"),
        ("response_times = 30\n", "response_times"),
        ('[deadlines]\nnonworking_day = "later"\n', "deadlines.nonworking_day"),
        ("[deadlines]\nnonworking_day = 1\n", "deadlines.nonworking_day"),
        ('[deadlines]\nnonworking_days = "next"\n', "deadlines.nonworking_days"),
        ("[deadlines\n", "not valid TOML"),
    ],
)
def test_bad_policy_content_names_the_key(tmp_path: Path, content: str, key: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(key)):
        load_response_policy(path)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_response_policy(tmp_path / "nope.toml")


def test_other_sections_of_the_policy_file_are_left_alone(tmp_path: Path) -> None:
    """Other parts of the product keep their own tables in the same file."""
    path = tmp_path / "policy.toml"
    path.write_text(
        '[identity]\nlevel = "strict"\n[response_times]\nobjection = 15\n', encoding="utf-8"
    )
    policy = load_response_policy(path)
    assert dict(policy.response_times) == {"objection": 15}
    assert policy.nonworking_day == "previous"
