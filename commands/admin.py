"""The admin's who-is-who: units, unit groups, contacts and leader groups."""

from __future__ import annotations

from pathlib import Path

import click

from commands.common import App, emit, json_option, parse_date, pass_app, table

# --- units -----------------------------------------------------------------------------------------------------


@click.group()
def unit() -> None:
    """Units (单位) and their aliases (区政府办 → 区政府办公室)."""


@unit.command("add")
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, help="Another name for the unit (repeatable).")
@pass_app
def unit_add(app: App, name: str, aliases: tuple[str, ...]) -> None:
    """Add a unit and the other names plans use for it.

    Example: `duban unit add 区政府办公室 --alias 区政府办`. For a unit a plan import already created under two
    names, use `duban unit merge` instead.
    """
    from store.units import add_unit

    app.connect()
    created = add_unit(name, aliases)
    click.echo(f"Added unit {created.name}" + (f" (aliases: {', '.join(aliases)})" if aliases else "") + ".")


@unit.command("list")
@json_option
@pass_app
def unit_list(app: App, as_json: bool) -> None:
    """List units with their aliases, groups, contacts and assignments."""
    from store.units import list_units

    app.connect()
    emit(list_units(), as_json, lambda rows: table(
        [[u["name"], "、".join(u["aliases"]), "、".join(u["groups"]), u["contacts"], u["assignments"]] for u in rows],
        ["unit", "aliases", "groups", "contacts", "assignments"],
    ))


@unit.command("alias")
@click.argument("alias")
@click.argument("unit_name", metavar="UNIT")
@pass_app
def unit_alias(app: App, alias: str, unit_name: str) -> None:
    """Make ALIAS another name of UNIT (plans that write ALIAS then resolve to UNIT)."""
    from store.units import add_alias

    app.connect()
    created = add_alias(alias, unit_name)
    click.echo(f"{created.alias} is now an alias of {created.unit.name}.")


@unit.command("rename")
@click.argument("old")
@click.argument("new")
@pass_app
def unit_rename(app: App, old: str, new: str) -> None:
    """Rename a unit; the old name stays as an alias."""
    from store.units import rename_unit

    app.connect()
    renamed = rename_unit(old, new)
    click.echo(f"Renamed to {renamed.name} (the old name is kept as an alias).")


@unit.command("merge")
@click.argument("source", metavar="FROM")
@click.argument("into", metavar="INTO")
@pass_app
def unit_merge(app: App, source: str, into: str) -> None:
    """Merge unit FROM into INTO: contacts, assignments, aliases and group memberships move; FROM becomes an alias."""
    from store.units import merge_units

    app.connect()
    counts = merge_units(source, into)
    click.echo(
        f"Merged into {into}: {counts['contacts']} contact(s), {counts['assignments']} assignment(s), "
        f"{counts['aliases']} alias(es), {counts['groups']} group membership(s) moved."
    )


@unit.command("remove")
@click.argument("name")
@click.option("--force", is_flag=True, help="Also delete the unit's assignments and contacts.")
@pass_app
def unit_remove(app: App, name: str, force: bool) -> None:
    """Remove a unit (refused while it has assignments or contacts, unless --force)."""
    from store.units import remove_unit

    app.connect()
    removed = remove_unit(name, force=force)
    click.echo(f"Removed unit {removed.name}.")


# --- unit groups -----------------------------------------------------------------------------------------------


@click.group()
def group() -> None:
    """Unit groups that plans name as one (区政府各部门, 各行政执法部门 …)."""


@group.command("add")
@click.argument("name")
@click.option("--note", default="", help="What the group means, for the next admin.")
@pass_app
def group_add(app: App, name: str, note: str) -> None:
    """Add an (empty) unit group."""
    from store.units import add_group

    app.connect()
    created = add_group(name, note)
    click.echo(f"Added group {created.name}.")


@group.command("add-member")
@click.argument("group_name", metavar="GROUP")
@click.argument("units", nargs=-1, required=True)
@pass_app
def group_add_member(app: App, group_name: str, units: tuple[str, ...]) -> None:
    """Add units to GROUP; they take on the group's tasks from now on."""
    from store.units import add_members

    app.connect()
    result = add_members(group_name, units)
    click.echo(f"Added {result['added']} unit(s) to {group_name}; {result['assignments']} new assignment(s).")


@group.command("remove-member")
@click.argument("group_name", metavar="GROUP")
@click.argument("units", nargs=-1, required=True)
@pass_app
def group_remove_member(app: App, group_name: str, units: tuple[str, ...]) -> None:
    """Remove units from GROUP (their group assignments without reports are dropped)."""
    from store.units import remove_members

    app.connect()
    result = remove_members(group_name, units)
    click.echo(
        f"Removed {result['removed']} unit(s) from {group_name}; "
        f"{result['assignments_dropped']} assignment(s) dropped."
    )


@group.command("list")
@json_option
@pass_app
def group_list(app: App, as_json: bool) -> None:
    """List unit groups with member and task counts (a group with no members reaches nobody)."""
    from store.units import list_groups

    app.connect()
    emit(list_groups(), as_json, lambda rows: table(
        [[g["name"], g["members"] or "0 (no members!)", g["tasks"], g["note"]] for g in rows],
        ["group", "members", "tasks", "note"],
    ))


@group.command("show")
@click.argument("group_name", metavar="GROUP")
@json_option
@pass_app
def group_show(app: App, group_name: str, as_json: bool) -> None:
    """Show a group's members and the tasks that name it."""
    from store.units import group_detail

    app.connect()

    def render(d: dict) -> None:
        click.echo(f"{d['name']}" + (f" — {d['note']}" if d["note"] else ""))
        click.echo(f"members ({len(d['members'])}): " + ("、".join(d["members"]) or "none"))
        click.echo(f"tasks ({len(d['tasks'])}): " + (", ".join(map(str, d["tasks"])) or "none"))

    emit(group_detail(group_name), as_json, render)


# --- contacts --------------------------------------------------------------------------------------------------


@click.group()
def contact() -> None:
    """Contacts: each unit's liaison (联络员) and leader (领导) in WeCom."""


@contact.command("add")
@click.option("--unit", "unit_name", required=True, help="The contact's unit (name or alias).")
@click.option("--name", required=True, help="The person's name.")
@click.option("--userid", required=True, help="Their WeCom userid (账号), as shown in the admin console.")
@click.option("--mobile", help="11-digit mobile number.")
@click.option("--role", type=click.Choice(["liaison", "leader"]), default="liaison", show_default=True)
@pass_app
def contact_add(app: App, unit_name: str, name: str, userid: str, mobile: str | None, role: str) -> None:
    """Add a contact: a unit's liaison (联络员) or leader (领导) in WeCom.

    Example: `duban contact add --unit 区财政局 --name 张三 --userid zhangsan --mobile 13800138000`.
    """
    from store.contacts import add_contact

    app.connect()
    created = add_contact(unit_name, name, userid, mobile, role)
    click.echo(f"Added {created.role} {created.name} ({created.userid}) to {created.unit.name}.")


@contact.command("list")
@click.option("--unit", "unit_name", help="Only this unit's contacts.")
@json_option
@pass_app
def contact_list(app: App, unit_name: str | None, as_json: bool) -> None:
    """List contacts."""
    from store.contacts import list_contacts

    app.connect()
    emit(list_contacts(unit_name), as_json, lambda rows: table(
        [[c["unit"], c["name"], c["userid"], c["mobile"], c["role"],
          (f"away until {c['away_until']}" + (f" → {c['delegate']}" if c["delegate"] else "")) if c["away_until"] else "",
          c["problem"] or ""] for c in rows],
        ["unit", "name", "userid", "mobile", "role", "status", "problem"],
    ))


@contact.command("remove")
@click.argument("userid")
@pass_app
def contact_remove(app: App, userid: str) -> None:
    """Remove a contact by WeCom userid."""
    from store.contacts import remove_contact

    app.connect()
    removed = remove_contact(userid)
    click.echo(f"Removed {removed.name} ({removed.userid}).")


@contact.command("reachable")
@click.argument("userid")
@pass_app
def contact_reachable(app: App, userid: str) -> None:
    """Clear the problem WeCom reported for a contact (shown by `contact list` and `doctor`) once it is fixed.

    Reminders skip a contact WeCom could not deliver to; after correcting the userid in the WeCom console
    (or the app's visible range), run this, then `duban wecom check` to confirm.
    """
    from store.contacts import clear_problem

    app.connect()
    fixed = clear_problem(userid)
    click.echo(f"{fixed.name} ({fixed.userid}) will get messages again.")


@contact.command("away")
@click.argument("userid")
@click.option("--until", "until", help="Last day away (YYYY-MM-DD).")
@click.option("--delegate", help="Userid who gets their reminders meanwhile.")
@click.option("--back", is_flag=True, help="The contact is back: clear away and delegate.")
@pass_app
def contact_away(app: App, userid: str, until: str | None, delegate: str | None, back: bool) -> None:
    """Mark a contact away until a date (reminders go to the delegate), or back with --back."""
    from store.contacts import set_away

    if back == bool(until):
        raise click.UsageError("give either --until DATE or --back")
    app.connect()
    changed = set_away(userid, None if back else parse_date(until or ""), delegate)
    if back:
        click.echo(f"{changed.name} is back.")
    else:
        stand_in = f"; {changed.delegate.name} covers" if changed.delegate_id else ""
        click.echo(f"{changed.name} is away until {changed.away_until}{stand_in}.")


@contact.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_app
def contact_import(app: App, file: str) -> None:
    """Import contacts from .csv (UTF-8 or GBK) or .xlsx, all rows or none.

    The header row names the columns: 单位, 姓名, 企业微信账号, 手机, 角色 (联络员/领导),
    or unit, name, userid, mobile, role (liaison/leader).
    """
    from plan.tables import read_rows
    from store.contacts import import_contacts

    app.connect()
    result = import_contacts(read_rows(file))
    click.echo(f"Imported {result.created} contact(s) from {Path(file).name}.")


@contact.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@pass_app
def contact_export(app: App, file: str) -> None:
    """Export contacts to .csv (UTF-8 with BOM, opens in Excel) or .xlsx, in the import format."""
    from store.contacts import export_rows

    app.connect()
    rows = export_rows()
    write_rows(Path(file), rows)
    click.echo(f"Exported {len(rows) - 1} contact(s) to {file}.")


def write_rows(path: Path, rows: list[list[str]]) -> None:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        book.save(path)
    elif path.suffix.lower() == ".csv":
        import csv

        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            csv.writer(fh).writerows(rows)
    else:
        raise click.BadParameter("the file must end in .csv or .xlsx", param_hint="FILE")


# --- leader groups ---------------------------------------------------------------------------------------------


@click.group()
def leaders() -> None:
    """Leadership groups (领导群) that get the weekly digest."""


@leaders.command("add")
@click.argument("name")
@click.option("--webhook-key", help="Group robot key (or the robot's whole webhook URL).")
@click.option("--chat-id", help="An app group chat (appchat) created by duban.")
@click.option("--userids", help="Leaders' userids, comma-separated: each gets the digest as an app message.")
@click.option("--plan", "plan_ref", help="Only this plan (default: every active plan).")
@click.option("--schedule", default="mon 09:10", show_default=True, help="When the weekly digest goes out.")
@pass_app
def leaders_add(app: App, name: str, webhook_key: str | None, chat_id: str | None, userids: str | None,
                plan_ref: str | None, schedule: str) -> None:
    """Add a leader group reached by exactly one of --webhook-key, --chat-id or --userids."""
    from store.contacts import add_leader_group, masked_target

    if sum(bool(x) for x in (webhook_key, chat_id, userids)) != 1:
        raise click.UsageError("give exactly one of --webhook-key, --chat-id or --userids")
    app.connect()
    ids = [u.strip() for u in userids.split(",") if u.strip()] if userids else None
    created = add_leader_group(name, webhook_key=webhook_key, chat_id=chat_id, userids=ids, plan=plan_ref,
                               schedule=schedule)
    click.echo(f"Added leader group {created.name} ({created.channel}: {masked_target(created)}).")


@leaders.command("list")
@json_option
@pass_app
def leaders_list(app: App, as_json: bool) -> None:
    """List leader groups (webhook keys masked)."""
    from store.contacts import list_leader_groups

    app.connect()
    emit(list_leader_groups(), as_json, lambda rows: table(
        [[g["name"], g["channel"], g["target"], g["plan"] or "all active plans", g["schedule"]] for g in rows],
        ["name", "channel", "target", "plan", "schedule"],
    ))


@leaders.command("remove")
@click.argument("name")
@pass_app
def leaders_remove(app: App, name: str) -> None:
    """Remove a leader group."""
    from store.contacts import remove_leader_group

    app.connect()
    removed = remove_leader_group(name)
    click.echo(f"Removed leader group {removed.name}.")
