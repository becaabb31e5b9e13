"""The 台账 .xlsx, the unit scorecard and the status chart, against the models (sample plan, 2019)."""

import datetime as dt
import warnings
from collections import defaultdict

import openpyxl
import pytest
from PIL import Image

from jobs.calendar import load_calendar
from jobs.chart import chart_size, render_status_chart_png
from jobs.ledger import LEDGER_HEADER, build_scorecard, export_ledger_xlsx, scorecard_xlsx
from store.models import Assignment, Deadline, Plan, ReminderLog, Report, Task, Unit
from store.outbox import enqueue
from store.tasks import set_done
from tests.world import at, build_world

TODAY = dt.date(2019, 11, 12)


@pytest.fixture
def world(db_url):
    build_world()


def assignment(seq: int, unit: str) -> Assignment:
    return (Assignment.select().join(Task).switch(Assignment).join(Unit)
            .where((Task.seq == seq) & (Unit.name == unit)).get())


def overdue_seqs(today: dt.date) -> set[int]:
    dues = defaultdict(list)
    for d in Deadline.select():
        if d.due:
            dues[d.task_id].append(d.due)
    return {a.task.seq for a in Assignment.select(Assignment, Task).join(Task)
            if a.state != "done" and (a.due_override or min(dues[a.task_id], default=dt.date.max)) < today}


def test_ledger_rows_match_the_store(world, tmp_path):
    at("2019-10-28")
    set_done(14, "区财政局", note="已组织企业座谈会")
    at("2019-11-04")
    for unit in ("区政府办公室",):
        set_done(59, unit, note="条例培训已完成")
    at("2019-11-12")
    path = tmp_path / "台账.xlsx"
    assert export_ledger_xlsx(path, today=TODAY) == Task.select().count()

    ws = openpyxl.load_workbook(path).active
    assert ws.freeze_panes == "A3"
    # printable: landscape, one page wide, title and header rows repeated, page x of y, title in the header
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$2"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    assert Plan.get().title in ws.oddHeader.center.text
    assert [c.value for c in ws[2]] == LEDGER_HEADER
    rows = list(ws.iter_rows(min_row=3))
    tasks = list(Task.select().order_by(Task.seq))
    assert [r[0].value for r in rows] == [t.seq for t in tasks]
    assert [r[2].value for r in rows] == [t.requirement for t in tasks]
    assert [r[6].value for r in rows] == [t.deadline_raw for t in tasks]
    red = {r[0].value for r in rows if r[0].fill.fgColor.rgb.endswith("FFC7CE")}
    assert red == overdue_seqs(TODAY) and red  # 21, 14, 53, 74 …
    assert all(c.fill.fgColor.rgb.endswith("FFC7CE") for r in rows if r[0].value in red for c in r)
    assert all(c.alignment.wrap_text for r in rows[:5] for c in r)
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    assert widths["C"] > widths["B"] > widths["A"]  # 具体要求 is the widest column, 序号 the narrowest

    by_seq = {r[0].value: [c.value for c in r] for r in rows}
    assert "区财政局：已完成（10月28日）" in by_seq[14][7].split("\n")
    assert "区审计局：逾期12天" in by_seq[14][7].split("\n")
    assert by_seq[14][8] == "区财政局：已组织企业座谈会" and by_seq[14][9].date() == dt.date(2019, 10, 28)
    assert by_seq[59][10].date() == dt.date(2019, 11, 4)  # its only unit finished: the task is complete
    assert by_seq[14][10] is None
    assert by_seq[56][3:6] == [None, "区政府办公室", "区委目督办、区政府目督办"]  # roles in their own columns
    assert by_seq[1][4] == "区政府各部门"  # a unit group named in the plan stays one name

    at("2019-11-13")
    set_done(14, "区审计局")  # a report without a note: the 台账 keeps the latest note someone wrote
    export_ledger_xlsx(path, today=TODAY)
    row14 = next(r for r in openpyxl.load_workbook(path).active.iter_rows(min_row=3, values_only=True) if r[0] == 14)
    assert row14[8] == "区财政局：已组织企业座谈会"
    assert by_seq[1][1].startswith("着眼稳定预期，加强政策解读和回应关切／深入解读重要政策措施")


def test_scorecard_rules_on_one_unit(world, tmp_path):
    at("2019-10-28")
    set_done(14, "区财政局")  # due 10-31: on time
    a53, a74 = assignment(53, "区财政局"), assignment(74, "区财政局")

    def remind(a, day, stage):
        row = enqueue(f"r:{a.id}:{stage}", "app", "czj", "提醒", now=at(day))  # 09:10 local
        ReminderLog.create(assignment=a, stage=stage, sent_on=dt.date.fromisoformat(day), outbox=row.id)

    remind(a53, "2019-10-22", "before_7")  # answered Monday 10-28: 4 working days, late
    Report.create(assignment=a53, at=at("2019-10-28", 9, 10), kind="progress", text="推进中")
    remind(a74, "2019-10-25", "before_3")  # Friday, answered Tuesday 10-29 10:10: 2 working days
    Report.create(assignment=a74, at=at("2019-10-29", 10, 10), kind="progress", text="推进中")
    remind(a74, "2019-10-31", "due_today")  # never answered: counts, not in time
    remind(a74, "2019-11-11", "overdue_7")  # 1 working day old on 11-12: still pending, not counted
    at("2019-11-04")
    set_done(53, "区财政局")  # 4 days late: 11-01 … 11-04
    at("2019-11-12")
    card = build_scorecard(start=dt.date(2019, 9, 5), end=TODAY, today=TODAY,
                           working_days=load_calendar().working_days_between)
    s = next(x for x in card.scores if x.unit == "区财政局")
    assert (s.due, s.on_time) == (3, 1)  # 14, 53, 74 due 10-31
    assert s.overdue_item_days == 4 + 12  # 53: 11-01..11-04; 74: 11-01..11-12
    assert (s.reminders, s.answered_in_time, s.replies) == (3, 1, 2)
    assert s.median_reply_hours == round(((6 * 24) + (4 * 24 + 1)) / 2, 1)  # 144 h and 97 h
    assert s.on_time_rate == pytest.approx(1 / 3) and s.answer_rate == pytest.approx(1 / 3)
    # a period that ends before the due date decides nothing
    early = build_scorecard(start=dt.date(2019, 9, 5), end=dt.date(2019, 10, 30), today=TODAY)
    assert next(x for x in early.scores if x.unit == "区财政局").due == 0

    path = tmp_path / "评分.xlsx"
    assert scorecard_xlsx(path, card) == len(card.scores)
    ws = openpyxl.load_workbook(path).active
    row = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "区财政局")
    assert row[1:5] == (3, 1, pytest.approx(1 / 3), 16)
    assert ws.cell(3, 4).number_format == "0.0%"


def test_status_chart_is_a_real_png_with_chinese_glyphs(world, tmp_path):
    path = tmp_path / "status.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        size = render_status_chart_png(path, today=TODAY)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    units = Unit.select().join(Assignment).distinct().count()
    assert size == chart_size(units)
    image = Image.open(path).convert("RGB")
    assert image.size == size
    colors = image.getcolors(maxcolors=1_000_000)
    assert len(colors) > 50  # anti-aliased text and bars, not a blank canvas
    assert any(r > 200 and g < 80 and b < 80 for _, (r, g, b) in colors)  # the overdue bars are drawn


def test_the_glyph_check_can_fail(world, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_status_chart_png(tmp_path / "boxes.png", today=TODAY, family="DejaVu Sans")
    assert [w for w in caught if "missing from font" in str(w.message)]
