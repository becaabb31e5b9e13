"""The board's pages: overview, units, a unit, an item, search, the 台账 download and evidence downloads.

Every page reads through store.board_data and renders a Jinja2 template (autoescaped); there is no JavaScript.
Signing in is in web/signin.py; who may see what is decided in store.board_data.Viewer.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    after_this_request,
    current_app,
    g,
    render_template,
    request,
    send_file,
)

from store import board_data as data
from store.clock import clock
from web.errors import refuse
from web.services import BoardServices

PAGE_SIZE = 50
UNIT_SORTS = {
    "unit": lambda line: line.bar.unit,
    "total": lambda line: line.bar.total,
    "done": lambda line: line.bar.counts["done"],
    "progress": lambda line: line.bar.counts["progress"],
    "not_started": lambda line: line.bar.counts["not_started"],
    "overdue": lambda line: line.bar.counts["overdue"],
    "on_time": lambda line: (line.score and line.score.on_time_rate) or 0.0,
    "overdue_days": lambda line: line.score.overdue_item_days if line.score else 0,
    "answer": lambda line: (line.score and line.score.answer_rate) or 0.0,
    "reply_hours": lambda line: (line.score and line.score.median_reply_hours) or 0.0,
}


def services() -> BoardServices:
    return current_app.extensions["duban_board"]


def plans_for_request() -> tuple[list, str | None]:
    """The viewer's plans, narrowed to ?plan=CODE when given (404 for a plan they may not see)."""
    code = request.args.get("plan") or None
    plans = data.board_plans(g.viewer)
    if code is not None:
        plans = [p for p in plans if p.code == code]
        if not plans:
            refuse(404, "没有找到这个方案，或它已归档。")
    return plans, code


def soon_end(today: dt.date, working_days: int) -> dt.date:
    calendar = services().calendar()
    day = today
    for _ in range(working_days):
        day = calendar.next_workday(day)
    return day


def render_overview(read_only: bool = False) -> str:
    today = clock.today()
    plans, code = plans_for_request()
    rows = data.viewer_rows(g.viewer, plans, today)
    view = data.overview(rows, today, soon_end(today, services().soon_working_days))
    return render_template("overview.html", plans=plans, all_plans=data.board_plans(g.viewer), code=code, view=view,
                           today=today, read_only=read_only, soon_days=services().soon_working_days)


def register_pages(bp: Blueprint) -> None:
    @bp.get("/")
    def overview() -> str:
        return render_overview()

    @bp.get("/units")
    def units() -> str:
        today = clock.today()
        plans, code = plans_for_request()
        sort = request.args.get("sort", "overdue")
        if sort not in UNIT_SORTS:
            refuse(400, "无法按这一列排序。")
        descending = request.args.get("dir", "desc" if sort != "unit" else "asc") != "asc"
        rows = data.viewer_rows(g.viewer, plans, today)
        lines = data.units_table(rows, plans, today, services().calendar().working_days_between)
        lines.sort(key=UNIT_SORTS[sort], reverse=descending)
        return render_template("units.html", lines=lines, plans=plans, all_plans=data.board_plans(g.viewer), code=code,
                               sort=sort, descending=descending, today=today)

    @bp.get("/unit/<int:unit_id>")
    def unit(unit_id: int) -> str:
        today = clock.today()
        name = data.get_unit_name(unit_id) if unit_id < 2**31 else None
        if name is None or not g.viewer.may_see_unit(unit_id):
            refuse(404, "没有找到这个单位，或您无权查看。")
        plans, code = plans_for_request()
        state = request.args.get("state") or None
        if state is not None and state not in data.STATUSES:
            refuse(400, "没有这种状态。")
        rows = data.search_rows(data.load_rows(plans, today, [unit_id]), status=state)
        ids = [r.fact.id for r in rows]
        return render_template("unit.html", name=name, unit_id=unit_id, rows=rows, plans=plans, code=code,
                               all_plans=data.board_plans(g.viewer), state=state,
                               progress=data.latest_progress(ids), evidence=data.count_evidence(ids), today=today)

    @bp.get("/item/<code>/<int:seq>")
    def item(code: str, seq: int) -> str:
        today = clock.today()
        plan = next((p for p in data.board_plans(g.viewer) if p.code == code), None)
        task = data.find_task(plan, seq) if plan is not None and seq < 10**6 else None
        page = data.item_page(plan, task, g.viewer, today) if task is not None else None
        if page is None:
            refuse(404, "没有找到这一项，或您无权查看。")
        return render_template("item.html", page=page, today=today)

    @bp.get("/items")
    def items() -> str:
        today = clock.today()
        plans, code = plans_for_request()
        query = request.args.get("q", "")
        if len(query) > 100:
            refuse(400, "查询内容太长，请缩短后再试。")
        state = request.args.get("state") or None
        if state is not None and state not in data.STATUSES:
            refuse(400, "没有这种状态。")
        unit_id = _int_arg("unit")
        if unit_id is not None and not g.viewer.may_see_unit(unit_id):
            refuse(404, "没有找到这个单位，或您无权查看。")
        page = _int_arg("page") or 1
        rows = data.viewer_rows(g.viewer, plans, today)
        units = sorted({(r.fact.unit_id, r.fact.unit) for r in rows}, key=lambda u: u[1])
        found = data.search_rows(rows, query, unit_id, state)
        pages = max(1, -(-len(found) // PAGE_SIZE))
        if page > pages:
            refuse(404, "没有这一页。")
        shown = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        return render_template("items.html", rows=shown, total=len(found), page=page, pages=pages, q=query,
                               state=state, unit_id=unit_id, units=units, plans=plans, code=code,
                               all_plans=data.board_plans(g.viewer), today=today)

    @bp.get("/ledger.xlsx")
    def ledger() -> Response:
        today = clock.today()
        plans, code = plans_for_request()
        if not plans:
            refuse(404, "没有可下载的方案。")
        units = None if g.viewer.sees_all else set(g.viewer.unit_ids)
        handle, name = tempfile.mkstemp(suffix=".xlsx", prefix="duban-ledger-")
        os.close(handle)
        path = Path(name)

        @after_this_request
        def _remove(response: Response) -> Response:
            path.unlink(missing_ok=True)
            return response

        services().write_ledger(path, [p.code for p in plans], today, units)
        label = plans[0].code if len(plans) == 1 else "全部"
        return send_file(path, as_attachment=True, download_name=f"台账-{label}-{today.isoformat()}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", max_age=0)

    @bp.get("/evidence/<int:evidence_id>")
    def evidence(evidence_id: int) -> Response:
        found = data.evidence_for_viewer(evidence_id, g.viewer) if evidence_id < 2**31 else None
        root = services().evidence_dir.resolve()
        file = (root / found[0].path).resolve() if found else None
        if file is None or not file.is_relative_to(root) or not file.is_file():
            refuse(404, "没有找到这份材料，或您无权查看。")
        return send_file(file, as_attachment=True, download_name=download_name(found[0].filename),
                         mimetype="application/octet-stream", max_age=0)


def download_name(filename: str) -> str:
    """The name a browser saves evidence under: no folders, no control characters, never empty."""
    name = "".join("_" if ch in "/\\" or ord(ch) < 32 or ord(ch) == 127 else ch for ch in filename or "")
    name = name.strip(" .")[:120]
    return name or "evidence"


def _int_arg(name: str) -> int | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 9:
        abort(400)
    return int(value)
