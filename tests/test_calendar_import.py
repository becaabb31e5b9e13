"""`duban calendar import/show/check` on every backend: storage, precedence, all-or-nothing, told in time."""

from __future__ import annotations

import datetime as dt
import json
import types
from pathlib import Path

import chinese_calendar

from jobs.calendar import (
    NOTICE,
    OVERRIDE,
    STATUTORY,
    WorkCalendar,
    calendar_warnings,
    calendar_year,
    load_calendar,
    next_year_line,
)
from plan.holiday_files import read_notice
from store.calendar import set_override
from store.clock import clock
from store.holidays import import_notices, notice_days, notice_years, unknown_year_warnings
from store.models import NoticeDay

DATA = Path(__file__).parent / "data" / "holiday-notices"
D = dt.date
ORDER = [f"{y}.txt" if y != 2013 else "2013-forum-junk.txt" for y in range(2010, 2027)]
AMENDING = {"2015.txt": "2015-victory-day.txt", "2019.txt": "2019-labour-day.txt",
            "2020.txt": "2020-spring-festival-extension.txt"}


def import_notice_files(names: list[str], dry_run: bool = False):
    return import_notices([read_notice((DATA / name).read_bytes(), name) for name in names], dry_run=dry_run)


def files(*names: str) -> list[str]:
    return list(names)


def test_every_year_stored_then_answered_like_chinesecalendar(db_url):
    names = [n for name in ORDER for n in (name, AMENDING.get(name)) if n]
    result = import_notice_files(files(*names))
    assert result.disagreements == [] and notice_years() == set(range(2010, 2027))
    stored = load_calendar()
    cal = WorkCalendar(stored.overrides, stored.notice, stored.notice_years, statutory=False)
    day, wrong = D(2010, 1, 1), []
    while day <= D(2026, 12, 31):
        if cal.is_workday(day) != chinese_calendar.is_workday(day):
            wrong.append(day)
        day += dt.timedelta(1)
    assert wrong == []
    assert notice_days()[D(2020, 2, 1)] == ("holiday", "春节", "国务院办公厅关于延长2020年春节假期的通知")


def test_precedence_override_then_notice_then_chinesecalendar(db_url):
    import_notice_files(files("2026.txt"))
    set_override(D(2026, 2, 16), "workday", "值班")
    cal = load_calendar()
    assert cal.source(D(2026, 2, 16)) == OVERRIDE and cal.is_workday(D(2026, 2, 16))
    assert cal.source(D(2026, 2, 17)) == NOTICE and not cal.is_workday(D(2026, 2, 17))
    assert cal.source(D(2025, 10, 8)) == STATUTORY and not cal.is_workday(D(2025, 10, 8))
    assert cal.source(D(2026, 3, 2)) == STATUTORY  # a plain Monday of a year both know: chinesecalendar answers


def test_reimport_replaces_the_year_and_amendment_alone_applies_to_stored_notice(db_url):
    import_notice_files(files("2020.txt"))
    assert notice_days()[D(2020, 2, 1)][0] == "workday"
    result = import_notice_files(files("2020-spring-festival-extension.txt"))
    assert notice_days()[D(2020, 2, 1)][0] == "holiday" and result.disagreements == []
    import_notice_files(files("2020.txt"))  # the year again: replaced whole
    assert notice_days()[D(2020, 2, 1)][0] == "workday"
    assert NoticeDay.select().where(NoticeDay.notice_year == 2020).count() == 34


def test_disagreements_with_chinesecalendar_are_listed_day_by_day(db_url):
    result = import_notice_files(files("2020.txt"), dry_run=True)
    # without the extension, the 2020 notice and chinesecalendar differ on the two days it added on workdays
    assert [(d["day"], d["notice"], d["in_notice"]) for d in result.disagreements] == [
        ("2020-01-31", "workday", False), ("2020-02-01", "workday", True)]
    assert NoticeDay.select().count() == 0  # dry run


def test_cli_import_json_show_check(cli):
    out = cli("calendar", "import", str(DATA / "2025.txt"), "--json")
    data = json.loads(out.output)
    assert out.exit_code == 0 and set(data) == {"year", "holidays", "workdays", "names"} and data["year"] == 2025
    assert data["workdays"][0] == "2025-01-26" and data["names"]["2025-01-01"] == "元旦"
    shown = json.loads(cli("calendar", "show", "2025", "--json").output)
    by_day = {r["day"]: r for r in shown}
    assert by_day["2025-01-26"]["kind"] == "workday" and by_day["2025-01-26"]["source"] == "notice"
    assert by_day["2025-01-28"]["name"] == "春节" and "2025-01-04" not in by_day  # a plain Saturday
    check = cli("calendar", "check", "2025-02-08")
    assert "is a working day (春节)" in check.output and "国务院办公厅关于2025年部分节假日安排的通知" in check.output
    assert "chinesecalendar" in cli("calendar", "check", "2024-02-09").output
    assert "Monday–Friday fallback" in cli("calendar", "check", "2027-01-01").output
    table = cli("calendar", "show", "2026").output
    assert "2026-02-16" in table and "chinesecalendar" in table


def test_cli_stdin_dry_run_and_amendments_in_order(cli):
    text = (DATA / "2026-traditional.txt").read_text(encoding="utf-8")
    dry = cli("calendar", "import", "-", "--dry-run", input=text)
    assert dry.exit_code == 0 and "Dry run" in dry.output and NoticeDay.select().count() == 0
    both = cli("calendar", "import", str(DATA / "2019.txt"), str(DATA / "2019-labour-day.txt"))
    assert both.exit_code == 0 and "Stored" in both.output and "!" not in both.output
    assert notice_days()[D(2019, 5, 4)][0] == "holiday"


def test_refused_imports_store_nothing(cli, tmp_path):
    plan = Path(__file__).parent.parent / "plan" / "samples" / "wuhua-2019.txt"
    refused = cli("calendar", "import", str(plan))
    assert refused.exit_code == 1 and "not a holiday notice" in refused.output and "nothing was stored" in refused.output
    bad = tmp_path / "bad.txt"
    bad.write_text((DATA / "2025.txt").read_text(encoding="utf-8").replace("2月8日(周六)上班", "2月1日(周六)上班"),
                   encoding="utf-8")
    mixed = cli("calendar", "import", str(DATA / "2024.txt"), str(bad))
    assert mixed.exit_code == 1 and "contradicts itself" in mixed.output
    assert NoticeDay.select().count() == 0  # the good file before the bad one is not stored either


def test_told_in_time_from_november(cli, db_url):
    clock.freeze(dt.datetime(2026, 10, 31, 9, 0))
    assert "2027" not in cli("doctor", "--offline").output
    clock.freeze(dt.datetime(2026, 11, 2, 9, 0))
    doctor = cli("doctor", "--offline")
    assert "calendar next year" in doctor.output and "duban calendar import" in doctor.output
    assert any("2027" in w and "calendar import" in w for w in calendar_warnings())
    line = next_year_line(clock.today(), load_calendar())
    assert line and "2027年节假日安排尚未导入" in line and "duban calendar import" in line
    known = WorkCalendar(notice={}, notice_years={2027})
    assert next_year_line(clock.today(), known) is None


def test_plan_deadlines_in_an_unknown_year_are_flagged(db_url):
    task = types.SimpleNamespace(seq=3, deadlines=[types.SimpleNamespace(due=D(2027, 3, 31)),
                                                   types.SimpleNamespace(due=D(2026, 12, 31))])
    parsed = types.SimpleNamespace(tasks=[task, types.SimpleNamespace(seq=4, deadlines=[])])
    (warning,) = unknown_year_warnings(parsed)
    assert warning["code"] == "calendar_year_unknown" and "2027" in warning["message"] and "序号 3" in warning["message"]


def test_calendar_year_lists_chinesecalendar_days_when_nothing_is_imported(db_url):
    rows = calendar_year(2024)
    by_day = {r["day"]: r for r in rows}
    assert by_day["2024-02-04"]["kind"] == "workday" and by_day["2024-02-04"]["source"] == "chinesecalendar"
    assert by_day["2024-10-01"]["name"] == "国庆节"


def test_weekly_digest_tells_the_admin_from_november(db_url):
    from jobs.digest import build_digest
    from store.contacts import add_leader_group
    from tests.world import build_world, config

    build_world()
    group = add_leader_group("区领导群", webhook_key="12345678-1234-1234-1234-123456789abc")
    october = build_digest(group, D(2026, 10, 26), dt.datetime(2026, 10, 26, 1, 10), config(), load_calendar())
    november = build_digest(group, D(2026, 11, 2), dt.datetime(2026, 11, 2, 1, 10), config(), load_calendar())
    assert "2027年节假日安排尚未导入" not in october.markdown
    assert "2027年节假日安排尚未导入" in november.parts[-1] and "duban calendar import" in november.parts[-1]


def test_serve_logs_the_unknown_year_at_start_and_daily(db_url, caplog):
    from jobs.scheduler import Service, log_calendar_warnings
    from store.config import load_config

    clock.freeze(dt.datetime(2026, 11, 2, 8, 0))
    service = Service(load_config(None, environ={}), holder="host-a:1")
    service.start()
    try:
        daily = service.scheduler.get_job("calendar-warnings")
        assert daily is not None and "cron" in str(daily.trigger)
    finally:
        service.stop()
    log_calendar_warnings()  # what run_service calls at start, and the daily job runs
    assert "2027's holidays are not known yet" in caplog.text and "duban calendar import" in caplog.text


def test_a_one_off_day_notice_alone_adds_to_the_stored_year(db_url):
    import_notice_files(files("2015.txt"))
    before = NoticeDay.select().where(NoticeDay.notice_year == 2015).count()
    import_notice_files(files("2015-victory-day.txt"))
    days = notice_days()
    assert NoticeDay.select().where(NoticeDay.notice_year == 2015).count() == before + 4
    assert days[D(2015, 9, 4)][0] == "holiday" and days[D(2015, 2, 28)][0] == "workday"  # 春节 kept


def test_plan_import_warns_about_deadlines_in_an_unknown_year(cli):
    result = cli("plan", "import", "--sample", "--year", "2027", "--dry-run")
    assert result.exit_code == 0 and "fall in 2027" in result.output and "duban calendar import" in result.output
    known = cli("plan", "import", "--sample", "--year", "2026", "--dry-run")
    assert "fall in 2026" not in known.output  # chinesecalendar knows 2026


def test_cli_dry_run_lists_each_day_it_read(cli):
    dry = cli("calendar", "import", str(DATA / "2019.txt"), "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    national = [line for line in lines if line.startswith("2019-10-01")]
    assert len(national) == 1 and "国庆节" in national[0]
    assert any(line.startswith("2019-09-29") and "国庆节" in line for line in lines)  # a make-up working day
    assert NoticeDay.select().count() == 0
