"""The plan's 台账 (ledger) and the unit scorecard as .xlsx workbooks, laid out as offices keep them.

One sheet per plan: a title row, a frozen header row, one row per task; overdue rows filled light red;
text wrapped; column widths from the text itself, a Chinese character counting two.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from i18n import _
from jobs.words import md
from store.clock import clock
from store.db import StoreError
from store.digest_data import LedgerRow, UnitStatus, calendar_days, ledger_rows, plans_in_scope
from store.files import tighten
from store.models import ROLE_LABELS, Plan
from store.plans import get_plan
from store.scorecard_data import UnitScore, scorecard

LEDGER_HEADER = ["序号", "工作任务", "具体要求", "牵头单位", "责任单位", "配合单位", "完成时限", "完成情况", "最新进展",
                 "进展日期", "完成日期", "佐证材料"]
LEDGER_MAX_WIDTH = [6, 24, 56, 20, 24, 24, 14, 30, 40, 12, 12, 40]
# Which roles go in which unit column (指导 units are listed with the cooperating ones, marked).
ROLE_COLUMNS = (("lead",), ("responsible",), ("cooperate", "guide"))
SCORECARD_HEADER = ["单位", "到期事项", "按期完成", "按期完成率", "逾期事项·天", "提醒（已到回复期）", "两个工作日内回复",
                    "按时回复率", "回复用时中位数（小时）"]
OVERDUE_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")  # Excel's light red
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
DATE_FORMAT = 'yyyy"年"m"月"d"日"'
STATUS_WORDS = {"done": "已完成", "overdue": "逾期", "open": "推进中"}


def text_width(text: str) -> int:
    """Columns the widest line of `text` takes in Excel: a Chinese character counts two."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in str(text).split("\n")), default=0)


def unit_status_text(u: UnitStatus) -> str:
    if u.status == "done":
        return f"{u.unit}：已完成" + (f"（{md(u.done_on)}）" if u.done_on else "")
    if u.status == "overdue":
        return f"{u.unit}：逾期{u.days_overdue}天"
    if u.state == "extension_requested":
        return f"{u.unit}：申请延期中"
    return f"{u.unit}：推进中"


def unit_columns(row: LedgerRow) -> list[str]:
    """牵头单位, 责任单位, 配合单位: names only, so the 台账 reads like the plan (a unit group stays one name)."""
    columns: list[list[str]] = [[] for _ in ROLE_COLUMNS]
    for u in row.units:
        name = u.via_group or u.unit
        for i, roles in enumerate(ROLE_COLUMNS):
            if u.role in roles:
                shown = f"{name}（{ROLE_LABELS['guide']}）" if u.role == "guide" else name
                if shown not in columns[i]:
                    columns[i].append(shown)
    if row.unresolved:
        columns[1].append(f"未识别：{'、'.join(row.unresolved)}")
    return ["、".join(c) for c in columns]


def ledger_values(row: LedgerRow) -> list:
    work = "／".join(x for x in (row.category, row.subcategory) if x)
    progress = f"{row.last_progress_unit}：{row.last_progress}" if row.last_progress else ""
    return [row.seq_label, work, row.requirement, *unit_columns(row), row.deadline_raw,
            "\n".join(unit_status_text(u) for u in row.units), progress, row.last_progress_on, row.completed_on,
            "\n".join(row.evidence)]


def is_duban_ledger(path: str | Path) -> bool:
    """Whether `path` is a 台账 this module wrote (its header row), which must not be imported as a plan."""
    if Path(path).suffix.lower() != ".xlsx" or not Path(path).is_file():
        return False
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True)
    except Exception:  # noqa: BLE001 - not ours to judge: the plan reader reports a broken file
        return False
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(min_row=1, max_row=3, values_only=True):
                cells = [str(c).strip() for c in row if c is not None]
                if cells[:3] == LEDGER_HEADER[:3] and "完成情况" in cells and "最新进展" in cells:
                    return True
    finally:
        wb.close()
    return False


def _plans(plan_ref: str | None) -> list[Plan]:
    plans = [get_plan(plan_ref)] if plan_ref else plans_in_scope(None)
    if not plans:
        raise StoreError(_('no active plan: run `duban plan import FILE`'))
    return plans


def _sheet_title(plan: Plan, used: set[str]) -> str:
    bad = '[]:*?/\\'
    base = "".join(ch for ch in f"{plan.code} {plan.title}" if ch not in bad)[:31]
    title, n = base, 2
    while title in used:
        title, n = f"{base[:28]}({n})", n + 1
    used.add(title)
    return title


def _write_table(ws, title: str, header: list[str], rows: list[list], max_width: list[int],
                 highlight: Callable[[int], bool] = lambda i: False, formats: dict[int, str] | None = None) -> None:
    """Title row, frozen header, wrapped body; `highlight(i)` fills body row i light red."""
    formats = formats or {}
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = CENTER
    ws.append(header)
    for col in range(1, len(header) + 1):
        cell = ws.cell(2, col)
        cell.font, cell.fill, cell.alignment, cell.border = Font(bold=True), HEADER_FILL, CENTER, BORDER
    ws.freeze_panes = "A3"
    widths = [text_width(h) for h in header]
    book = ws.parent
    names: dict[tuple[bool, int], str] = {}

    def style_of(overdue: bool, col: int) -> str:
        # One named style per kind of body cell, registered once per workbook: setting fill, border and
        # alignment cell by cell hashes each style object every time, which dominates a 10,000-row export.
        if (overdue, col) not in names:
            number_format = formats.get(col, "General")
            name = f"duban {'overdue' if overdue else 'row'} {number_format}"
            if name not in book.named_styles:
                book.add_named_style(NamedStyle(name=name, alignment=WRAP, border=BORDER, number_format=number_format,
                                                fill=OVERDUE_FILL if overdue else PatternFill()))
            names[(overdue, col)] = name
        return names[(overdue, col)]

    for i, values in enumerate(rows):
        ws.append(values)
        overdue = highlight(i)
        for col in range(1, len(values) + 1):
            cell = ws.cell(i + 3, col)  # not ws[row]: that scans the whole sheet for its width
            cell.style = style_of(overdue, col)
            value = values[col - 1]
            if isinstance(value, str):
                if value.startswith("="):
                    cell.data_type = "s"  # someone's text, never a formula (=HYPERLINK(…) would be a link)
                widths[col - 1] = max(widths[col - 1], text_width(value))
            elif isinstance(value, dt.date):
                widths[col - 1] = max(widths[col - 1], 12)
            elif value is not None:
                widths[col - 1] = max(widths[col - 1], len(str(value)))
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = min(max_width[col - 1], width + 2)
    print_setup(ws, title)


def print_setup(ws, title: str) -> None:
    """Ready to print as offices do: A4 landscape, all columns on one page width, the title and header rows on
    every page, the title in the page header and 第x页 共y页 in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:2"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddHeader.center.size = 10
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def only_units(rows: list[LedgerRow], units: Collection[str]) -> list[LedgerRow]:
    """The rows where one of `units` has a part, showing only those units (a liaison's 台账 on the board)."""
    out = []
    for row in rows:
        mine = [u for u in row.units if u.unit in units]
        if not mine:
            continue
        progress = row.last_progress_unit in units
        done_days = [u.done_on for u in mine]
        completed = max(done_days) if all(u.status == "done" for u in mine) and all(done_days) else None
        out.append(replace(row, units=mine, unresolved=[], last_progress=row.last_progress if progress else None,
                           last_progress_unit=row.last_progress_unit if progress else None,
                           last_progress_on=row.last_progress_on if progress else None, completed_on=completed,
                           evidence=[e for e in row.evidence if any(e.startswith(f"{u}：") for u in units)]))
    return out


def export_ledger_xlsx(path: str | Path, plan_ref: str | None = None, today: dt.date | None = None,
                       units: Collection[str] | None = None) -> int:
    """Write the 台账 of one plan (or of every active plan, a sheet each) to `path`; returns the task rows.

    With `units` (names), only the tasks those units have a part in, and only their part."""
    today = today or clock.today()
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    total = 0
    for plan in _plans(plan_ref):
        rows = ledger_rows(plan, today)
        if units is not None:
            rows = only_units(rows, units)
        ws = wb.create_sheet(_sheet_title(plan, used))
        _write_table(ws, f"{plan.title}工作台账（截至{today.year}年{md(today)}）", LEDGER_HEADER,
                     [ledger_values(r) for r in rows], LEDGER_MAX_WIDTH, lambda i, rows=rows: rows[i].overdue,
                     {LEDGER_HEADER.index("进展日期") + 1: DATE_FORMAT, LEDGER_HEADER.index("完成日期") + 1: DATE_FORMAT})
        total += len(rows)
    wb.save(path)
    tighten(path)  # contacts' progress: the owner's alone, even when an older, looser file was overwritten
    return total


@dataclass
class Scorecard:
    plans: list[Plan]
    start: dt.date
    end: dt.date
    today: dt.date
    scores: list[UnitScore]

    def as_dict(self) -> dict:
        return {"plans": [p.code for p in self.plans], "from": self.start.isoformat(), "to": self.end.isoformat(),
                "today": self.today.isoformat(), "units": [s.as_dict() for s in self.scores]}


def build_scorecard(plan_ref: str | None = None, start: dt.date | None = None, end: dt.date | None = None,
                    today: dt.date | None = None,
                    working_days: Callable[[dt.date, dt.date], int] = calendar_days) -> Scorecard:
    """Scores for the period (default: from the plans' issue date, else 1 January of their year, to today)."""
    today = today or clock.today()
    plans = _plans(plan_ref)
    start = start or min(p.issued_on or dt.date(p.year, 1, 1) for p in plans)
    end = end or today
    if end < start:
        raise StoreError(_('the period ends ({end}) before it starts ({start})').format(end=end, start=start))
    return Scorecard(plans, start, end, today, scorecard([p.id for p in plans], start, end, today, working_days))


def scorecard_values(s: UnitScore) -> list:
    return [s.unit, s.due, s.on_time, s.on_time_rate, s.overdue_item_days, s.reminders, s.answered_in_time,
            s.answer_rate, s.median_reply_hours]


def scorecard_xlsx(path: str | Path, card: Scorecard) -> int:
    """Write a scorecard to `path`; returns the unit rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "单位评分"
    names = "、".join(p.title for p in card.plans)
    _write_table(ws, f"{names}单位评分（{card.start.isoformat()}至{card.end.isoformat()}）", SCORECARD_HEADER,
                 [scorecard_values(s) for s in card.scores], [30, 10, 10, 12, 14, 20, 18, 12, 24],
                 formats={4: "0.0%", 8: "0.0%"})
    wb.save(path)
    tighten(path)
    return len(card.scores)
