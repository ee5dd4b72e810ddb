"""Hungarian working days for deadline arithmetic (Regulation 1182/71 Art. 2(2), 3(4)).

A working day is any day that is not a Saturday, a Sunday or a public holiday.
Public holidays are the statutory ones of Mt. 102. § (munkaszüneti napok),
taken from the `holidays` package, plus configured extra dates.

What `holidays.country_holidays("HU")` returns (holidays 0.109, checked 2024-2030):

* Only the PUBLIC category exists (`supported_categories == ("public",)`);
  asking for WORKDAY raises ValueError. There are no observed days: the
  result is the same with observed=True and observed=False.
* Names follow the process locale unless `language` is given (under C.UTF-8
  they come out in English although the default language is "hu"), so the
  calendar always asks for language="hu" and classifies by Hungarian name.
* Statutory holidays: Újév (1 Jan), Nemzeti ünnep (15 Mar, 23 Oct), Nagypéntek,
  Húsvét, Húsvét Hétfő, A Munka ünnepe (1 May), Pünkösd, Pünkösdhétfő,
  Az államalapítás ünnepe (20 Aug), Mindenszentek (1 Nov), Karácsony (25 Dec),
  Karácsony másnapja (26 Dec), and from 2026 Szenteste (24 Dec, Act LXXII of
  2026). Before 2026 24 December appears only as a bridge day.
* Bridge rest days (pihenőnap, swapped for a working Saturday by the yearly
  decree) are mixed into the same PUBLIC list as "Pihenőnap (<Saturday>-től
  helyettesítve)": 2024-08-19, 2024-12-24, 2024-12-27, 2025-05-02, 2025-10-24,
  2025-12-24, 2026-01-02, 2026-08-21; none for 2027-2030 (no decree yet, and
  2027 has no Tuesday/Thursday holiday to bridge). They are not statutory
  public holidays, so they are dropped: such a day is an ordinary weekday here,
  which makes a deadline earlier, never later (the conservative reading).
* The working Saturdays (e.g. 2026-01-10, 2026-08-08) are not listed at all;
  they only appear inside the bridge day's name. They need no handling: for
  Regulation 1182/71 a Saturday is a non-working day whatever the decree says.

Any other name the package may add later is ignored (conservative) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays

from inbox_triage.errors import ConfigError

log = logging.getLogger(__name__)

CHRISTMAS_EVE = "Szenteste"
BRIDGE_DAY_PREFIX = "Pihenőnap"
STATUTORY_NAMES = frozenset(
    {
        "Újév",
        "Nemzeti ünnep",
        "Nagypéntek",
        "Húsvét",
        "Húsvét Hétfő",
        "A Munka ünnepe",
        "Pünkösd",
        "Pünkösdhétfő",
        "Az államalapítás ünnepe",
        "Mindenszentek",
        CHRISTMAS_EVE,
        "Karácsony",
        "Karácsony másnapja",
    }
)
EXTRA_HOLIDAY_NAME = "Munkaszüneti nap (beállítás szerint)"


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory public holidays of one year, bridge rest days removed."""
    listed = holidays.country_holidays("HU", years=year, language="hu", observed=False)
    result: dict[date, str] = {}
    for day in sorted(listed):
        names = [name for name in listed.get_list(day) if _is_statutory(name, day)]
        if names:
            result[day] = "; ".join(names)
    return result


def _is_statutory(name: str, day: date) -> bool:
    if name in STATUTORY_NAMES:
        return True
    if not name.startswith(BRIDGE_DAY_PREFIX):
        log.warning("holidays lists an unknown Hungarian holiday %s on %s; ignored", name, day)
    return False


def parse_extra_holidays(values: Iterable[str | date]) -> frozenset[date]:
    """Configured extra holidays as dates; a bad entry is a ConfigError naming the key."""
    days: set[date] = set()
    for value in values:
        if isinstance(value, date):
            days.add(value)
            continue
        try:
            days.add(date.fromisoformat(value.strip()))
        except (AttributeError, ValueError):
            raise ConfigError(
                f"deadlines.extra_holidays: expected ISO dates (YYYY-MM-DD), got {value!r}"
            ) from None
    return frozenset(days)


class WorkingCalendar:
    """Which days count as working days when a period ends (Reg. 1182/71 Art. 3(4))."""

    def __init__(
        self, extra_holidays: Iterable[str | date] = (), christmas_eve_is_holiday: bool = True
    ) -> None:
        self._extra = parse_extra_holidays(extra_holidays)
        self._christmas_eve = christmas_eve_is_holiday

    @classmethod
    def from_settings(cls, settings: object) -> WorkingCalendar:
        """Build from a DeadlineSettings (or anything with the same two attributes)."""
        return cls(
            extra_holidays=getattr(settings, "extra_holidays", ()),
            christmas_eve_is_holiday=getattr(settings, "christmas_eve_is_holiday", True),
        )

    def holiday_name(self, d: date) -> str | None:
        """The public holiday's name on d, or None on an ordinary day."""
        name = statutory_holidays(d.year).get(d)
        if name == CHRISTMAS_EVE and not self._christmas_eve:
            name = None
        if name is None and d in self._extra:
            name = EXTRA_HOLIDAY_NAME
        return name

    def is_working_day(self, d: date) -> bool:
        """Not a Saturday, not a Sunday and not a public holiday."""
        return d.weekday() < 5 and self.holiday_name(d) is None

    def next_working_day_on_or_after(self, d: date) -> date:
        """d itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def previous_working_day_on_or_before(self, d: date) -> date:
        """d itself if it is a working day, else the last working day before it."""
        while not self.is_working_day(d):
            d -= timedelta(days=1)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days after a up to and including b; negative (or 0) when b <= a.

        Used for "days left": today a, due b gives how many working days remain.
        """
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        day = a + timedelta(days=1)
        while day <= b:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count
