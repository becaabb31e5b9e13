"""Plans and tasks: import a 分工方案, browse it, and record what units reported by phone."""

from __future__ import annotations

from pathlib import Path

import click

from commands.common import App, emit, json_option, label, parse_date, pass_app, table
from i18n import N_, _, ngettext


class _Seq(click.ParamType):
    """A task number: 24, or 4-2 for a sub-row under one merged 序号."""

    name = "seq"

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 - click's signature
        import re

        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"\s*([A-Za-z]{1,3})?\s*(\d{1,6}(?:-\d{1,3})?)\s*", str(value))
        if not match:
            self.fail(_("{value!r} is not a task number (write 24, A24 as chat does, or 4-2 for a sub-row)").format(
                value=value), param, ctx)
        return (match.group(1).upper() if match.group(1) else None, match.group(2))


SEQ = _Seq()

SAMPLE_PLAN = Path(__file__).resolve().parent.parent / "plan" / "samples" / "wuhua-2019.txt"
KIND_ORDER = ("fixed", "year_round", "ongoing", "recurring", "unknown")
KIND_LABELS = {"fixed": N_("fixed"), "year_round": N_("year-round"), "ongoing": N_("ongoing"),
               "recurring": N_("recurring"), "unknown": N_("unread")}


def task_counts(tasks: int, assignments: int) -> str:
    """"24 tasks, 40 assignments" with each count's own plural."""
    return _("{tasks}, {assignments}").format(
        tasks=ngettext("{n} task", "{n} tasks", tasks).format(n=tasks),
        assignments=ngettext("{n} assignment", "{n} assignments", assignments).format(n=assignments))


@click.group()
def plan() -> None:
    """Plans (分工方案): import, list, show, and see how phrases are read."""


@plan.command("import")
@click.argument("file", type=click.Path(dir_okay=False), required=False)
@click.option("--sample", is_flag=True, help="Import the bundled sample plan (五华区2019年政务公开工作要点分工方案).")
@click.option("--year", type=int, help="Base year for deadlines without one (default: from the title or issue date).")
@click.option("--title", help="Use this title instead of the one found in the file.")
@click.option("--dry-run", is_flag=True, help="Read and resolve everything, print the summary, write nothing.")
@click.option("--replace", is_flag=True, help="Update the imported plan with the same title or 文号 in place; "
              "tasks whose 序号 survive keep their reports and states.")
@click.option("--as-new", is_flag=True, help="Import as another plan even though an active plan has the same title "
              "or 文号.")
@json_option
@pass_app
def plan_import(app: App, file: str | None, sample: bool, year: int | None, title: str | None, dry_run: bool,
                replace: bool, as_new: bool, as_json: bool) -> None:
    """Import a plan from .docx, .xlsx, .csv, .txt, a saved web page (.html) or a text .pdf.

    The plan may be a table (columns found by their header words) or numbered paragraphs (一、 （一） 1.)
    whose items end with （牵头单位：…；责任单位：…；完成时限：…） or are followed by 牵头单位：… lines.
    All or nothing: a file that cannot be read leaves the database as it was. Unit phrases become
    units and unit groups with roles (牵头 lead, 负责 responsible, 配合 cooperate, 指导 guide); deadline
    phrases become dated, year-round, ongoing or recurring deadlines (several dated steps become
    milestones). Rows under one merged 序号 become tasks 4-1, 4-2. Everything uncertain is listed
    as a warning with its 序号. The same file twice is recognised and not duplicated. Files over
    [import] max_file_mb, scans, pictures and zip bombs are refused before they are read.
    """
    from plan.document import to_json_dict
    from plan.read import read_plan
    from plan.units import likely_duplicates
    from store.plan_import import save_plan

    if bool(file) == sample:
        raise click.UsageError(_("give a FILE or --sample"))
    if replace and as_new:
        raise click.UsageError(_("choose --replace or --as-new, not both"))
    if file:
        refuse_own_ledger(file)
    from plan.readers.limits import MB, set_max_file_bytes

    set_max_file_bytes(app.config.import_.max_file_mb * MB)
    from store.clock import clock

    parsed = read_plan(SAMPLE_PLAN if sample else file, year=year, title=title, default_year=clock.today().year)
    app.connect()
    report = save_plan(parsed, replace=replace, as_new=as_new, dry_run=dry_run, likely_duplicates=likely_duplicates)
    if as_json:
        data = to_json_dict(parsed)
        data["warnings"] = [{"seq": f"{w['seq']}-{w['sub']}" if w.get("sub") else w["seq"], "code": w["code"],
                             "message": w["message"]} for w in report.warnings]
        data["import"] = report.as_dict()
        emit(data, True, print)
        return
    print_import_summary(parsed, report)


def print_import_summary(parsed, report) -> None:
    if report.already_imported:
        click.echo(_("{file} is already imported as plan {code} ({title}); nothing changed. "
                     "Use --replace to update it from a changed file.").format(
            file=parsed.source_name, code=report.plan_code, title=report.plan_title))
        return
    if report.dry_run:
        verb = _("Would import plan {code}: {title}")
    elif report.replaced:
        verb = _("Updated plan {code}: {title}")
    else:
        verb = _("Imported plan {code}: {title}")
    facts = ", ".join(x for x in (parsed.doc_no, parsed.issued_on and parsed.issued_on.isoformat()) if x)
    click.echo(verb.format(code=report.plan_code, title=report.plan_title) + (f" ({facts})" if facts else ""))
    click.echo("  " + task_counts(report.tasks, report.assignments))
    kinds = ", ".join(f"{report.deadlines[k]} {_(KIND_LABELS[k])}" for k in KIND_ORDER if report.deadlines.get(k))
    click.echo("  " + _("deadlines: {kinds}").format(kinds=kinds or _("none")))
    click.echo("  " + _("units: {new} new, {known} known").format(new=len(report.units_new),
                                                                  known=len(report.units_known)))
    if report.units_new:
        click.echo("    " + _("new: {names}").format(names="、".join(report.units_new)))
    if report.groups_new or report.groups_known:
        click.echo("  " + _("unit groups: {new} new, {known} known").format(new=len(report.groups_new),
                                                                            known=len(report.groups_known)))
        if report.groups_new:
            click.echo("    " + _("new: {names}").format(names="、".join(report.groups_new)))
    if report.tasks_removed:
        click.echo("  " + _("removed tasks: {seqs}").format(seqs=", ".join(map(str, report.tasks_removed))))
    print_warnings(report.warnings)
    if report.dry_run:
        click.echo(_("Dry run: nothing was written."))


def print_warnings(warnings: list[dict]) -> None:
    """Warnings by 序号, in words (their codes are in --json)."""
    if not warnings:
        return
    click.echo(_("Warnings ({n}):").format(n=len(warnings)))
    for w in warnings:
        where = f"[{w['seq']}] " if w["seq"] is not None else ""
        click.echo(f"  {where}{w['message']}")


def refuse_own_ledger(file: str) -> None:
    from jobs.ledger import is_duban_ledger

    if is_duban_ledger(file):
        raise click.ClickException(_("{file} is a 台账 exported by duban, not a plan: to update a plan, import its "
                                     "corrected plan file with --replace").format(file=Path(file).name))


@plan.command("diff")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("plan_ref", metavar="[PLAN]", required=False)
@click.option("--year", type=int, help="Base year for deadlines without one (default: from the title or issue date).")
@json_option
@pass_app
def plan_diff(app: App, file: str, plan_ref: str | None, year: int | None, as_json: bool) -> None:
    """Show what importing FILE with --replace would change in PLAN (default: the active plan with the same
    title or 文号): tasks added, removed and changed (units, deadlines, text). Writes nothing."""
    from plan.read import read_plan
    from store.plan_lifecycle import diff_plan

    parsed = read_plan(file, year=year)
    app.connect()
    emit(diff_plan(parsed, plan_ref), as_json, print_diff)


FIELD_LABELS = {"units": N_("units"), "deadline": N_("deadline"), "requirement": N_("requirement"),
                "category": N_("task")}


def print_diff(d: dict) -> None:
    click.echo(_("{file} against plan {code} ({title}):").format(file=d["file"], code=d["plan"]["code"],
                                                                 title=d["plan"]["title"]))
    click.echo("  " + _("{added} added, {removed} removed, {changed} changed, {unchanged} unchanged").format(
        added=len(d["added"]), removed=len(d["removed"]), changed=len(d["changed"]), unchanged=d["unchanged"]))
    for t in d["added"]:
        click.echo(f"  + [{t['seq']}] {_short(t['requirement'], 40)}  {t['units']}  {t['deadline']}")
    for t in d["removed"]:
        click.echo(f"  - [{t['seq']}] {_short(t['requirement'], 40)}")
    for t in d["changed"]:
        for field, change in t["changes"].items():
            click.echo(f"  ~ [{t['seq']}] {_(FIELD_LABELS[field])}: {_short(change['old'], 40)} → "
                       f"{_short(change['new'], 40)}")


@plan.command("archive")
@click.argument("plan_ref", metavar="PLAN")
@pass_app
def plan_archive(app: App, plan_ref: str) -> None:
    """Archive PLAN: no more reminders, gone from chat lists and digests; its history and exports stay."""
    from store.plan_lifecycle import archive_plan

    app.connect()
    archived, changed = archive_plan(plan_ref)
    said = _("Archived plan {code} ({title}); `duban plan restore {code}` brings it back.") if changed else \
        _("Plan {code} ({title}) was already archived: nothing to do.")
    click.echo(said.format(code=archived.code, title=archived.title))


@plan.command("restore")
@click.argument("plan_ref", metavar="PLAN")
@pass_app
def plan_restore(app: App, plan_ref: str) -> None:
    """Make an archived PLAN active again (reminders, chat and digests resume)."""
    from store.plan_lifecycle import restore_plan

    app.connect()
    restored, changed = restore_plan(plan_ref)
    said = _("Plan {code} ({title}) is active again.") if changed else \
        _("Plan {code} ({title}) is already active: nothing to do.")
    click.echo(said.format(code=restored.code, title=restored.title))


@plan.command("delete")
@click.argument("plan_ref", metavar="PLAN")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def plan_delete(app: App, plan_ref: str, yes: bool) -> None:
    """Delete PLAN imported by mistake; refused once anything was recorded on it (archive it instead)."""
    from store.plan_lifecycle import delete_plan
    from store.plans import get_plan

    app.connect()
    target = get_plan(plan_ref)
    if not yes:
        click.confirm(_("Delete plan {code} ({title}) and its tasks?").format(code=target.code, title=target.title),
                      abort=True)
    deleted = delete_plan(target.code)
    click.echo(_("Deleted plan {code} ({title}).").format(code=deleted.code, title=deleted.title))


@plan.command("list")
@json_option
@pass_app
def plan_list(app: App, as_json: bool) -> None:
    """List imported plans with their codes (the code prefixes task numbers when several plans are active)."""
    from store.tasks import list_plans

    app.connect()
    emit(list_plans(), as_json, lambda rows: table(
        [[p["code"], p["title"], p["doc_no"], p["issued_on"], p["tasks"], p["assignments"], p["warnings"],
          _("yes") if p["active"] else _("archived")] for p in rows],
        [_("code"), _("title"), _("doc no"), _("issued"), _("tasks"), _("assignments"), _("warnings"), _("active")],
    ))


@plan.command("show")
@click.argument("plan_ref", metavar="PLAN", required=False)
@json_option
@pass_app
def plan_show(app: App, plan_ref: str | None, as_json: bool) -> None:
    """Show a plan (code, id or part of its title; optional when only one is active) and its warnings."""
    from store.tasks import plan_detail

    app.connect()

    def render(p: dict) -> None:
        click.echo(f"{p['code']}  {p['title']}")
        click.echo(f"    {p['doc_no'] or ''}  {p['issuer'] or ''}  "
                   + _("issued {date}  year {year}").format(date=p["issued_on"] or _("not stated"), year=p["year"]))
        click.echo("    " + task_counts(p["tasks"], p["assignments"])
                   + "; " + ", ".join(f"{n} {label(s)}" for s, n in sorted(p["status"].items())))
        click.echo("    " + _("source: {source}").format(source=p["source"]))
        print_warnings(p["warnings_list"])

    emit(plan_detail(plan_ref), as_json, render)


@plan.command("parse-deadline")
@click.argument("phrase")
@click.option("--year", type=int, default=2019, show_default=True, help="The plan's base year.")
@click.option("--issued", help="The plan's issue date (YYYY-MM-DD), to flag deadlines already past.")
@json_option
def plan_parse_deadline(phrase: str, year: int, issued: str | None, as_json: bool) -> None:
    """Show how a deadline phrase is read: `duban plan parse-deadline "10月底前"`."""
    from plan.deadlines import describe_deadline, parse_deadlines

    deadlines = parse_deadlines(phrase, year, parse_date(issued) if issued else None)
    data = [{"raw": d.raw, "kind": d.kind, "due": d.due.isoformat() if d.due else None, "precision": d.precision,
             "recurrence": d.recurrence, "past_at_issue": d.past_at_issue, "shown_as": describe_deadline(d)}
            for d in deadlines]
    emit(data, as_json, lambda rows: table(
        [[r["raw"], _(KIND_LABELS.get(r["kind"], r["kind"])), r["due"], r["precision"], r["recurrence"], r["shown_as"]]
         for r in rows],
        [_("phrase"), _("kind"), _("due"), _("precision"), _("recurrence"), _("shown as")],
    ))


@plan.command("parse-units")
@click.argument("phrase")
@json_option
def plan_parse_units(phrase: str, as_json: bool) -> None:
    """Show how a unit phrase is read: `duban plan parse-units "区司法局牵头，各行政执法部门负责"`."""
    from plan.units import parse_units

    parsed = parse_units(phrase)
    data = {
        "units": [{"name": r.name, "role": r.role} for r in parsed.refs if not r.is_group],
        "groups": [{"name": r.name, "role": r.role} for r in parsed.refs if r.is_group],
        "unresolved": parsed.unresolved,
        "dropped": parsed.dropped,
    }

    def render(d: dict) -> None:
        table([[r["name"], label("unit"), label(r["role"])] for r in d["units"]]
              + [[r["name"], label("group"), label(r["role"])] for r in d["groups"]], [_("name"), _("kind"), _("role")])
        for fragment in d["unresolved"]:
            click.echo(_("unresolved: {text}").format(text=fragment))
        for fragment in d["dropped"]:
            click.echo(_("ignored (names no unit): {text}").format(text=fragment))

    emit(data, as_json, render)


# --- tasks -----------------------------------------------------------------------------------------------------




def split_ref(ref: tuple[str | None, str], plan_ref: str | None) -> tuple[str, str | None]:
    """(seq, plan) from a task number as chat writes it (A24: plan A's 24) and --plan."""
    code, seq = ref
    if code and plan_ref and code != plan_ref.upper():
        raise click.UsageError(_("task {code}{seq} is not in --plan {plan}").format(code=code, seq=seq, plan=plan_ref))
    return seq, plan_ref or code


@click.group()
def task() -> None:
    """Tasks of imported plans: list, show, and record what a unit reported by phone."""


@task.command("list")
@click.option("--plan", "plan_ref", help="Only this plan (code, id or part of the title).")
@click.option("--unit", "unit_name", help="Only this unit's assignments.")
@click.option("--status", type=click.Choice(["open", "done", "overdue"]), help="Only tasks in this state (today).")
@click.option("--due-before", help="Only tasks due before this date (YYYY-MM-DD).")
@json_option
@pass_app
def task_list(app: App, plan_ref: str | None, unit_name: str | None, status: str | None, due_before: str | None,
              as_json: bool) -> None:
    """List tasks with their due date and status."""
    from store.tasks import list_tasks

    before = parse_date(due_before) if due_before else None
    app.connect()
    rows = list_tasks(plan=plan_ref, unit=unit_name, status=status, due_before=before)
    emit(rows, as_json, lambda rows: table(
        [[f"{r['plan']}{r['seq']}", _short(r["requirement"], 28), r["deadline"].replace("\n", " "), r["due"],
          label(r["status"]), f"{r['done']}/{r['assignments']}"] for r in rows],
        [_("task"), _("requirement"), _("deadline"), _("due"), _("status"), _("done")],
    ))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@task.command("show")
@click.argument("seq", type=SEQ, metavar="TASK")
@click.option("--plan", "plan_ref", help="The plan (needed when several are active).")
@json_option
@pass_app
def task_show(app: App, seq: tuple, plan_ref: str | None, as_json: bool) -> None:
    """Show one task: requirement, units and roles, deadlines, reports, warnings."""
    from store.tasks import task_detail

    app.connect()

    def render(t: dict) -> None:
        click.echo(f"{t['plan']}{t['seq']}  {t['category']} / {t['subcategory']}")
        click.echo(t["requirement"])
        click.echo(_("units (as written): {text}").format(text=t["units_raw"]))
        for d in t["deadlines"]:
            past = "  " + _("(already past at issue)") if d["past_at_issue"] else ""
            kind = _(KIND_LABELS.get(d["kind"], d["kind"]))
            click.echo(_("deadline: {raw} → {kind} {due}").format(raw=d["raw"], kind=kind, due=d["due"] or "") + past)
        for g in t["groups"]:
            click.echo(_("group: {name} ({role})").format(name=g["name"], role=label(g["role"])))
        for u in t["unresolved"]:
            click.echo(_("unresolved unit phrase: {text}").format(text=u))
        table([[a["unit"], label(a["role"]), a["via_group"] or "", a["due"], label(a["status"])]
               for a in t["assignments"]],
              [_("unit"), _("role"), _("via group"), _("due"), _("status")])
        for r in t["reports"]:
            click.echo(f"{r['at']}  {r['unit']}  {label(r['kind'])}  {r['text']}" + (_(" (undone)") if r["undone"] else ""))
        for w in t["warnings"]:
            click.echo(_("warning: {message}").format(message=w["message"]))
        for e in t["evidence"]:
            click.echo(_("evidence: {when}  {unit}  {name}  {size} bytes  {sender}  sha256 {sha}").format(
                when=e["sent_at"], unit=e["unit"], name=e["filename"], size=e["size"], sender=e["sender"],
                sha=e["sha256"][:12]))

    seq, plan_ref = split_ref(seq, plan_ref)
    emit(task_detail(seq, plan_ref), as_json, render)


@task.command("done")
@click.argument("seq", type=SEQ, metavar="TASK")
@click.option("--unit", "unit_name", required=True, help="The unit whose part is done.")
@click.option("--note", default="", help="What they said.")
@click.option("--plan", "plan_ref", help="The plan (needed when several are active).")
@pass_app
def task_done(app: App, seq: tuple, unit_name: str, note: str, plan_ref: str | None) -> None:
    """Record that a unit finished its part of a task, as reported by phone or on paper."""
    from store.tasks import set_done

    app.connect()
    seq, plan_ref = split_ref(seq, plan_ref)
    a = set_done(seq, unit_name, note, plan_ref, done=True)
    said = _("Task {seq}: {unit} was already done: nothing to do.") if a.already else _("Task {seq}: {unit} done.")
    click.echo(said.format(seq=seq, unit=a.unit.name))


@task.command("reopen")
@click.argument("seq", type=SEQ, metavar="TASK")
@click.option("--unit", "unit_name", required=True, help="The unit whose part is open again.")
@click.option("--note", default="", help="Why.")
@click.option("--plan", "plan_ref", help="The plan (needed when several are active).")
@pass_app
def task_reopen(app: App, seq: tuple, unit_name: str, note: str, plan_ref: str | None) -> None:
    """Reopen a unit's part of a task that was marked done."""
    from store.tasks import set_done

    app.connect()
    seq, plan_ref = split_ref(seq, plan_ref)
    a = set_done(seq, unit_name, note, plan_ref, done=False)
    said = _("Task {seq}: {unit} is not done: nothing to do.") if a.already else _("Task {seq}: {unit} open again.")
    click.echo(said.format(seq=seq, unit=a.unit.name))
