"""The Hungarian working-day calendar and what it keeps from the `holidays` package."""

from __future__ import annotations

import logging
from datetime import date

import holidays
import pytest

from inbox_triage.cases import calendar as calendar_module
from inbox_triage.cases.calendar import (
    BRIDGE_DAY_PREFIX,
    STATUTORY_NAMES,
    WorkingCalendar,
    statutory_holidays,
)
from inbox_triage.config import DeadlineSettings
from inbox_triage.errors import ConfigError

BRIDGE_DAYS = [
    date(2024, 8, 19),
    date(2024, 12, 24),
    date(2024, 12, 27),
    date(2025, 5, 2),
    date(2025, 10, 24),
    date(2025, 12, 24),
    date(2026, 1, 2),
    date(2026, 8, 21),
]
WORKING_SATURDAYS = [
    date(2024, 8, 3),
    date(2024, 12, 7),
    date(2024, 12, 14),
    date(2025, 5, 17),
    date(2025, 10, 18),
    date(2025, 12, 13),
    date(2026, 1, 10),
    date(2026, 8, 8),
]


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def test_2026_statutory_holidays_exactly() -> None:
    """GIVEN 2026 WHEN filtered THEN the Mt. 102. § days remain, bridge days are gone."""
    assert statutory_holidays(2026) == {
        date(2026, 1, 1): "Újév",
        date(2026, 3, 15): "Nemzeti ünnep",
        date(2026, 4, 3): "Nagypéntek",
        date(2026, 4, 5): "Húsvét",
        date(2026, 4, 6): "Húsvét Hétfő",
        date(2026, 5, 1): "A Munka ünnepe",
        date(2026, 5, 24): "Pünkösd",
        date(2026, 5, 25): "Pünkösdhétfő",
        date(2026, 8, 20): "Az államalapítás ünnepe",
        date(2026, 10, 23): "Nemzeti ünnep",
        date(2026, 11, 1): "Mindenszentek",
        date(2026, 12, 24): "Szenteste",
        date(2026, 12, 25): "Karácsony",
        date(2026, 12, 26): "Karácsony másnapja",
    }


def test_package_still_lists_bridge_days_as_public_holidays() -> None:
    """The trap the filter exists for: pihenőnap days are in the PUBLIC list."""
    listed = holidays.country_holidays("HU", years=range(2024, 2027), language="hu")
    for day in BRIDGE_DAYS:
        assert listed.get(day, "").startswith(BRIDGE_DAY_PREFIX), day


def test_package_names_are_all_classified() -> None:
    """Drift guard: every name from 2024-2030 is statutory or a bridge day."""
    listed = holidays.country_holidays("HU", years=range(2024, 2031), language="hu")
    unknown = {
        name
        for name in listed.values()
        if name not in STATUTORY_NAMES and not name.startswith(BRIDGE_DAY_PREFIX)
    }
    assert unknown == set()


def test_package_has_no_workday_category() -> None:
    """Working Saturdays are not available from the package at all."""
    assert holidays.HU.supported_categories == ("public",)


@pytest.mark.parametrize("day", BRIDGE_DAYS)
def test_bridge_rest_day_is_a_working_day(cal: WorkingCalendar, day: date) -> None:
    assert cal.holiday_name(day) is None
    assert cal.is_working_day(day)


@pytest.mark.parametrize("day", WORKING_SATURDAYS)
def test_transferred_working_saturday_is_not_a_working_day(cal: WorkingCalendar, day: date) -> None:
    assert day.weekday() == 5
    assert not cal.is_working_day(day)


def test_no_bridge_days_listed_for_2027() -> None:
    """No 2027 decree in the package: every 2027 entry is statutory."""
    listed = holidays.country_holidays("HU", years=2027, language="hu")
    assert set(listed) == set(statutory_holidays(2027))


@pytest.mark.parametrize(
    ("day", "on", "off"),
    [
        (date(2026, 12, 24), False, True),  # Thursday, holiday by Act LXXII of 2026
        (date(2027, 12, 24), False, True),  # Friday
        (date(2025, 12, 24), True, True),  # Wednesday, only a bridge day before the law
    ],
)
def test_christmas_eve_setting(day: date, on: bool, off: bool) -> None:
    """GIVEN the christmas_eve_is_holiday setting WHEN asked about 24 Dec THEN it decides."""
    assert WorkingCalendar(christmas_eve_is_holiday=True).is_working_day(day) is on
    assert WorkingCalendar(christmas_eve_is_holiday=False).is_working_day(day) is off


def test_christmas_eve_name(cal: WorkingCalendar) -> None:
    assert cal.holiday_name(date(2026, 12, 24)) == "Szenteste"
    assert WorkingCalendar(christmas_eve_is_holiday=False).holiday_name(date(2026, 12, 24)) is None


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2027, 1, 1), "Újév"),
        (date(2027, 3, 15), "Nemzeti ünnep"),
        (date(2027, 3, 26), "Nagypéntek"),
        (date(2027, 3, 29), "Húsvét Hétfő"),
        (date(2027, 5, 1), "A Munka ünnepe"),
        (date(2027, 5, 17), "Pünkösdhétfő"),
        (date(2027, 8, 20), "Az államalapítás ünnepe"),
        (date(2027, 10, 23), "Nemzeti ünnep"),
        (date(2027, 11, 1), "Mindenszentek"),
        (date(2027, 12, 25), "Karácsony"),
        (date(2027, 12, 26), "Karácsony másnapja"),
        (date(2027, 3, 16), None),
    ],
)
def test_holiday_name(cal: WorkingCalendar, day: date, name: str | None) -> None:
    assert cal.holiday_name(day) == name


def test_extra_holidays_from_settings() -> None:
    """GIVEN an extra ISO date in DeadlineSettings WHEN built THEN that day is a holiday."""
    settings = DeadlineSettings(extra_holidays=["2027-06-15"], christmas_eve_is_holiday=False)
    cal = WorkingCalendar.from_settings(settings)
    assert not cal.is_working_day(date(2027, 6, 15))
    assert cal.holiday_name(date(2027, 6, 15))
    assert cal.is_working_day(date(2027, 12, 24))
    assert cal.next_working_day_on_or_after(date(2027, 6, 15)) == date(2027, 6, 16)


@pytest.mark.parametrize("bad", ["2027-13-01", "15/06/2027", ""])
def test_bad_extra_holiday_names_the_setting(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"deadlines\.extra_holidays"):
        WorkingCalendar(extra_holidays=[bad])


def test_extra_holiday_accepts_dates() -> None:
    assert not WorkingCalendar(extra_holidays=[date(2027, 6, 15)]).is_working_day(date(2027, 6, 15))


def test_next_and_previous_working_day_around_easter_2027(cal: WorkingCalendar) -> None:
    """Good Friday 26 Mar, weekend, Easter Monday 29 Mar 2027."""
    assert cal.next_working_day_on_or_after(date(2027, 3, 26)) == date(2027, 3, 30)
    assert cal.previous_working_day_on_or_before(date(2027, 3, 29)) == date(2027, 3, 25)
    assert cal.next_working_day_on_or_after(date(2027, 3, 25)) == date(2027, 3, 25)
    assert cal.previous_working_day_on_or_before(date(2027, 3, 30)) == date(2027, 3, 30)


def test_next_working_day_across_christmas_and_new_year(cal: WorkingCalendar) -> None:
    """Thu 24 - Sun 27 Dec 2026 are off; Fri 1 - Sun 3 Jan 2027 are off."""
    assert cal.next_working_day_on_or_after(date(2026, 12, 24)) == date(2026, 12, 28)
    assert cal.next_working_day_on_or_after(date(2027, 1, 1)) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("a", "b", "count"),
    [
        (date(2027, 1, 4), date(2027, 1, 4), 0),  # same day
        (date(2027, 1, 8), date(2027, 1, 11), 1),  # Fri -> Mon
        (date(2027, 1, 4), date(2027, 1, 11), 5),  # Mon -> next Mon
        (date(2027, 3, 25), date(2027, 3, 30), 1),  # over Easter: only Tue 30 Mar
        (
            date(2026, 12, 23),
            date(2027, 1, 4),
            5,
        ),  # 28-31 Dec and Mon 4 Jan (24-27 Dec, 1-3 Jan off)
        (date(2027, 1, 11), date(2027, 1, 4), -5),  # overdue by a working week
        (date(2027, 3, 30), date(2027, 3, 25), -1),
    ],
)
def test_working_days_between(cal: WorkingCalendar, a: date, b: date, count: int) -> None:
    assert cal.working_days_between(a, b) == count


def test_unknown_package_name_is_ignored_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN the package adds a name we do not know WHEN filtered THEN it is not a holiday."""
    fake = holidays.HolidayBase()
    fake[date(2099, 6, 1)] = "Új ünnepnap"
    fake[date(2099, 6, 2)] = "Újév"
    monkeypatch.setattr(calendar_module.holidays, "country_holidays", lambda *a, **k: fake)
    statutory_holidays.cache_clear()
    try:
        with caplog.at_level(logging.WARNING):
            assert statutory_holidays(2099) == {date(2099, 6, 2): "Újév"}
        assert "Új ünnepnap" in caplog.text
    finally:
        statutory_holidays.cache_clear()
