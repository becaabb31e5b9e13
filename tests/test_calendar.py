"""The working calendar: statutory holidays, make-up days, overrides, unknown years."""

import datetime as dt

from jobs.calendar import WorkCalendar, load_calendar, uncovered_years
from store.calendar import list_overrides, set_override

D = dt.date


def test_national_day_and_makeup_saturday():
    cal = WorkCalendar()
    assert not any(cal.is_workday(D(2019, 10, d)) for d in range(1, 8))
    assert cal.is_workday(D(2019, 10, 12))  # Saturday, 调休 make-up working day
    assert not cal.is_workday(D(2019, 10, 13))
    assert cal.working_days_between(D(2019, 10, 22), D(2019, 10, 31)) == 7
    assert cal.working_days_between(D(2019, 10, 28), D(2019, 10, 31)) == 3
    assert cal.working_days_between(D(2019, 10, 31), D(2019, 10, 28)) == -3
    assert cal.next_workday(D(2019, 9, 30)) == D(2019, 10, 8)
    assert cal.first_workday_of_month(2019, 10) == D(2019, 10, 8)
    assert cal.first_workday_of_week(D(2019, 10, 2)) == D(2019, 9, 30)
    assert cal.first_workday_of_week(D(2019, 10, 9)) == D(2019, 10, 8)  # Monday 10-07 is still National Day


def test_unknown_year_falls_back_to_weekdays(caplog):
    cal = WorkCalendar()
    assert uncovered_years([2019, 2099]) == [2099]
    assert cal.is_workday(D(2099, 1, 5))  # a Monday
    assert not cal.is_workday(D(2099, 1, 3))  # a Saturday
    assert "2099" in caplog.text


def test_overrides_win(db_url):
    set_override(D(2019, 10, 8), "holiday", "区里补休")
    set_override(D(2019, 10, 13), "workday")
    cal = load_calendar()
    assert not cal.is_workday(D(2019, 10, 8)) and cal.is_workday(D(2019, 10, 13))
    set_override(D(2019, 10, 8), "workday")
    assert [o["kind"] for o in list_overrides()] == ["workday", "workday"]


def test_calendar_cli(cli):
    assert cli("calendar", "set", "2019-10-08", "holiday").exit_code == 0
    out = cli("calendar", "list")
    assert "2019-10-08" in out.output and "holiday" in out.output
    assert cli("calendar", "set", "2019-13-01", "holiday").exit_code == 2
    check = cli("calendar", "check", "2019-10-12")
    assert check.exit_code == 0 and "working day" in check.output
